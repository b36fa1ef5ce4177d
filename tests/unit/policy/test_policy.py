"""Policy: effective rules, inheritance, versioning, audit and API errors."""

from __future__ import annotations

from datetime import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from smartduty.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from smartduty.kernel.models import AuditEntry
from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.policy.models import DistrictPolicy
from smartduty.policy.selectors import get_effective_policy
from smartduty.policy.services import PolicyChanges, update_policy
from tests.factories.org import City

pytestmark = pytest.mark.django_db


def _edit(officer: Officer, district, reason: str = "调整时限", **changes):  # type: ignore[no-untyped-def]
    return update_policy(
        principal=org_services.principal_for_user(officer.user),
        actor=officer.user,
        district=district,
        changes=PolicyChanges(**changes),
        reason=reason,
    )


def test_defaults_without_any_row(city: City) -> None:
    eff = get_effective_policy(district=city.street_a)
    assert eff.move_window_seconds == 600
    assert eff.source_district_code is None
    assert eff.version == 0


def test_inherits_nearest_ancestor(city: City, commander: Officer) -> None:
    _edit(commander, city.city, move_window_seconds=900)
    _edit(commander, city.district_a, move_window_seconds=300)
    assert get_effective_policy(district=city.street_a).move_window_seconds == 300
    assert get_effective_policy(district=city.street_a).source_district_code == "990001"
    assert get_effective_policy(district=city.street_b).move_window_seconds == 900
    assert get_effective_policy(district=city.street_b).source_district_code == "990000"


def test_every_edit_is_a_new_version_with_audit(city: City, commander: Officer) -> None:
    first = _edit(commander, city.district_a, move_window_seconds=300)
    second = _edit(
        commander,
        city.district_a,
        reason="夜间免打扰",
        quiet_hours_start=time(22),
        quiet_hours_end=time(7),
    )
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert not first.is_current
    assert second.is_current
    assert second.move_window_seconds == 300  # carried over from v1
    rows = DistrictPolicy.objects.filter(district=city.district_a).order_by("version")
    assert [r.version for r in rows] == [1, 2]
    audits = list(AuditEntry.objects.filter(action="policy.update").order_by("id"))
    assert len(audits) == 2
    assert audits[1].reason == "夜间免打扰"
    assert audits[1].changes["quiet_hours_start"] == [None, "22:00:00"]
    assert audits[1].changes["version"] == [1, 2]


def test_stale_version_conflicts(city: City, commander: Officer) -> None:
    _edit(commander, city.district_a, move_window_seconds=300)
    with pytest.raises(Conflict):
        update_policy(
            principal=org_services.principal_for_user(commander.user),
            actor=commander.user,
            district=city.district_a,
            changes=PolicyChanges(move_window_seconds=400),
            reason="x",
            expected_version=0,
        )


def test_rules_are_checked(city: City, commander: Officer, officer_a: Officer) -> None:
    with pytest.raises(PermissionDenied):
        _edit(officer_a, city.district_a, move_window_seconds=300)
    with pytest.raises(ValidationFailed, match="修改原因"):
        _edit(commander, city.district_a, reason="  ", move_window_seconds=300)
    with pytest.raises(ValidationFailed, match="同时填写"):
        _edit(commander, city.district_a, quiet_hours_start=time(22))
    with pytest.raises(ValidationFailed, match="规则内容不符合要求"):
        _edit(commander, city.district_a, move_window_seconds=5)
    assert not DistrictPolicy.objects.exists()


def test_leader_cannot_edit_other_district(city: City, leader_a: Officer) -> None:
    leader_a.user.user_permissions.add(Permission.objects.get(codename="change_districtpolicy"))
    with pytest.raises(PermissionDenied, match="本辖区"):
        _edit(Officer.objects.get(pk=leader_a.pk), city.district_b, move_window_seconds=300)


