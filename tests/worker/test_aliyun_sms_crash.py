"""`kill -9` a real `run_worker` while Aliyun (the loopback fake) holds its `SendSms` call.

The fake accepts the message, then answers nothing: the worst moment, the vendor has the
message and the outbox does not know. After a restart the delivery's lease expires, the
message is sent again with the same `OutId`, the vendor answers the first `BizId`, and exactly
one message was accepted.

The worker reads the adapter's configuration from `SMARTDUTY_SMS_ALIYUN__*` (`env.SmsAliyunEnv`
→ `settings.SMS_ALIYUN`, registered by `NotificationsConfig.ready()`); the test is skipped
while the environment has no such group.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from smartduty.env import Env
from tests.contract.fakes.aliyun_sms import FakeAliyunSms
from tests.factories.notifications import MOVE_PARAMS
from tests.worker.conftest import WorkerEnv
from tests.worker.test_crash import pause

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(
        "sms_aliyun" not in Env.model_fields,
        reason="smartduty.env.Env has no `sms_aliyun` group yet (SMARTDUTY_SMS_ALIYUN__*)",
    ),
]
VENDOR_TEMPLATE = "SMS_465920001"
LEASE_S = 6
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 1.5

DELIVERIES = (
    "import json; from smartduty.notifications.models import Delivery; "
    "print(json.dumps([[str(d.public_id), d.status, d.attempts, d.provider_message_id] "
    "for d in Delivery.objects.order_by('id')]))"
)
PROVIDERS = (
    "from smartduty.notifications.providers import provider_names; "
    "print(provider_names(channel='sms'))"
)


@pytest.fixture
def aliyun(worker_env: WorkerEnv) -> Iterator[tuple[WorkerEnv, FakeAliyunSms]]:
    """The worker environment pointed at a running fake, with a short outbox lease."""
    with FakeAliyunSms(templates={VENDOR_TEMPLATE: tuple(MOVE_PARAMS)}) as fake:
        env = worker_env.with_env(
            SMARTDUTY_SMS_ALIYUN__ACCESS_KEY_ID=fake.access_key_id,
            SMARTDUTY_SMS_ALIYUN__ACCESS_KEY_SECRET=fake.access_key_secret,
            SMARTDUTY_SMS_ALIYUN__ENDPOINT=fake.endpoint,
            SMARTDUTY_SMS_ALIYUN__TEMPLATES=json.dumps({"SD_MOVE_001": VENDOR_TEMPLATE}),
            SMARTDUTY_SMS_ALIYUN__CONNECT_TIMEOUT_SECONDS=str(CONNECT_TIMEOUT_S),
            SMARTDUTY_SMS_ALIYUN__READ_TIMEOUT_SECONDS=str(READ_TIMEOUT_S),
            SMARTDUTY_WORKER__NOTIFICATIONS_LEASE_SECONDS=str(LEASE_S),
        )
        providers = env.manage("shell", "-c", PROVIDERS)
        assert providers.returncode == 0, providers.stderr
        assert "aliyun_sms" in providers.stdout, (
            "provider aliyun_sms is not registered: NotificationsConfig.ready() must call "
            f"aliyun_sms.register_if_configured() ({providers.stdout.strip()})"
        )
        yield env, fake


def deliveries(env: WorkerEnv) -> list[list[Any]]:
    done = env.manage("shell", "-c", DELIVERIES)
    assert done.returncode == 0, done.stderr
    rows: list[list[Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def test_killed_while_aliyun_holds_the_call_then_resent_with_the_same_out_id(
    aliyun: tuple[WorkerEnv, FakeAliyunSms],
) -> None:
    env, fake = aliyun
    key = env.ops("queue_sms", provider="aliyun_sms")["public_id"]

    # 1. the worker claims the SMS and calls Aliyun, which accepts it and answers nothing
    fake.stall()
    first = env.start_worker()
    if not fake.stalled.wait(timeout=15):
        pytest.fail(f"the worker never called the fake; output:\n{first.output}")
    first.kill9()
    assert [a.out_id for a in fake.accepted] == [key]  # the vendor has it
    [(public_id, status, attempts, provider_id)] = deliveries(env)
    assert (public_id, status, attempts, provider_id) == (key, "sending", 1, "")

    # 2. restarted, the worker waits out the dead worker's lease and sends again
    fake.release()
    second = env.start_worker()
    sent = second.wait_for(rf"delivery sent id={key} .* duplicate=(\w+)", LEASE_S + 10)
    assert sent.group(1) == "False"  # a new process cannot know; the vendor dropped it
    resent = fake.received_for(key)
    assert [r.out_id for r in resent] == [key, key]
    assert all(r.signature_valid for r in resent)
    [accepted] = fake.accepted_for(key)
    assert len(fake.accepted) == 1
    assert resent[1].answer["BizId"] == accepted.biz_id
    assert deliveries(env) == [[key, "sent", 2, accepted.biz_id]]
    assert "13800138000" not in first.output + second.output
    assert second.stop() == 0


def test_a_stalled_call_times_out_and_is_retried_by_the_running_worker(
    aliyun: tuple[WorkerEnv, FakeAliyunSms],
) -> None:
    env, fake = aliyun
    key = env.ops("queue_sms", provider="aliyun_sms")["public_id"]
    fake.stall()
    worker = env.start_worker()
    started = time.monotonic()
    assert fake.stalled.wait(timeout=15), worker.output
    worker.wait_for(rf"id={key}.*超时", CONNECT_TIMEOUT_S + READ_TIMEOUT_S + 5)
    assert time.monotonic() - started < CONNECT_TIMEOUT_S + READ_TIMEOUT_S + 5
    fake.release()
    worker.wait_for(rf"delivery sent id={key} ", 60)  # after the outbox's back-off
    pause(0.2)
    assert len(fake.accepted_for(key)) == 1
    assert [row[1] for row in deliveries(env)] == ["sent"]
    assert worker.stop() == 0
