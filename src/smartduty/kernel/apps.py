"""Kernel: no domain knowledge.

Owns base building blocks every app uses: domain errors with Chinese messages, the
`Principal` and scoped querysets (row-level visibility by district subtree), the audit log,
field encryption for personal data, and the worker process (`run_worker`).
"""

from django.apps import AppConfig


class KernelConfig(AppConfig):
    """Kernel app configuration."""

    name = "smartduty.kernel"
    label = "kernel"
    verbose_name = "系统内核"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.kernel import health, timers  # noqa: PLC0415 - wiring only in ready()

        timers.register_builtins()
        health.register_checks()
