"""The admin app's configuration with our default site (listed in `INSTALLED_APPS` in place
of `django.contrib.admin`; a module of its own, so `smartduty.org` keeps one `AppConfig`)."""

from django.contrib.admin.apps import AdminConfig


class SmartdutyAdminConfig(AdminConfig):
    """`django.contrib.admin` with our site (`org.admin_site`): throttled, audited log-in,
    TOTP for the roles that require it."""

    default_site = "smartduty.org.admin_site.SmartdutyAdminSite"
