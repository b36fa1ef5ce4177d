"""End-to-end tests: the built SPAs in Debian's Chromium against the real product.

How the product runs here (robust on SQLite and PostgreSQL alike): once per test process the
session fixture `e2e` starts, as subprocesses on a database of their own,
- `gunicorn smartduty.wsgi` (the web, static files through WhiteNoise), and
- `manage.py run_worker` (the timer pump fires move deadlines, the outbox pump "sends" SMS to
  the console provider),
after `migrate` and `seed_demo` (the 示范市 demo logins and vehicle registry). The database is a
migrated SQLite file, or, when the suite runs on PostgreSQL, a fresh database on the same
server, dropped at the end. `SMARTDUTY_MOVE_WINDOW_SECONDS=5` makes the move window short.
pytest-django's `live_server` is not used: on SQLite its database lives in the test process's
memory, where a real `run_worker` cannot reach it.

Chromium is Debian's `/usr/bin/chromium` (never `playwright install`). Screenshots go to
`$SMARTDUTY_SCREENSHOTS` (default `var/screenshots/`).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings
from django.db import connection
from PIL import Image, ImageDraw, ImageFont

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUILT = REPO / "src/smartduty/web/static/web"
PASSWORD = "Demo@2026"
MOVE_WINDOW_S = 5
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _missing_part() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed: run `make system-packages-test` as root"
    for app in ("officer", "command"):
        if not (BUILT / app / "index.html").exists():
            return "front ends not built: run `make frontend`"
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the flags that work on the CI machines."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No fixed base URL: tests use the running product's address (replaces the plugin's
    fallback fixture, a session fixture on a class that pytest 9 warns about)."""
    return None


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "geolocation": {"latitude": 36.4567, "longitude": 115.9853, "accuracy": 12},
    "permissions": ["geolocation"],
    "service_workers": "allow",
}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A 390×844 phone in Chinese, with GPS."""
    return {**browser_context_args, **PHONE}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests write their screenshots."""
    path = Path(os.environ.get("SMARTDUTY_SCREENSHOTS") or REPO / "var" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Product:
    """The running product of this test process."""

    url: str
    env: dict[str, str]
    log_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def token(self, username: str) -> str:
        """A bearer token of a demo login (for API checks next to the browser)."""
        resp = httpx.post(
            f"{self.url}/api/v1/auth/tokens",
            json={"username": username, "password": PASSWORD, "device_name": "e2e"},
            timeout=10,
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["token"])

    def api(self, username: str) -> httpx.Client:
        """An API client logged in as a demo user."""
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=20,
        )

    def logs(self) -> str:
        """The tail of the server and worker logs (for failure messages)."""
        out = []
        for name in ("web.log", "worker.log"):
            path = self.log_dir / name
            if path.exists():
                out.append(f"--- {name}\n" + path.read_text(errors="replace")[-4000:])
        return "\n".join(out)


def _database(tmp: Path) -> tuple[str, Any]:
    """A database for the product: (url, cleanup)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp / 'e2e.sqlite3'}", None
    import psycopg  # noqa: PLC0415 - only on PostgreSQL runs

    name = f"smartduty_e2e_{uuid.uuid4().hex[:10]}"
    params = {
        "host": db["HOST"] or "localhost",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{name}", drop


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}"


def _wait_healthy(product: Product, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the web server exited early:\n{product.logs()}")
        try:
            if httpx.get(f"{product.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        threading.Event().wait(0.2)
    pytest.fail(f"the web server never answered /healthz:\n{product.logs()}")


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    """Web server + worker on a fresh, migrated, seeded database (once per test process)."""
    reason = _missing_part()
    if reason is not None:  # `make test` installs Chromium and builds the front ends first
        pytest.fail(reason)
    tmp = tmp_path_factory.mktemp("e2e")
    url, cleanup = _database(tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTDUTY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "smartduty.settings",
            "DATABASE_URL": url,
            "SMARTDUTY_VAR_DIR": str(tmp / "var"),
            "SMARTDUTY_DEBUG": "false",
            "SMARTDUTY_MOVE_WINDOW_SECONDS": str(MOVE_WINDOW_S),
            # two-factor for 中队长 only: test_command_centre_otp enrols dong_leader; the other
            # demo logins used here keep logging in with their password (dev-mode default)
            "SMARTDUTY_ACCOUNTS__OTP_REQUIRED_ROLES": '["squad_leader"]',
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    _run(env, "migrate", "--noinput", "-v", "0")
    _run(env, "seed_demo")
    port = _free_port()
    product = Product(url=f"http://127.0.0.1:{port}", env=env, log_dir=tmp)
    web_env = {**env, "DJANGO_SETTINGS_MODULE": "tests.e2e.server_settings"}
    with (tmp / "web.log").open("wb") as web_log, (tmp / "worker.log").open("wb") as worker_log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--no-tasks"],
            cwd=REPO,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        web = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "python:smartduty.gunicorn_conf",
                "smartduty.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=REPO,
            env=web_env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
        )
        product.procs = [web, worker]
        try:
            _wait_healthy(product, web)
            yield product
        finally:
            for proc in product.procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in product.procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            if cleanup is not None:
                cleanup()
            shutil.rmtree(tmp / "var" / "media", ignore_errors=True)


def scene_photo(path: Path, plate: str, color: tuple[int, int, int] = (70, 90, 110)) -> Path:
    """A JPEG that looks enough like a street photo of a car with a plate."""
    img = Image.new("RGB", (1280, 960), color)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 620, 1280, 960], fill=(60, 60, 64))
    draw.rounded_rectangle([300, 380, 980, 760], radius=60, fill=(200, 200, 210))
    draw.rectangle([470, 640, 810, 730], fill=(13, 71, 161), outline=(255, 255, 255), width=6)
    font = ImageFont.truetype(FONT, 64) if Path(FONT).exists() else ImageFont.load_default()
    draw.text((640, 685), plate, fill=(255, 255, 255), font=font, anchor="mm")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    path.write_bytes(buf.getvalue())
    return path
