"""Production settings plus the fault-injection app and a 2-second outbox lease."""

from smartduty.settings import *  # noqa: F403
from smartduty.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.worker.faultapp.apps.FaultConfig"]
NOTIFICATIONS_LEASE_SECONDS = 2
