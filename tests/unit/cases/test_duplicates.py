"""Duplicates: an open case of the same category within the category's radius makes a new
report a linked 重复上报; another category, a case further away, a closed case or the
reporter's "not the same problem" leave a new open case."""

from __future__ import annotations

from typing import Any

import pytest

from smartduty.cases import selectors, services
from smartduty.cases.models import Case, Category
from smartduty.cases.states import Action, Status
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from tests.factories.org import City

pytestmark = pytest.mark.django_db
HERE = (36.4560, 115.9850)
# about 100 m north, and about 300 m north
NEAR = (36.4569, 115.9850)
FAR = (36.4587, 115.9850)


def report(who: Officer, code: str = "E0401", point: tuple[float, float] = HERE, **kw: Any) -> Case:
    return services.report_case(
        principal=principal_for_user(who.user),
        actor=who.user,
        category=Category.objects.get(code=code),
        district=who.unit.district,
        lat=point[0],
        lon=point[1],
        **kw,
    )


def test_a_report_within_the_radius_is_linked(
    city: City, officer_a: Officer, leader_a: Officer
) -> None:
    first = report(officer_a)
    second = report(leader_a, point=NEAR)
    assert second.status == Status.DUPLICATE
    assert second.duplicate_of == first
    assert second.pk != first.pk
    assert second.number != first.number
    assert list(second.transitions.values_list("action", "to_status")) == [
        ("report", "reported"),
        ("mark_duplicate", "duplicate"),
    ]
    assert "相距约 100 米" in second.transitions.get(action="mark_duplicate").reason
    note = first.transitions.get(action="duplicate_reported")
    assert (note.from_status, note.to_status) == ("reported", "reported")
    assert second.number in note.reason
    first.refresh_from_db()
    assert first.status == Status.REPORTED
    assert Case.objects.filter(status=Status.REPORTED).count() == 1


def test_outside_the_radius_other_category_or_said_different(officer_a: Officer) -> None:
    first = report(officer_a)
    assert report(officer_a, point=FAR).status == Status.REPORTED
    assert report(officer_a, code="E0402").status == Status.REPORTED
    different = report(officer_a, not_duplicate=True)
    assert (different.status, different.duplicate_of) == (Status.REPORTED, None)
    assert first.status == Status.REPORTED


def test_the_radius_is_the_category_setting(officer_a: Officer) -> None:
    Category.objects.filter(code="E0401").update(duplicate_radius_m=400)
    report(officer_a)
    assert report(officer_a, point=FAR).status == Status.DUPLICATE


def test_a_closed_case_is_not_a_duplicate(officer_a: Officer, commander: Officer) -> None:
    first = report(officer_a)
    services.act(
        first,
        Action.REJECT,
        principal=principal_for_user(commander.user),
        actor=commander.user,
    )
    assert report(officer_a, point=NEAR).status == Status.REPORTED


def test_no_point_no_check(officer_a: Officer) -> None:
    report(officer_a)
    nowhere = services.report_case(
        principal=principal_for_user(officer_a.user),
        actor=officer_a.user,
        category=Category.objects.get(code="E0401"),
        district=officer_a.unit.district,
    )
    assert nowhere.status == Status.REPORTED


def test_nearby_lists_open_cases_nearest_first_in_scope(
    city: City, officer_a: Officer, officer_b: Officer
) -> None:
    far = report(officer_a, point=(36.4575, 115.9850), not_duplicate=True)  # ~167 m
    near = report(officer_a, point=NEAR, not_duplicate=True)
    report(officer_a, point=FAR, not_duplicate=True)  # ~300 m: outside
    category = Category.objects.get(code="E0401")
    found = selectors.list_nearby_open_cases(
        principal=principal_for_user(officer_a.user), category=category, lat=HERE[0], lon=HERE[1]
    )
    assert [n.case for n in found] == [near, far]
    assert 95 < found[0].distance_m < 105
    # another district's officer sees none of them, and is not linked to them either
    assert (
        selectors.list_nearby_open_cases(
            principal=principal_for_user(officer_b.user),
            category=category,
            lat=HERE[0],
            lon=HERE[1],
        )
        == []
    )
    assert report(officer_b).status == Status.REPORTED
