"""The command centre's two-factor screens: enrolment (QR code, secret, recovery codes), then
a log-in that asks for the code (here one of the recovery codes)."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PASSWORD, Product

pytestmark = [pytest.mark.slow]


def test_command_centre_enrols_and_asks_for_the_code(browser: Browser, e2e: Product) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{e2e.url}/command/")
    page.locator("input[name=username]").fill("dong_leader")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    # the role requires two-factor: the enrolment screen, not the dashboard
    expect(page.get_by_test_id("otp-qr")).to_be_visible(timeout=15_000)
    assert page.request.get(f"{e2e.url}/api/v1/me").status == 401
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    code = totp(b32decode(secret + "=" * (-len(secret) % 8)))
    page.get_by_test_id("otp-code").fill(f"{code:06d}")
    page.get_by_test_id("otp-confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text().strip()
    page.get_by_test_id("otp-continue").click()
    assert page.request.get(f"{e2e.url}/api/v1/me").status == 200
    context.close()

    again = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = again.new_page()
    page.goto(f"{e2e.url}/command/")
    page.locator("input[name=username]").fill("dong_leader")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("alert")).to_contain_text("动态验证码")
    assert page.request.get(f"{e2e.url}/api/v1/me").status == 401
    page.get_by_test_id("login-otp").fill(recovery)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("otp-qr")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0, timeout=15_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=login-submit]')")
    assert page.request.get(f"{e2e.url}/api/v1/me").status == 200
    again.close()
