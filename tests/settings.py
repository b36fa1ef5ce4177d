"""Test settings: the production settings with fast hashing, temp media and immediate tasks."""

import tempfile
from pathlib import Path

from smartduty.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_TMP = Path(tempfile.mkdtemp(prefix="smartduty-test-"))
MEDIA_ROOT = _TMP / "media"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
POLICY_MOVE_WINDOW_OVERRIDE_SECONDS = None
STATIC_ROOT = _TMP / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# parking tests send plates themselves; the recognition tests cover reading on upload
PARKING_RECOGNIZE_ON_UPLOAD = False
# our SQLite engine wraps Django's (write gate); pytest-django recognises only Django's own
# engine name as SQLite, so say explicitly that each xdist worker tests in memory
if DATABASES["default"]["ENGINE"] == "smartduty.kernel.sqlite":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
# the limiter runs on every write (its cost is in every test), but tests that post in loops
# must not meet it; tests of the limits set their own (tests/unit/kernel/test_ratelimit.py)
RATE_LIMIT_WRITES_PER_MINUTE = 100_000
RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE = 100_000
RATE_LIMIT_PLATE_READS_PER_MINUTE = 100_000