@override_settings(POLICY_MOVE_WINDOW_OVERRIDE_SECONDS=20)
def test_env_override_applies_but_is_never_persisted(city: City, commander: Officer) -> None:
    _edit(commander, city.district_a, move_window_seconds=300)
    assert get_effective_policy(district=city.district_a).move_window_seconds == 20
    v2 = _edit(commander, city.district_a, sms_signature="东区城管")
    assert v2.move_window_seconds == 300


def test_api_patch_get_and_versions(city: City, commander: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(commander)
    url = f"/api/v1/districts/{city.district_a.public_id}/policy"
    resp = client.patch(
        url, {"reason": "试行", "move_window_seconds": 480}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["version"] == 1
    assert client.get(url).json()["move_window_seconds"] == 480
    stale = client.patch(
        url,
        {"reason": "x", "expected_version": 0, "move_window_seconds": 400},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    bad = client.patch(
        url, {"reason": "x", "move_window_seconds": 1}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_failed"
    versions = client.get(url + "/versions").json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["created_by"] == "commander"


def test_api_officer_forbidden_and_out_of_scope(
    city: City,
    officer_a: Officer,
    officer_b: Officer,
    api_client,  # type: ignore[no-untyped-def]
) -> None:
    url = f"/api/v1/districts/{city.district_a.public_id}/policy"
    resp = api_client(officer_a).patch(
        url, {"reason": "x", "move_window_seconds": 300}, content_type="application/json"
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert api_client(officer_b).get(url).status_code == 404


@override_settings(POLICY_MOVE_WINDOW_OVERRIDE_SECONDS=3)
def test_first_edit_under_override_keeps_the_default_window(city: City, commander: Officer) -> None:
    first = _edit(commander, city.district_a, sms_signature="东区城管")
    assert first.move_window_seconds == 600


@override_settings(POLICY_MOVE_WINDOW_OVERRIDE_SECONDS=3)
def test_first_edit_of_a_street_keeps_the_window_inherited_from_its_district(
    city: City, commander: Officer
) -> None:
    _edit(commander, city.district_a, move_window_seconds=900)
    street = _edit(commander, city.street_a, sms_signature="东一街道")
    assert street.move_window_seconds == 900  # the parent's rule, not the demo's 3 s
    assert get_effective_policy(district=city.street_a).move_window_seconds == 3
    stored = get_effective_policy(district=city.street_a, demo_override=False)
    assert (stored.move_window_seconds, stored.sms_signature) == (900, "东一街道")


def test_new_fields_are_versioned_audited_and_checked(city: City, commander: Officer) -> None:
    eff = get_effective_policy(district=city.street_a)
    assert (eff.quiet_hours_mode, eff.reminder_at_percent) == ("defer", 0)
    assert (eff.daily_sms_cap_per_number, eff.daily_sms_cap_per_officer) == (3, 200)
    _edit(
        commander,
        city.district_a,
        quiet_hours_mode="notice",
        reminder_at_percent=40,
        daily_sms_cap_per_number=5,
    )
    eff = get_effective_policy(district=city.street_a)
    assert (eff.quiet_hours_mode, eff.reminder_at_percent) == ("notice", 40)
    assert (eff.daily_sms_cap_per_number, eff.daily_sms_cap_per_officer) == (5, 200)
    audit = AuditEntry.objects.filter(action="policy.update").latest("id")
    assert audit.changes["quiet_hours_mode"] == [None, "notice"]  # the district's first row
    with pytest.raises(ValidationFailed, match="defer"):
        _edit(commander, city.district_a, quiet_hours_mode="later")
    with pytest.raises(ValidationFailed, match="催挪短信时点"):
        _edit(commander, city.district_a, reminder_at_percent=95)
    with pytest.raises(ValidationFailed, match="每名队员每日短信上限："):
        _edit(commander, city.district_a, daily_sms_cap_per_officer=0)
    with pytest.raises(ValidationFailed, match="不能相同"):
        _edit(commander, city.district_a, quiet_hours_start=time(8), quiet_hours_end=time(8))
