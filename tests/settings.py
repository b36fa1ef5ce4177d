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
