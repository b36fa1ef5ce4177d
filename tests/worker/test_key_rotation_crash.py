"""`rotate_field_key` killed with SIGKILL halfway: nothing is lost, the next run finishes.

Real processes on a real database file (or the PostgreSQL test database): rows are written
under the old key, the rotation runs under the new key with the old one as fallback, in
batches of 2 with a pause, and is killed after its first batches. Every row still decrypts to
its original value (some under the new key, the rest under the old), and a second run
rotates the rest and exits 0.
"""

from __future__ import annotations

import json

from tests.worker.conftest import WorkerEnv

OLD = "old-field-key-for-the-crash-test-0123"
NEW = "new-field-key-for-the-crash-test-4567"
COUNT = 10


def _plain(env: WorkerEnv) -> list[str]:
    return [row["plain"] for row in env.ops("encrypted_state")["rows"]]


def test_a_rotation_killed_halfway_loses_nothing_and_resumes(worker_env: WorkerEnv) -> None:
    old = worker_env.with_env(SMARTDUTY_FIELD_KEY=OLD)
    old.ops("seed_encrypted", count=COUNT)
    originals = _plain(old)
    assert len(originals) == 2 * COUNT
    assert all(p.isdigit() for p in originals)

    new = worker_env.with_env(
        SMARTDUTY_FIELD_KEY=NEW, SMARTDUTY_FIELD_KEY_FALLBACKS=json.dumps([OLD])
    )
    rotation = new.start_command("rotate_field_key", "--batch-size", "2", "--pause-ms", "400")
    rotation.wait_for(r"vehicles\.owner_phone: 4/10", 30.0)
    rotation.kill9()

    halfway = new.ops("encrypted_state")["rows"]
    assert [row["plain"] for row in halfway] == originals  # every row still reads
    current = sum(row["current"] for row in halfway)
    assert 4 <= current < 2 * COUNT  # killed in the middle

    done = new.manage("rotate_field_key", "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    assert "notifications.recipient: 完成" in done.stdout
    final = new.ops("encrypted_state")["rows"]
    assert [row["plain"] for row in final] == originals
    assert all(row["current"] for row in final)

    # the old key can now go: the new one alone reads everything
    assert _plain(worker_env.with_env(SMARTDUTY_FIELD_KEY=NEW)) == originals
