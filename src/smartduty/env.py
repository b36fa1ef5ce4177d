"""Typed environment for the whole process.

`settings.py` builds `Env()` once; nothing else reads `os.environ`.
Variables are prefixed `SMARTDUTY_` and nest with `__`
(for example `SMARTDUTY_EVIDENCE__MAX_BYTES`).
`DATABASE_URL` is read without prefix because every platform names it so.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartduty.env_messaging import SmsAliyunEnv, SmsReceiptsEnv, SmsTencentEnv

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSECURE_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - detected and refused in prod
INSECURE_FIELD_KEY = "dev-insecure-field-key-change-me"


class EvidenceEnv(BaseModel):
    """Limits applied to every uploaded photo."""

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    display_max_side: int = 2048
    font_path: str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


class StorageEnv(BaseModel):
    """Where files go: local disk by default, or any S3-compatible service."""

    backend: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")


class PolicyDefaults(BaseModel):
    """Defaults for districts that have no policy row of their own or above them."""

    move_window_seconds: int = 600
    duplicate_window_seconds: int = 1800


class WebEnv(BaseModel):
    """Front-end settings: the map base layer and how often screens refresh."""

    map_tile_url: str = ""
    """An XYZ tile URL (e.g. a city GIS server); empty shows report points on a plain grid."""
    map_attribution: str = ""
    map_center: tuple[float, float] = (36.456, 115.985)
    map_zoom: int = 13
    poll_seconds: int = 5


class WorkerEnv(BaseModel):
    """How `run_worker`'s pumps poll and batch (`SMARTDUTY_WORKER__...`)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt knob fails at start

    timers_pump_interval_s: float = 1.0
    """Longest idle wait of the timer pump; it wakes earlier for the next known due time."""
    timers_batch_size: int = 100
    """Timers fired per transaction (one savepoint each)."""
    timers_batch_max_seconds: float = 0.2
    """A timer batch stops early after this long, so its transaction stays short."""
    notifications_pump_interval_s: float = 0.05
    """Idle wait of the outbox pump: how long a new message may wait before it is seen."""
    notifications_batch_size: int = 10
    """Deliveries leased per claim."""
    notifications_lease_seconds: int = 60
    """How long a claimed delivery is ours before another worker may take it over."""
    case_report_at: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    """Local time ("HH:MM") at which the worker writes the previous day's case KPI report
    (PDF and Excel per district, `stats`)."""


OtpRole = Literal["sysadmin", "command", "squad_leader", "officer", "traffic_police", "supervisor"]
"""Every `org.states.Role` value (the env cannot import apps; a test keeps them equal)."""


class AccountsEnv(BaseModel):
    """Log-in policy (`SMARTDUTY_ACCOUNTS__...`): two-factor, throttling, session expiry."""

    model_config = ConfigDict(extra="forbid")

    otp_required_roles: list[OtpRole] | None = None
    """Roles (`org.states.Role` values) that must use TOTP for the back office, the command
    centre and app tokens. Unset: `sysadmin`, `command`, `squad_leader`, except in `dev` mode
    (the local demo), where it is empty unless set: `'["sysadmin","command","squad_leader"]'`."""
    login_window_seconds: int = Field(default=900, ge=60)
    """Sliding window in which failed log-ins count; a lock ends when failures leave it."""
    login_pair_limit: int = Field(default=5, ge=1)
    """Failures of one account from one source address before that pair is locked."""
    login_source_limit: int = Field(default=20, ge=1)
    """Failures from one source address, across accounts, before that address is locked."""
    login_account_limit: int = Field(default=20, ge=1)
    """Failures of one account across all sources after which each source gets one try."""
    session_absolute_seconds: int = Field(default=8 * 3600, ge=300)
    """A session ends this long after its log-in, however active."""
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    """A session ends after this long without a request."""


class LimitsEnv(BaseModel):
    """Rate limits and load shedding (`SMARTDUTY_LIMITS__...`, ADR 0009); 0 turns a limit off."""

    model_config = ConfigDict(extra="forbid")

    writes_per_minute: int = Field(default=120, ge=0)
    """Writes (POST, PUT, PATCH, DELETE) per minute of one signed-in user or API token."""
    anonymous_writes_per_minute: int = Field(default=60, ge=0)
    """Writes per minute from one source address without a session or token (logins)."""
    plate_reads_per_minute: int = Field(default=30, ge=0)
    """`POST /api/v1/plates/read` per minute of one user or token."""
    reveals_per_hour: int = Field(default=10, ge=0)
    """Owner phone reveals per hour of one user."""
    reveals_per_day: int = Field(default=30, ge=0)
    """Owner phone reveals per day of one user."""
    reveal_burst_per_minute: int = Field(default=5, ge=0)
    """More reveals than this within a minute are flagged in the audit log (`reveal_burst`)."""
    heavy_concurrency: int = Field(default=3, ge=0)
    """Heavy requests (photo uploads, plate reads, PDF/xlsx) in flight per web process; one
    more is answered 503 at once. Keep it below the process's threads (gunicorn --threads)."""
    retry_after_seconds: int = Field(default=2, ge=1)
    """`Retry-After` of a shed (503) request."""
    max_queue_seconds: float = Field(default=3.0, ge=0)
    """A request that waited longer than this for a web thread is answered 503 at once instead
    of being served late (0 turns it off). Measured by the gunicorn worker of
    `smartduty.gunicorn_conf`; other servers do not measure it, and nothing is shed."""


