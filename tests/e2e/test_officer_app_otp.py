"""The officer app's log-in asks for the one-time code when the account has two-factor (a 中队长
under the e2e product's policy), and logs in with it."""

from __future__ import annotations

import secrets

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PASSWORD, Product, _run

pytestmark = [pytest.mark.slow]

# an account of its own, so that this test does not depend on test_command_centre_otp's order
ENROL = """
from smartduty.org.models import Unit
from smartduty.org.services import create_officer
from smartduty.org.states import Role
from django_otp.plugins.otp_totp.models import TOTPDevice
officer = create_officer(username="otp_leader", password={password!r}, name="两步中队长",
    badge_number="SF9901", unit=Unit.objects.filter(level="zhongdui").first(),
    roles=[Role.SQUAD_LEADER])
TOTPDevice.objects.create(user=officer.user, name="手机", key={key!r}, confirmed=True)
"""


def test_officer_app_asks_for_the_code(browser: Browser, e2e: Product) -> None:
    key = secrets.token_hex(20)
    _run(e2e.env, "shell", "-c", ENROL.format(password=PASSWORD, key=key))
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{e2e.url}/app/")
    page.locator("input[name=username]").fill("otp_leader")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    # right password, no code: the app asks for it, and nobody is logged in yet
    expect(page.get_by_test_id("login-otp")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("alert")).to_contain_text("动态验证码")
    assert page.request.get(f"{e2e.url}/api/v1/me").status == 401
    # a wrong code is refused, the field stays
    wrong = "000000" if totp(bytes.fromhex(key)) != 0 else "111111"
    page.get_by_test_id("login-otp").locator("input").fill(wrong)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("alert")).to_contain_text("验证码错误")
    assert page.request.get(f"{e2e.url}/api/v1/me").status == 401
    page.wait_for_timeout(1500)  # django-otp slows the next try after a wrong code by 1 s
    page.get_by_test_id("login-otp").locator("input").fill(f"{totp(bytes.fromhex(key)):06d}")
    page.get_by_test_id("login-submit").click()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=login-submit]')", timeout=15_000
    )
    assert page.request.get(f"{e2e.url}/api/v1/me").json()["username"] == "otp_leader"
    context.close()
