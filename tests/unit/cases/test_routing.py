"""Routing by grid × category: a report finds its grid from its point and goes to the grid's
unit of the category's agency kind; 派遣 defaults to that unit; a chosen unit still wins."""

from __future__ import annotations

from typing import Any

import pytest

from smartduty.cases import services
from smartduty.cases.models import Case, Category
from smartduty.cases.states import Action, Status
from smartduty.grids.models import Grid
from smartduty.kernel.errors import ValidationFailed
from smartduty.org import services as org_services
from smartduty.org.models import Officer, Unit
from smartduty.org.services import principal_for_user
from smartduty.org.states import UnitLevel
from tests.factories.grids import make_grid, square
from tests.factories.org import City

pytestmark = pytest.mark.django_db
INSIDE = (36.455, 115.985)


@pytest.fixture
def traffic_unit(city: City) -> Unit:
    return org_services.create_unit(
        name="交警东区大队", agency=city.traffic, level=UnitLevel.DADUI, district=city.district_a
    )


@pytest.fixture
def grid(city: City, traffic_unit: Unit) -> Grid:
    return make_grid(
        city.street_a,
        "990001001001001",
        square(115.98, 36.45),
        name="人民路东段",
        units={"chengguan": city.unit_a, "jiaojing": traffic_unit},
    )


def report(who: Officer, code: str, point: tuple[float, float] | None = INSIDE, **kw: Any) -> Case:
    lat, lon = point if point is not None else (None, None)
    return services.report_case(
        principal=principal_for_user(who.user),
        actor=who.user,
        category=Category.objects.get(code=code),
        district=who.unit.district,
        lat=lat,
        lon=lon,
        **kw,
    )


def test_a_traffic_category_goes_to_the_traffic_unit(
    grid: Grid, officer_a: Officer, traffic_unit: Unit, city: City
) -> None:
    traffic = report(officer_a, "E0405")  # 不遵守交通规则: 交警
    assert (traffic.grid, traffic.unit) == (grid, traffic_unit)
    stalls = report(officer_a, "E0401", not_duplicate=True)  # 占道经营: 城管
    assert (stalls.grid, stalls.unit) == (grid, city.unit_a)
    note = traffic.transitions.get(action="report").reason
    assert note == "网格 990001001001001（人民路东段），派往交警东区大队"


def test_no_unit_for_the_kind_or_no_grid(grid: Grid, officer_a: Officer) -> None:
    ads = report(officer_a, "E0201")  # 小广告: 作业单位, none set for this grid
    assert (ads.grid, ads.unit) == (grid, None)
    assert "未设作业单位责任单位" in ads.transitions.get(action="report").reason
    outside = report(officer_a, "E0401", point=(30.0, 100.0))
    assert (outside.grid, outside.unit) == (None, None)
    nowhere = report(officer_a, "E0405", point=None)
    assert (nowhere.grid, nowhere.unit) == (None, None)


def test_a_grid_of_another_district_is_not_used(grid: Grid, officer_b: Officer) -> None:
    case = report(officer_b, "E0401")  # 西区's officer, standing in 东区's grid
    assert (case.grid, case.unit) == (None, None)


def test_dispatch_defaults_to_the_routed_unit(
    grid: Grid, officer_a: Officer, commander: Officer, city: City, traffic_unit: Unit
) -> None:
    command = principal_for_user(commander.user)
    case = report(officer_a, "E0401")
    case = services.act(case, Action.REGISTER, principal=command, actor=commander.user)
    case = services.act(case, Action.DISPATCH, principal=command, actor=commander.user)
    assert (case.status, case.unit) == (Status.DISPATCHED, city.unit_a)
    # a hand-picked unit still wins (here the city's 支队)
    other = report(officer_a, "E0402")
    other = services.act(other, Action.REGISTER, principal=command, actor=commander.user)
    other = services.act(
        other, Action.DISPATCH, principal=command, actor=commander.user, unit=city.city_unit
    )
    assert other.unit == city.city_unit
    # the routed unit's kind is checked as a chosen one would be
    wrong = report(officer_a, "E0403")
    wrong = services.act(wrong, Action.REGISTER, principal=command, actor=commander.user)
    with pytest.raises(ValidationFailed, match="不是该类单位"):
        services.act(
            wrong, Action.DISPATCH, principal=command, actor=commander.user, unit=traffic_unit
        )


def test_without_a_routed_unit_dispatch_asks_for_one(
    officer_a: Officer, commander: Officer
) -> None:
    command = principal_for_user(commander.user)
    case = report(officer_a, "E0401", point=None)
    case = services.act(case, Action.REGISTER, principal=command, actor=commander.user)
    with pytest.raises(ValidationFailed, match="请选择处置单位"):
        services.act(case, Action.DISPATCH, principal=command, actor=commander.user)
