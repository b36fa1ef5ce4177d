"""A district whose code or parent changes takes its subtree (and the rows scoped there) along."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from smartduty.kernel.errors import ValidationFailed
from smartduty.org import services
from smartduty.org.models import District, Officer
from smartduty.org.services import principal_for_user
from smartduty.org.states import DistrictLevel
from tests.factories.org import City

pytestmark = pytest.mark.django_db


def _paths() -> dict[str, str]:
    return dict(District.objects.values_list("code", "path"))


def test_a_new_code_re_paths_the_subtree_and_the_scope_follows(
    city: City, officer_a: Officer
) -> None:
    district_a = District.objects.get(pk=city.district_a.pk)
    district_a.code = "990011"
    services.save_district(district_a)
    paths = _paths()
    assert paths["990011"] == "/990000/990011/"
    assert paths["990001001"] == "/990000/990011/990001001/"
    assert paths["990002001"] == "/990000/990002/990002001/"  # the sibling is untouched
    # an officer of the moved district still sees its street, and not the other district's
    user = get_user_model().objects.get(pk=officer_a.user.pk)  # fresh: no cached district
    seen = District.objects.visible_to(principal_for_user(user))
    assert set(seen.values_list("code", flat=True)) == {"990011", "990001001"}


def test_a_street_moved_to_another_district(city: City) -> None:
    street = District.objects.get(pk=city.street_a.pk)
    street.parent = city.district_b
    services.save_district(street)
    assert _paths()["990001001"] == "/990000/990002/990001001/"


def test_a_loop_or_a_wrong_level_is_refused_and_nothing_changes(city: City) -> None:
    before = _paths()
    district_a = District.objects.get(pk=city.district_a.pk)
    district_a.parent = city.street_a  # under its own street: a loop, and the wrong level
    with pytest.raises(ValidationFailed):
        services.save_district(district_a)
    street = District.objects.get(pk=city.street_a.pk)
    street.parent = city.city  # a 街道 straight under the 市
    with pytest.raises(ValidationFailed, match="上级必须是"):
        services.save_district(street)
    assert _paths() == before


def test_the_back_office_refuses_a_wrong_parent_with_a_chinese_message(city: City) -> None:
    root = get_user_model().objects.create_superuser("district_root", password="pass-1234")
    client = Client()
    client.force_login(root)
    url = f"/admin/org/district/{city.district_a.pk}/change/"
    data = {
        "code": "990001",
        "name": "东区",
        "level": DistrictLevel.DISTRICT,
        "parent": city.street_a.pk,
    }
    resp = client.post(url, data)
    assert resp.status_code == 200  # the form again, with the error
    assert "区县的上级必须是市" in resp.content.decode()
    assert District.objects.get(pk=city.district_a.pk).parent_id == city.city.pk
    data["parent"] = city.city.pk
    data["code"] = "990021"
    resp = client.post(url, data)
    assert resp.status_code == 302
    assert _paths()["990001001"] == "/990000/990021/990001001/"