class Open311Env(BaseModel):
    """The Open311 GeoReport v2 endpoint (`SMARTDUTY_OPEN311__...`, `/open311/v2/`)."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction_ids: list[str] = ["shifan.smartduty.example"]
    """The `jurisdiction_id` values clients may send (any other is refused with 400); the
    first is the one this install names itself by. Usually the city's domain name."""
    contact_retention_days: int = Field(default=30, ge=1, le=3650)
    """Days after a case reported through Open311 ends (结案, 不予立案, 重复, 作废) before the
    reporter's name, email and phone kept with it are erased (PIPL: no longer than needed)."""


class Env(BaseSettings):
    """Every knob the process reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTDUTY_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
    )

    mode: Literal["dev", "test", "prod"] = "dev"
    debug: bool = True
    secret_key: SecretStr = SecretStr(INSECURE_SECRET)
    secret_key_fallbacks: list[SecretStr] = Field(
        default_factory=list,
        description="Previous secret keys, still accepted for signed links (key rotation).",
    )
    field_key: SecretStr = Field(
        default=SecretStr(INSECURE_FIELD_KEY),
        description="Key material for personal data encrypted at rest (owner phones).",
    )
    field_key_fallbacks: list[SecretStr] = Field(
        default_factory=list,
        description=(
            "Previous field keys, still read during a key rotation "
            "(`manage.py rotate_field_key` re-encrypts under the new one)."
        ),
    )
    allowed_hosts: list[str] = ["localhost", "127.0.0.1", "[::1]", "testserver"]
    csrf_trusted_origins: list[str] = []
    database_url: str = Field(
        default=f"sqlite:///{BASE_DIR / 'var' / 'smartduty.sqlite3'}",
        validation_alias=AliasChoices("DATABASE_URL", "SMARTDUTY_DATABASE_URL"),
    )
    sqlite_write_gate: bool = Field(
        default=True,
        description=(
            "SQLite only: Django's backend plus the cross-process write gate "
            "(`smartduty.kernel.sqlite`, ADR 0007); false runs Django's stock backend with the "
            "same options (bench/report_flow.py measures both)."
        ),
    )
    var_dir: Path = BASE_DIR / "var"
    public_base_url: str = "http://127.0.0.1:8000"
    move_window_seconds: int | None = Field(
        default=None,
        description="Overrides every district's move window (demo and acceptance runs).",
    )
    owner_contact_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description=(
            "Days after a parking case ends (moved, closed, duplicate, void) before the owner's "
            "phone number stored with its messages is erased (PIPL: no longer than needed)."
        ),
    )
    recognize_on_upload: bool = Field(
        default=True,
        description="Read the plate of a report photo sent without a plate or a reading.",
    )
    evidence: EvidenceEnv = EvidenceEnv()
    storage: StorageEnv = StorageEnv()
    policy_defaults: PolicyDefaults = PolicyDefaults()
    web: WebEnv = WebEnv()
    worker: WorkerEnv = WorkerEnv()
    limits: LimitsEnv = LimitsEnv()
    accounts: AccountsEnv = AccountsEnv()
    open311: Open311Env = Open311Env()
    sms_aliyun: SmsAliyunEnv = SmsAliyunEnv()
    sms_tencent: SmsTencentEnv = SmsTencentEnv()
    sms_receipts: SmsReceiptsEnv = SmsReceiptsEnv()
    trusted_proxies: list[str] = Field(
        default=["127.0.0.1", "::1"],
        description=(
            "Addresses of reverse proxies whose X-Forwarded-For is believed when finding a "
            "client's address (log-in throttling, audit)."
        ),
    )

    def install_secret(self, name: str, configured: SecretStr, insecure: str) -> str:
        """The configured secret, or outside prod one generated once for this install.

        A secret left at its public development default is replaced by a random one kept in
        `var_dir/<name>` (mode 0600), so no two installs share a key. Created atomically (a
        hard link that fails if another process won), so the web and worker processes
        started together read the same key. Prod refuses the default (`check_production`).
        """
        value = configured.get_secret_value()
        if value != insecure or self.mode == "prod":
            return value
        path = self.var_dir / name
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            scratch = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(scratch, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
            finally:
                scratch.unlink()
        return path.read_text(encoding="ascii").strip()

    def check_production(self) -> None:
        """Refuse to start a production process on development secrets."""
        if self.mode != "prod":
            return
        problems = []
        if self.debug:
            problems.append("SMARTDUTY_DEBUG must be false in prod")
        if self.secret_key.get_secret_value() == INSECURE_SECRET:
            problems.append("SMARTDUTY_SECRET_KEY must be set in prod")
        if self.field_key.get_secret_value() == INSECURE_FIELD_KEY:
            problems.append("SMARTDUTY_FIELD_KEY must be set in prod")
        if problems:
            raise RuntimeError("; ".join(problems))
