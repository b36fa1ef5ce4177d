"""Both SPAs under the site's Content-Security-Policy: no violation, and user text stays text."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from smartduty.demo.data import demo_vehicles
from tests.e2e.conftest import PASSWORD, Product, scene_photo

pytestmark = [pytest.mark.slow]

EVIL_PLACE = "<img src=x onerror=__pwned=1>人民路"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


class Violations:
    """CSP reports of a page: `securitypolicyviolation` events and console errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def all(self) -> list[str]:
        events = self.page.evaluate("window.__csp || []")
        return [*events, *self.console]


def test_command_centre_shows_a_hostile_place_as_text_without_csp_violations(
    browser: Browser, e2e: Product, tmp_path: Path
) -> None:
    plate = [v.plate for v in demo_vehicles() if len(v.plate) == 7][20]
    with e2e.api("dong_officer") as api:
        resp = api.post(
            "/parking-reports",
            files={"file": ("x.jpg", scene_photo(tmp_path / "x.jpg", plate).read_bytes())},
            data={"plate": plate, "place": EVIL_PLACE, "lat": "36.456", "lon": "115.985"},
        )
        assert resp.status_code == 201, resp.text
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    watch = Violations(page)
    fetched_x: list[str] = []
    page.on("request", lambda r: fetched_x.append(r.url) if r.url.endswith("/x") else None)
    page.goto(f"{e2e.url}/command/")
    page.locator("input[name=username]").fill("zhihui")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("updated")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("map")).not_to_have_attribute("data-points", "0")
    page.wait_for_timeout(1000)  # the map fits its markers
    markers = page.locator("[data-testid=map] path.leaflet-interactive")
    shown = page.locator(".leaflet-tooltip", has_text="onerror")
    for i in range(markers.count()):
        markers.nth(i).hover(force=True)
        if shown.count():
            break
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(EVIL_PLACE)
    assert shown.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert fetched_x == []
    assert watch.all() == []
    context.close()


def test_officer_app_runs_under_the_csp(browser: Browser, e2e: Product) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    watch = Violations(page)
    resp = page.goto(f"{e2e.url}/app/")
    assert resp is not None
    assert "img-src 'self' data: blob:;" in resp.headers["content-security-policy"]
    page.locator("input[name=username]").fill("dong_officer")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("report-button")).to_be_visible()
    page.wait_for_timeout(1000)  # service worker, manifest, icons
    # Vant's icon font comes from its inlined woff2 (the CDN fallback is dropped at build)
    assert page.evaluate("[...document.fonts].map(f => f.family + ' ' + f.status)") == [
        "vant-icon loaded"
    ]
    assert watch.all() == []
    context.close()
