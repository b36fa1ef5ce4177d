"""The demo logins of `seed_demo`: one account per role, the 东区 监督员 included, and an
older demo database gets the logins it lacks on the next `seed_demo`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from smartduty.demo import data
from smartduty.org.models import Officer
from smartduty.org.states import Role

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_every_role_has_a_demo_login_and_the_supervisor_is_in_dong(db: None) -> None:
    assert {spec.role for spec in data.OFFICERS} == set(Role)
    assert f"{len(data.OFFICERS)} 名人员" in _seed()
    supervisor = Officer.objects.select_related("unit__district", "user").get(
        user__username="dong_supervisor"
    )
    assert (supervisor.name, supervisor.unit.name, supervisor.unit.district.name) == (
        "孙监督员",
        "东区中队",
        "东区",
    )
    assert list(supervisor.user.groups.values_list("name", flat=True)) == ["监督员"]
    assert supervisor.user.is_staff is False  # the officer app, like a 队员
    assert supervisor.user.check_password(data.DEMO_PASSWORD)
    # 东区中队 still has its own 队员 to handle what the 监督员 reports
    assert Officer.objects.filter(
        unit=supervisor.unit, user__groups__name="队员", user__username="dong_officer"
    ).exists()


def test_a_second_seed_adds_only_the_missing_logins(db: None) -> None:
    _seed()
    get_user_model().objects.filter(username="dong_supervisor").delete()
    before = Officer.objects.count()
    assert "补充演示账号：dong_supervisor" in _seed()
    assert Officer.objects.count() == before + 1
    assert Officer.objects.get(user__username="dong_supervisor").unit.name == "东区中队"
    assert "跳过" in _seed()  # nothing missing: nothing changes
    assert Officer.objects.count() == before + 1
