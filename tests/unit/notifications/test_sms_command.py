"""`manage.py sms test`: one sample SMS through a district's vendor, answered on the console."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smartduty.kernel.models import AuditEntry
from smartduty.notifications.ports import PermanentSendError, RetryableSendError
from smartduty.notifications.providers import provider_key, senders
from smartduty.notifications.providers.recording import RecordingSender
from tests.factories.org import City

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("sms", "test", *args, stdout=out)
    return out.getvalue()


def test_the_sample_goes_through_the_districts_provider(city: City) -> None:
    recorder = RecordingSender()
    with senders().override(provider_key(channel="sms", name="console"), recorder):
        printed = _run("--to", PHONE, "--district", city.district_a.code)
    assert [m.address for m in recorder.sent] == [PHONE]
    assert recorder.sent[0].template_code == "SD_MOVE_001"
    assert "鲁A12345" in recorder.sent[0].rendered_text
    assert "138****8000" in printed
    assert PHONE not in printed
    assert "消息编号 rec-" in printed
    entry = AuditEntry.objects.get(action="notifications.sms_test")
    assert entry.district_path == city.district_a.path
    assert PHONE not in entry.reason


@pytest.mark.parametrize(
    ("error", "says"),
    [(RetryableSendError("限流"), "暂时失败"), (PermanentSendError("模板未审核"), "发送失败")],
)
def test_a_vendor_refusal_fails_the_command_with_its_reason(
    city: City, error: Exception, says: str
) -> None:
    recorder = RecordingSender()
    recorder.fail_next(error)  # type: ignore[arg-type]
    with (
        senders().override(provider_key(channel="sms", name="console"), recorder),
        pytest.raises(CommandError, match=says),
    ):
        _run("--to", PHONE, "--district", city.district_a.code)
    assert recorder.sent == []
    assert AuditEntry.objects.filter(action="notifications.sms_test").count() == 1


def test_bad_input_is_refused_before_anything_is_sent(city: City) -> None:
    with pytest.raises(CommandError, match="未找到辖区代码"):
        _run("--to", PHONE, "--district", "000000")
    with pytest.raises(CommandError, match="未注册"):
        _run("--to", PHONE, "--district", city.district_a.code, "--provider", "nobody")
    with pytest.raises(CommandError):
        _run("--to", "12345", "--district", city.district_a.code)
    assert not AuditEntry.objects.filter(action="notifications.sms_test").exists()
