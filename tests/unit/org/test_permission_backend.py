"""The one-query permission backend answers exactly as Django's `ModelBackend`, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartduty.org.backends import OneQueryModelBackend

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission caches


def test_same_permissions_as_django_in_one_query() -> None:
    own = Permission.objects.get(codename="view_parkingreport")
    via_group = Permission.objects.get(codename="void_parkingreport")
    both = Permission.objects.get(codename="change_districtpolicy")
    group = Group.objects.create(name="中队长（测试）")
    group.permissions.add(via_group, both)
    user = User.objects.create_user("perm_user", password="pass-1234")
    user.user_permissions.add(own, both)
    user.groups.add(group)
    expected = ModelBackend().get_all_permissions(_fresh(user))
    assert expected == {
        "parking.view_parkingreport",
        "parking.void_parkingreport",
        "policy.change_districtpolicy",
    }
    fresh = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        assert OneQueryModelBackend().get_all_permissions(fresh) == expected
        assert OneQueryModelBackend().has_perm(fresh, "parking.void_parkingreport")
    assert len(queries.captured_queries) == 1  # and the second call used the cache


def test_superusers_inactive_users_and_objects() -> None:
    root = User.objects.create_superuser("perm_root", password="pass-1234")
    assert OneQueryModelBackend().get_all_permissions(_fresh(root)) == (
        ModelBackend().get_all_permissions(_fresh(root))
    )
    idle = User.objects.create_user("perm_idle", password="pass-1234", is_active=False)
    idle.user_permissions.add(Permission.objects.get(codename="view_parkingreport"))
    assert OneQueryModelBackend().get_all_permissions(_fresh(idle)) == set()
    assert OneQueryModelBackend().get_all_permissions(_fresh(root), obj=object()) == set()
    nobody = User.objects.create_user("perm_nobody", password="pass-1234")
    assert OneQueryModelBackend().get_all_permissions(_fresh(nobody)) == set()
