"""The stats API schemas are derived from the selectors' dataclasses (`kernel.schemas`): same
fields, same order, API types; nothing to keep in step by hand."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.utils import timezone
from ninja import Schema

from smartduty.kernel.schemas import OutputSchemas
from smartduty.stats import schemas, selectors

# (schema, its dataclass, fields the API leaves out, properties the API adds)
DERIVED: list[tuple[type[Schema], type, set[str], list[str]]] = [
    (
        schemas.CountersOut,
        selectors.ParkingCounters,
        {"move_seconds"},
        ["compliance_rate", "median_seconds_to_move"],
    ),
    (schemas.StatsOut, selectors.ParkingStats, set(), []),
    (schemas.TrendPointOut, selectors.TrendPoint, set(), []),
    (schemas.HeatmapOut, selectors.Heatmap, set(), []),
    (schemas.OpenCaseOut, selectors.OpenCase, set(), ["seconds_left"]),
    (schemas.MapPointOut, selectors.MapPoint, set(), []),
    (schemas.CapabilitiesOut, selectors.Capabilities, set(), []),
    (schemas.DashboardOut, selectors.Dashboard, set(), []),
    (schemas.MyDayOut, selectors.MyDay, set(), []),
    (schemas.ConsoleMessageOut, selectors.ConsoleEntry, set(), []),
    (
        schemas.CaseKpiRowOut,
        selectors.CaseKpiRow,
        {"handled", "handling_seconds"},
        [
            "closure_rate",
            "on_time_rate",
            "rework_rate",
            "extension_rate",
            "void_rate",
            "mean_handling_hours",
        ],
    ),
    (schemas.CaseKpiTableOut, selectors.CaseKpiTable, set(), []),
]


@pytest.mark.parametrize(("schema", "source", "left_out", "added"), DERIVED)
def test_each_schema_has_its_dataclass_fields_in_order(
    schema: type[Schema], source: type, left_out: set[str], added: list[str]
) -> None:
    own = [f.name for f in dataclasses.fields(source) if f.name not in left_out]
    assert list(schema.model_fields) == [*own, *added]
    assert all(field.is_required() for field in schema.model_fields.values())


def test_every_stats_output_of_a_read_model_is_derived() -> None:
    derived = {schema for schema, *_ in DERIVED}
    outputs = {
        value
        for name, value in vars(schemas).items()
        if name.endswith("Out") and isinstance(value, type) and issubclass(value, Schema)
    }
    assert outputs - derived == {schemas.DeliveryOut, schemas.CaseReportOut}  # model rows


def _counters(day: date | None = None) -> selectors.ParkingCounters:
    row = selectors.ParkingCounters(day, uuid4(), "东区", uuid4(), "一中队", reports=4, moved=3)
    row.notices = 1
    row.move_seconds.extend([60.0, 120.0, 90.0])
    return row


def test_counters_carry_iso_days_and_the_computed_rates() -> None:
    out = schemas.CountersOut.model_validate(_counters(date(2026, 11, 29))).model_dump()
    assert out["day"] == "2026-11-29"
    assert (out["compliance_rate"], out["median_seconds_to_move"]) == (0.75, 90.0)
    assert "move_seconds" not in out
    assert schemas.CountersOut.model_validate(_counters()).model_dump()["day"] is None


def test_kpi_rates_leave_as_numbers_and_the_period_as_iso_text() -> None:
    row = selectors.CaseKpiRow(key=None, label="合计", registered=4, due=4, closed=3, reworked=1)
    table = selectors.CaseKpiTable(
        date_from=date(2026, 3, 1),
        date_to=date(2026, 3, 31),
        group_by="unit",
        scope_label="全部辖区",
        rows=[row],
        total=row,
    )
    assert isinstance(row.closure_rate, Decimal)
    out = schemas.CaseKpiTableOut.model_validate(table).model_dump()
    assert (out["date_from"], out["date_to"]) == ("2026-03-01", "2026-03-31")
    assert out["total"]["closure_rate"] == 75.0
    assert out["total"]["rework_rate"] == 25.0
    assert out["rows"][0]["void_rate"] == 0.0
    assert out["total"]["mean_handling_hours"] is None
    assert "handled" not in out["total"]


def _open_case(status: str, deadline_at: datetime | None) -> selectors.OpenCase:
    return selectors.OpenCase(
        public_id=uuid4(),
        plate="鲁P12345",
        place="人民路",
        status=status,
        status_label="",
        officer="",
        badge_number="",
        unit="",
        district="",
        created_at=timezone.now(),
        deadline_at=deadline_at,
    )


def test_the_countdown_is_read_when_the_answer_is_written() -> None:
    due = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(due - timedelta(seconds=90), tick=False):
        waiting = schemas.OpenCaseOut.model_validate(_open_case("awaiting_move", due))
        assert waiting.model_dump()["seconds_left"] == 90
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert _open_case("awaiting_move", due).seconds_left == 0
    assert _open_case("awaiting_recheck", due).seconds_left is None
    assert _open_case("awaiting_move", None).seconds_left is None


# --- the helper on its own ----------------------------------------------------------------


@dataclass(frozen=True)
class _Inner:
    amount: Decimal
    on: date


@dataclass(frozen=True)
class _Outer:
    on: date | None
    inner: _Inner
    many: list[_Inner]
    by_key: dict[str, _Inner | None]
    at: datetime
    note: str = "x"

    @property
    def twice(self) -> Decimal:
        return self.inner.amount * 2


def test_a_derived_schema_follows_its_dataclass() -> None:
    out = OutputSchemas(__name__)
    inner = out.derive(_Inner, name="InnerOut", doc="Inner.", iso_dates={"on"})
    outer = out.derive(
        _Outer,
        name="OuterOut",
        doc="Outer.",
        exclude={"note"},
        computed=["twice"],
        iso_dates={"on"},
        descriptions={"twice": "两倍"},
    )
    assert (outer.__name__, outer.__module__, outer.__doc__) == ("OuterOut", __name__, "Outer.")
    assert list(outer.model_fields) == ["on", "inner", "many", "by_key", "at", "twice"]
    assert outer.model_fields["twice"].description == "两倍"
    value = _Inner(Decimal("1.5"), date(2026, 1, 2))
    at = datetime(2026, 1, 2, 8, tzinfo=UTC)
    dumped = outer.model_validate(
        _Outer(None, value, [value], {"a": value, "b": None}, at)
    ).model_dump()
    assert dumped["on"] is None
    assert dumped["twice"] == 3.0
    assert dumped["many"] == [{"amount": 1.5, "on": "2026-01-02"}]
    assert dumped["by_key"] == {"a": {"amount": 1.5, "on": "2026-01-02"}, "b": None}
    assert dumped["at"] == at  # a datetime keeps its type
    assert inner.model_json_schema()["properties"]["on"] == {"title": "On", "type": "string"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"exclude": {"gone"}}, r"no gone \(exclude\)"),
        ({"iso_dates": {"gone"}}, r"no gone \(iso_dates\)"),
        ({"descriptions": {"gone": "?"}}, r"no gone \(descriptions\)"),
        ({"computed": ["gone"]}, "is not a property"),
        ({"computed": ["note"]}, "is not a property"),
        ({"iso_dates": {"at"}}, "a datetime keeps its own format"),
        ({"iso_dates": {"note"}}, "takes date fields"),
    ],
)
def test_a_name_the_dataclass_lacks_fails_at_import(options: dict[str, Any], message: str) -> None:
    out = OutputSchemas(__name__)
    out.derive(_Inner, name="InnerOut", doc="Inner.")
    with pytest.raises(TypeError, match=message):
        out.derive(_Outer, name="OuterOut", doc="Outer.", **options)


def test_nested_dataclasses_are_derived_first_and_once() -> None:
    out = OutputSchemas(__name__)
    with pytest.raises(TypeError, match="derive the schema of _Inner"):
        out.derive(_Outer, name="OuterOut", doc="Outer.")
    out.derive(_Inner, name="InnerOut", doc="Inner.")
    with pytest.raises(ValueError, match="already has a schema"):
        out.derive(_Inner, name="InnerOut", doc="Inner.")
    with pytest.raises(TypeError, match="is not a dataclass"):
        out.derive(int, name="IntOut", doc="Int.")
