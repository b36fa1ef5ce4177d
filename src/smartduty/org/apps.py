"""Organisation: districts (市 → 区 → 街道), agencies (城管, 交警), units, officers, tokens."""

from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate, post_save


class OrgConfig(AppConfig):
    """Org app configuration. `ready()` keeps the role groups in sync after every migrate,
    revokes tokens when a password changes and stamps a session's log-in time."""

    name = "smartduty.org"
    label = "org"
    verbose_name = "组织机构"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.kernel.admin_support import ScopedAuditedAdmin  # noqa: PLC0415
        from smartduty.org import receivers, services  # noqa: PLC0415 - wiring only in ready()

        ScopedAuditedAdmin.principal_factory = services.principal_for_user
        post_migrate.connect(receivers.sync_role_groups, dispatch_uid="org.sync_role_groups")
        post_save.connect(
            receivers.revoke_tokens_on_password_change,
            sender=get_user_model(),
            dispatch_uid="org.revoke_tokens_on_password_change",
        )
        user_logged_in.connect(receivers.stamp_session_login, dispatch_uid="org.stamp_session")
