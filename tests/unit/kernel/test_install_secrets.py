"""Secrets left at their public development default become per-install random keys."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from smartduty.env import INSECURE_SECRET, Env


def _env(var_dir: Path, **values: object) -> Env:
    return Env(_env_file=None, var_dir=var_dir, **values)  # type: ignore[arg-type]


def test_the_default_key_is_replaced_by_one_kept_in_var(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = env.install_secret("secret_key", env.secret_key, INSECURE_SECRET)
    assert first != INSECURE_SECRET
    assert len(first) >= 60
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    # the next process of the same install reads the same key; another install has its own
    assert _env(tmp_path).install_secret("secret_key", env.secret_key, INSECURE_SECRET) == first
    other = _env(tmp_path / "other")
    assert other.install_secret("secret_key", other.secret_key, INSECURE_SECRET) != first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left


def test_a_configured_key_is_used_as_it_is(tmp_path: Path) -> None:
    env = _env(tmp_path, secret_key=SecretStr("configured-by-the-operator"))
    assert (
        env.install_secret("secret_key", env.secret_key, INSECURE_SECRET)
        == "configured-by-the-operator"
    )
    assert not (tmp_path / "secret_key").exists()


def test_prod_never_generates_a_key(tmp_path: Path) -> None:
    env = _env(tmp_path, mode="prod", debug=False)
    assert env.install_secret("secret_key", env.secret_key, INSECURE_SECRET) == INSECURE_SECRET
    with pytest.raises(RuntimeError, match="SMARTDUTY_SECRET_KEY must be set"):
        env.check_production()


def _read_key(var_dir: str) -> str:
    env = _env(Path(var_dir))
    return env.install_secret("secret_key", env.secret_key, INSECURE_SECRET)


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_read_key, [str(tmp_path)] * 8)
    assert len(set(keys)) == 1
    assert (tmp_path / "secret_key").read_text().strip() == keys[0]
