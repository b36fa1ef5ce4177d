"""kernel.fsm: every branch of the generic transition step, on a throwaway table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

import pytest
from django.db import connection, models, transaction

from smartduty.kernel import fsm
from smartduty.kernel.errors import Conflict, NotFound


class Light(models.TextChoices):
    """States of the test aggregate."""

    RED = "red", "红灯"
    GREEN = "green", "绿灯"
    OFF = "off", "关闭"


class Switch(models.TextChoices):
    """Actions of the test aggregate."""

    GO = "go", "放行"
    STOP = "stop", "停止"
    SHUT = "shut", "关闭"


ALLOWED: Final[Mapping[tuple[Light, Switch], Light]] = {
    (Light.RED, Switch.GO): Light.GREEN,
    (Light.GREEN, Switch.STOP): Light.RED,
    (Light.RED, Switch.SHUT): Light.OFF,
}


class Lamp(models.Model):
    """A throwaway aggregate; its app label is not installed, so no app lists it."""

    status = models.CharField(max_length=10, choices=Light.choices, default=Light.RED)
    version = models.PositiveIntegerField(default=1)
    note = models.CharField(max_length=20, blank=True)

    class Meta:
        app_label = "kernel_fsm_tests"

    def __str__(self) -> str:
        return self.status


class Plain(models.Model):
    """An aggregate whose status field has no choices."""

    status = models.CharField(max_length=10, default="a")
    version = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "kernel_fsm_tests"

    def __str__(self) -> str:
        return self.status


@pytest.fixture(scope="module")
def tables(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Create the throwaway tables once for this module."""
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.create_model(Lamp)
        editor.create_model(Plain)
    yield
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.delete_model(Lamp)
        editor.delete_model(Plain)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tables")]


def test_allowed_move_saves_status_and_bumps_version() -> None:
    lamp = Lamp.objects.create()
    step = fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED)
    assert (step.from_status, step.to_status) == (Light.RED, Light.GREEN)
    assert step.obj.status == Light.GREEN
    assert step.obj.version == 2
    lamp.refresh_from_db()
    assert (lamp.status, lamp.version) == (Light.GREEN, 2)


def test_result_unpacks_like_a_tuple() -> None:
    lamp = Lamp.objects.create()
    obj, from_status, to_status = fsm.apply_transition(Lamp, lamp.pk, "shut", allowed=ALLOWED)
    assert (obj.pk, from_status, to_status) == (lamp.pk, "red", "off")


def test_matching_expected_version_passes() -> None:
    lamp = Lamp.objects.create(version=7)
    step = fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED, expected_version=7)
    assert step.obj.version == 8


def test_stale_version_is_a_conflict_and_changes_nothing() -> None:
    lamp = Lamp.objects.create(version=3)
    with pytest.raises(Conflict) as caught:
        fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED, expected_version=2)
    assert not isinstance(caught.value, fsm.InvalidTransition)
    assert caught.value.status == 409
    assert caught.value.code == "conflict"
    assert "当前版本 3" in caught.value.message
    assert caught.value.details == {"current_version": 3, "expected_version": 2}
    lamp.refresh_from_db()
    assert (lamp.status, lamp.version) == (Light.RED, 3)


def test_illegal_move_is_an_invalid_transition_with_chinese_labels() -> None:
    lamp = Lamp.objects.create(status=Light.GREEN)
    with pytest.raises(fsm.InvalidTransition) as caught:
        fsm.apply_transition(Lamp, lamp.pk, Switch.SHUT, allowed=ALLOWED)
    error = caught.value
    assert isinstance(error, Conflict)
    assert (error.status, error.code) == (409, "invalid_transition")
    assert error.message == "当前状态“绿灯”不允许“关闭”操作"
    assert error.details == {"status": "green", "action": "shut"}
    lamp.refresh_from_db()
    assert (lamp.status, lamp.version) == (Light.GREEN, 1)


def test_plain_string_action_and_status_without_choices_fall_back_to_values() -> None:
    row = Plain.objects.create()
    with pytest.raises(fsm.InvalidTransition) as caught:
        fsm.apply_transition(Plain, row.pk, "jump", allowed={("a", "walk"): "b"})
    assert caught.value.message == "当前状态“a”不允许“jump”操作"


def test_status_label_lookup_skips_non_matching_choices() -> None:
    lamp = Lamp.objects.create(status=Light.OFF)
    with pytest.raises(fsm.InvalidTransition) as caught:
        fsm.apply_transition(Lamp, lamp.pk, "go", allowed=ALLOWED)
    assert "“关闭”不允许“go”" in caught.value.message


def test_status_outside_its_choices_shows_the_raw_value() -> None:
    lamp = Lamp.objects.create(status="blinking")
    with pytest.raises(fsm.InvalidTransition) as caught:
        fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED)
    assert "“blinking”" in caught.value.message


def test_missing_row_is_not_found() -> None:
    with pytest.raises(NotFound):
        fsm.apply_transition(Lamp, 999_999, Switch.GO, allowed=ALLOWED)


def test_extra_changes_are_saved_with_the_move() -> None:
    lamp = Lamp.objects.create()
    fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED, changes={"note": "manual"})
    lamp.refresh_from_db()
    assert (lamp.status, lamp.note) == (Light.GREEN, "manual")


def move_then_fail(lamp: Lamp) -> None:
    """A caller whose own write fails after the move, inside its transaction."""
    with transaction.atomic():
        fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED)
        raise RuntimeError("the caller's Transition row failed")


def test_joins_the_callers_transaction() -> None:
    lamp = Lamp.objects.create()
    with pytest.raises(RuntimeError):
        move_then_fail(lamp)
    lamp.refresh_from_db()
    assert (lamp.status, lamp.version) == (Light.RED, 1)


def test_every_pair_of_the_table() -> None:
    for status in Light:
        for action in Switch:
            lamp = Lamp.objects.create(status=status)
            expected = ALLOWED.get((status, action))
            if expected is None:
                with pytest.raises(fsm.InvalidTransition):
                    fsm.apply_transition(Lamp, lamp.pk, action, allowed=ALLOWED)
            else:
                step = fsm.apply_transition(Lamp, lamp.pk, action, allowed=ALLOWED)
                assert step.to_status == expected


def test_next_status_and_allowed_actions() -> None:
    assert fsm.next_status(ALLOWED, Light.RED, Switch.GO) == Light.GREEN
    assert fsm.next_status(ALLOWED, Light.OFF, Switch.GO) is None
    assert fsm.allowed_actions(ALLOWED, Light.RED) == [Switch.GO, Switch.SHUT]
    assert fsm.allowed_actions(ALLOWED, Light.OFF) == []


def test_a_caught_refusal_leaves_the_callers_transaction_usable() -> None:
    lamp = Lamp.objects.create(status=Light.OFF)
    with transaction.atomic():
        with pytest.raises(fsm.InvalidTransition):
            fsm.apply_transition(Lamp, lamp.pk, Switch.GO, allowed=ALLOWED)
        assert Lamp.objects.filter(pk=lamp.pk).exists()
