"""A bearer token's user comes with its officer record: the principal needs one more query
(permissions), not two, and is the same as one built from a plain user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartduty.org import services
from smartduty.org.models import Officer
from tests.factories.org import City

pytestmark = pytest.mark.django_db


def test_the_token_loads_the_officer_with_unit_and_district(city: City, officer_a: Officer) -> None:
    _, raw = services.issue_token(user=officer_a.user)
    user = services.authenticate_token(raw=raw)
    with CaptureQueriesContext(connection) as queries:
        principal, officer = services.principal_and_officer_for_user(user)
        assert officer is not None
        district_path = officer.unit.district.path
        agency = officer.unit.agency.kind
    assert len(queries.captured_queries) == 1  # the permissions; the officer came with the token
    plain, plain_officer = services.principal_and_officer_for_user(
        User.objects.get(pk=officer_a.user.pk)
    )
    assert principal == plain
    assert plain_officer is not None
    assert (officer.pk, district_path, agency) == (
        plain_officer.pk,
        city.unit_a.district.path,
        plain_officer.unit.agency.kind,
    )
    assert principal.district_path == city.unit_a.district.path


def test_a_token_of_an_account_without_officer_record() -> None:
    staff = User.objects.create_user("no_officer", password="pass-1234")
    _, raw = services.issue_token(user=staff)
    user = services.authenticate_token(raw=raw)
    with CaptureQueriesContext(connection) as queries:
        principal, officer = services.principal_and_officer_for_user(user)
    assert officer is None
    assert principal.district_path is None
    assert principal.officer_id is None
    assert len(queries.captured_queries) == 1
