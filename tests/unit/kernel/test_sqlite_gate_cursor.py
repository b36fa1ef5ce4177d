"""The SQLite backend in one process: which statements take the write gate, for how long, and
the options both engines (gate and stock) get."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import load_backend

from smartduty import settings as product
from smartduty.kernel.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[tuple[DatabaseWrapper, list[str]]]:
    """A connection of our backend to a database file, logging gate takes and releases."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backend only")
    wrapper = DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "gate.sqlite3")}, alias="gate_test"
    )
    events: list[str] = []
    take, give = wrapper.acquire_gate, wrapper.release_gate

    def acquire() -> None:
        events.append("take")
        take()

    def release() -> None:
        if wrapper.gate_held:
            events.append("give")
        give()

    wrapper.acquire_gate = acquire  # type: ignore[method-assign]
    wrapper.release_gate = release  # type: ignore[method-assign]
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE probe (x INTEGER)")
    events.clear()
    yield wrapper, events
    wrapper.close()


def test_an_autocommit_write_holds_the_gate_for_its_statement_only(
    gated: tuple[DatabaseWrapper, list[str]],
) -> None:
    wrapper, events = gated
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO probe (x) VALUES (%s)", [1])
        assert events == ["take", "give"]
        assert not wrapper.gate_held
        cursor.executemany("  update probe SET x = %s", [[2], [3]])
        cursor.execute("SELECT x FROM probe")
        assert cursor.fetchall() == [(3,)]
    assert events == ["take", "give", "take", "give"]  # reads take no gate


def test_a_transaction_takes_the_gate_once(gated: tuple[DatabaseWrapper, list[str]]) -> None:
    wrapper, events = gated
    # what transaction.atomic() does on SQLite: BEGIN IMMEDIATE under autocommit
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO probe (x) VALUES (1)")
        cursor.execute("INSERT INTO probe (x) VALUES (2)")
    assert (events, wrapper.gate_held) == (["take"], True)
    wrapper.commit()
    assert (events, wrapper.gate_held) == (["take", "give"], False)


@pytest.mark.parametrize("engine", ["smartduty.kernel.sqlite", "django.db.backends.sqlite3"])
def test_the_gate_setting_picks_the_engine_and_both_get_the_same_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: str
) -> None:
    """`SMARTDUTY_SQLITE_WRITE_GATE` (bench/report_flow.py runs both): WAL, synchronous=NORMAL,
    IMMEDIATE transactions and a 20 s busy timeout either way."""
    gate = engine == "smartduty.kernel.sqlite"
    monkeypatch.setattr(product, "ENV", product.ENV.model_copy(update={"sqlite_write_gate": gate}))
    settings_dict = product._database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert settings_dict["ENGINE"] == engine

    wrapper = load_backend(engine).DatabaseWrapper(
        {**connection.settings_dict, **settings_dict}, alias="options_test"
    )
    try:
        with wrapper.cursor() as cursor:
            pragmas = [
                cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, 20_000]  # 1 = NORMAL
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()
