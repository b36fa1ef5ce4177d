"""Back office: scoped, read-only photo list with thumbnails and the “校验原件” action."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from smartduty.evidence.models import Photo
from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer
from smartduty.org.states import Role
from tests.factories.evidence import make_photo
from tests.factories.org import City, make_officer

pytestmark = pytest.mark.django_db

BASE = "/admin/evidence/photo/"


def _login(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.user)
    return client


def test_list_detail_and_images(leader_a: Officer, officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    client = _login(leader_a)
    listing = client.get(BASE)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"{BASE}{photo.pk}/thumbnail/" in html
    assert photo.blob.sha256[:12] in html
    assert officer_a.badge_number in html

    thumb = client.get(f"{BASE}{photo.pk}/thumbnail/")
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    assert client.get(f"{BASE}{photo.pk}/display/")["Content-Type"] == "image/jpeg"

    detail = client.get(f"{BASE}{photo.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "校验原件" in page
    assert photo.blob.sha256 in page
    assert 'name="_save"' not in page


def test_photos_are_not_editable(leader_a: Officer, officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    client = _login(leader_a)
    assert client.get(f"{BASE}add/").status_code == 403
    assert client.get(f"{BASE}{photo.pk}/delete/").status_code == 403
    client.post(f"{BASE}{photo.pk}/change/", {"place": "改过"})
    photo.refresh_from_db()
    assert photo.place == ""


def test_verify_button_reports_results(leader_a: Officer, officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    client = _login(leader_a)
    assert client.get(f"{BASE}{photo.pk}/verify/").status_code == 405
    ok = client.post(f"{BASE}{photo.pk}/verify/", follow=True)
    assert "校验通过" in ok.content.decode()
    with default_storage.open(photo.blob.storage_name, "wb") as fh:
        fh.write(b"tampered")
    bad = client.post(f"{BASE}{photo.pk}/verify/", follow=True)
    assert "校验失败" in bad.content.decode()
    assert "原件不一致" in bad.content.decode()
    assert AuditEntry.objects.filter(action="evidence.integrity_failed").count() == 1
    assert AuditEntry.objects.filter(action="evidence.integrity_verified").count() == 1


def test_bulk_verify_action(leader_a: Officer, officer_a: Officer) -> None:
    photos = [make_photo(officer_a, place=str(index)) for index in range(2)]
    default_storage.delete(photos[1].display_name)
    client = _login(leader_a)
    resp = client.post(
        BASE,
        {"action": "verify_selected", "_selected_action": [str(p.pk) for p in photos]},
        follow=True,
    )
    page = resp.content.decode()
    assert "已校验 2 张照片，其中 1 张校验失败" in page
    assert "展示图缺失或无法读取" in page


def test_other_district_sees_nothing(city: City, officer_a: Officer) -> None:
    photo = make_photo(officer_a)
    leader_b = make_officer(city.unit_b, role=Role.SQUAD_LEADER, username="leader_b")
    client = _login(leader_b)
    assert str(photo.blob.sha256[:12]) not in client.get(BASE).content.decode()
    for suffix in ("thumbnail/", "display/", "change/"):
        assert client.get(f"{BASE}{photo.pk}/{suffix}").status_code in {302, 404}
    assert client.post(f"{BASE}{photo.pk}/verify/").status_code == 404
    assert Photo.objects.count() == 1
