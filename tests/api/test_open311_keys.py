"""Open311 partner keys: `manage.py open311_key`, the back office for superusers, and for
the 指挥中心, which may view, add (shown once) and change (rename, disable) the keys of its own
districts, never delete one; other roles may not."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from smartduty.kernel.models import AuditEntry
from smartduty.open311 import services
from smartduty.open311.models import ApiKey
from smartduty.org.models import Officer
from smartduty.org.states import Role
from tests.api.open311_helpers import PHONE, public_case
from tests.factories.org import City, make_officer

pytestmark = pytest.mark.django_db

KEYS = "/admin/open311/apikey/"
OPEN311_PERMS = {
    "open311.view_apikey",
    "open311.add_apikey",
    "open311.change_apikey",
    "open311.view_publicreport",
}


def _logged_in(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.user)
    return client


def _shown_key(resp: Any) -> str:
    [message] = [str(m) for m in resp.context["messages"] if "只显示这一次" in str(m)]
    return message.rsplit("：", 1)[1]


def test_open311_key_command_prints_a_key_once(city: City) -> None:
    out = StringIO()
    call_command(
        "open311_key", "create", "--name", "市民随手拍", "--district", "990002", stdout=out
    )
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(name="市民随手拍")
    assert (key.district, key.prefix) == (city.district_b, raw[:10])
    assert raw not in key.digest
    assert services.authenticate_key(raw=raw) == key
    listing = StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert raw not in listing.getvalue()
    assert key.prefix in listing.getvalue()
    call_command("open311_key", "disable", key.prefix, stdout=StringIO())
    assert not ApiKey.objects.get(pk=key.pk).is_active


def test_the_back_office_lists_keys_and_masked_reports(
    admin_client: Client, open311_post: Callable[..., Any]
) -> None:
    public_case(open311_post, phone=PHONE)
    keys = admin_client.get("/admin/open311/apikey/")
    assert keys.status_code == 200
    assert "12345热线" in keys.content.decode()
    reports = admin_client.get("/admin/open311/publicreport/")
    assert reports.status_code == 200
    text = reports.content.decode()
    assert "138****5678" in text
    assert PHONE not in text


def test_a_key_made_in_the_back_office_is_shown_once_and_stored_as_a_digest(
    admin_client: Client, city: City
) -> None:
    form = admin_client.get("/admin/open311/apikey/add/")
    assert form.status_code == 200
    assert 'name="digest"' not in form.content.decode()
    refused = admin_client.post(
        "/admin/open311/apikey/add/", {"name": "坏\u200b名字", "district": city.district_b.pk}
    )
    assert refused.status_code == 200
    assert "可见字符" in refused.content.decode()
    assert not ApiKey.objects.exists()
    resp = admin_client.post(
        "/admin/open311/apikey/add/",
        {"name": "市民随手拍", "district": city.district_b.pk},
        follow=True,
    )
    assert resp.status_code == 200
    key = ApiKey.objects.get(name="市民随手拍")
    shown = [str(m) for m in resp.context["messages"]]
    [message] = [m for m in shown if "只显示这一次" in m]
    raw = message.rsplit("：", 1)[1]
    assert raw.startswith(services.KEY_PREFIX)
    assert raw[:10] == key.prefix
    assert raw not in key.digest
    assert services.authenticate_key(raw=raw) == key
    assert key.district == city.district_b
    assert AuditEntry.objects.filter(action="open311.key_issued", object_id=str(key.pk)).exists()
    # never again: not on the list, not on the key's page
    for page in ("/admin/open311/apikey/", f"/admin/open311/apikey/{key.pk}/change/"):
        assert raw not in admin_client.get(page).content.decode()


# --- the 指挥中心 ---------------------------------------------------------------------------


def test_only_the_command_centre_role_holds_the_open311_permissions(db: None) -> None:
    def perms(role: Role) -> set[str]:
        group = Group.objects.get(name=str(role.label))
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
            if p.content_type.app_label == "open311"
        }

    assert perms(Role.COMMAND) == OPEN311_PERMS  # never delete_apikey: disable instead
    for role in (Role.SQUAD_LEADER, Role.OFFICER, Role.TRAFFIC_POLICE, Role.SUPERVISOR):
        assert perms(role) == set(), role


def test_a_district_command_centre_issues_a_key_for_its_own_districts_only(city: City) -> None:
    east = make_officer(city.unit_a, role=Role.COMMAND, username="east_command")
    client = _logged_in(east)
    form = client.get(f"{KEYS}add/")
    assert form.status_code == 200
    html = form.content.decode()
    assert f'value="{city.district_a.pk}"' in html
    assert f'value="{city.street_a.pk}"' in html
    assert f'value="{city.district_b.pk}"' not in html  # 西区 is not 东区's to give
    refused = client.post(f"{KEYS}add/", {"name": "越权", "district": city.district_b.pk})
    assert refused.status_code == 200
    assert "选择一个有效的选项" in refused.content.decode()
    assert not ApiKey.objects.exists()
    resp = client.post(
        f"{KEYS}add/", {"name": "12345热线", "district": city.district_a.pk}, follow=True
    )
    assert resp.status_code == 200
    key = ApiKey.objects.get()
    raw = _shown_key(resp)
    assert services.authenticate_key(raw=raw) == key
    assert raw not in key.digest
    entry = AuditEntry.objects.get(action="open311.key_issued", object_id=str(key.pk))
    assert entry.actor == east.user
    # the list and the key's page never show it again
    for page in (KEYS, f"{KEYS}{key.pk}/change/"):
        shown = client.get(page)
        assert shown.status_code == 200
        assert raw not in shown.content.decode()


def test_the_command_centre_sees_renames_and_disables_only_its_districts_keys(
    city: City, open311_post: Callable[..., Any]
) -> None:
    east = make_officer(city.unit_a, role=Role.COMMAND, username="east_command")
    client = _logged_in(east)
    ours, _ = services.issue_api_key(name="东区热线", district=city.district_a)
    theirs, _ = services.issue_api_key(name="西区热线", district=city.district_b)
    listing = client.get(KEYS).content.decode()
    assert "东区热线" in listing
    assert "西区热线" not in listing
    assert client.get(f"{KEYS}{theirs.pk}/change/").status_code == 302  # not found for it
    renamed = client.post(f"{KEYS}{ours.pk}/change/", {"name": "东区12345热线", "is_active": "on"})
    assert renamed.status_code == 302, renamed.content.decode()[:2000]
    ours.refresh_from_db()
    assert ours.name == "东区12345热线"
    assert AuditEntry.objects.filter(action="admin.change", object_id=str(ours.pk)).exists()
    # the list action disables what the user sees, audited per key
    client.post(
        KEYS,
        {"action": "deactivate", "_selected_action": [ours.pk, theirs.pk]},
        follow=True,
    )
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.is_active, theirs.is_active) == (False, True)
    [entry] = AuditEntry.objects.filter(action="open311.key_disabled")
    assert (entry.object_id, entry.actor) == (str(ours.pk), east.user)
    # nobody deletes a key through the back office; the reports list is read-only
    assert client.get(f"{KEYS}{ours.pk}/delete/").status_code == 403
    public_case(open311_post, phone=PHONE)
    reports = client.get("/admin/open311/publicreport/")
    assert reports.status_code == 200
    assert "138****5678" in reports.content.decode()
    assert PHONE not in reports.content.decode()


def test_other_roles_get_no_key_pages(city: City, leader_a: Officer, officer_a: Officer) -> None:
    services.issue_api_key(name="东区热线", district=city.district_a)
    assert _logged_in(leader_a).get(KEYS).status_code == 403  # staff, without the right
    officer = _logged_in(officer_a).get(KEYS)  # not staff: the log-in page
    assert officer.status_code == 302
    assert "/admin/login/" in officer["Location"]
    supervisor = make_officer(city.unit_a, role=Role.SUPERVISOR, username="supervisor_a")
    assert _logged_in(supervisor).get(KEYS).status_code == 302
