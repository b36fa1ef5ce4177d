"""The back-office site: Django's admin with a throttled, audited log-in and TOTP per role.

Installed as the default site by `org.apps.SmartdutyAdminConfig` (in place of
`django.contrib.admin` in `INSTALLED_APPS`), so every `admin.site.register` lands here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import DomainError, TooManyAttempts
from smartduty.org import otp, services


class OtpAdminLoginForm(AdminAuthenticationForm):
    """Username, password and (for enrolled accounts) the one-time code, checked by
    `services.log_in`: throttled per account and source, every outcome audited."""

    otp_token = forms.CharField(
        label="动态验证码",
        required=False,
        max_length=16,
        help_text="已绑定身份验证器的账号须填写 6 位动态验证码（或一个恢复码）",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        try:
            result = services.log_in(
                username=username,
                password=password,
                otp=self.cleaned_data.get("otp_token") or "",
                ip_address=client_ip(self.request) if self.request else None,
                channel="admin",
                allow_enrolment=True,
            )
        except TooManyAttempts as exc:
            self.retry_after = exc.retry_after
            raise ValidationError(exc.message, code="throttled") from exc
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        if result.device is not None:
            # django-otp's user_logged_in receiver marks the session verified by this device
            result.user.otp_device = result.device  # type: ignore[attr-defined]
        self.user_cache = result.user
        self.confirm_login_allowed(result.user)
        return self.cleaned_data


class SmartdutyAdminSite(admin.AdminSite):
    """Admin site whose pages need a verified session where the role requires two-factor."""

    login_form = OtpAdminLoginForm
    login_template = "admin/smartduty_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and otp.session_ok(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not otp.session_ok(user)
        ):
            target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return HttpResponseRedirect(f"{reverse('web-otp')}?{urlencode({'next': target})}")
        response: HttpResponse = super().login(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        retry_after = getattr(context.get("form"), "retry_after", None)
        if retry_after:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response
