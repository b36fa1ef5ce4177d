"""The officer app on a 390×844 phone: the whole core loop, and a report made with no signal."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Locator, Page, Request, Route, expect

from smartduty.demo.data import demo_vehicles
from tests.e2e.conftest import MOVE_WINDOW_S, PASSWORD, Product, scene_photo

pytestmark = [pytest.mark.slow]


def _plates() -> list[str]:
    """Registered demo plates (owner known) of the ordinary 7-character kind."""
    return [v.plate for v in demo_vehicles() if len(v.plate) == 7]


class Taps:
    """Counts the officer's taps."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, target: Locator) -> None:
        self.count += 1
        target.click()


def _login(page: Page, product: Product, username: str = "dong_officer") -> None:
    page.goto(f"{product.url}/app/")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("report-button")).to_be_visible()
    expect(page.get_by_test_id("my-unit")).to_contain_text("东区中队")


def _start_report(page: Page, product: Product, photo: Path, timeout_ms: int = 15_000) -> None:
    """Log in, take `photo` with the report button, and wait for the plate to confirm."""
    _login(page, product)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("report-button").click()
    chooser.value.set_files(str(photo))
    expect(page.get_by_test_id("confirm-plate")).to_be_visible(timeout=timeout_ms)


def _enter_plate(page: Page, taps: Taps | None, plate: str) -> None:
    """Type the plate into the big input, choosing the province first if it differs."""
    province = page.get_by_test_id("province")
    if plate[0] not in (province.text_content() or ""):
        (taps.tap if taps else Locator.click)(province)
        page.get_by_role("listbox").get_by_text(plate[0], exact=True).click()
    page.get_by_test_id("plate-input").fill(plate[1:])


def test_report_sms_recheck_notice_close(
    page: Page, e2e: Product, tmp_path: Path, screenshots: Path
) -> None:
    plate = _plates()[0]
    photo = scene_photo(tmp_path / "scene.jpg", plate)
    page.goto(f"{e2e.url}/app/")
    page.screenshot(path=screenshots / "officer-1-login.png")
    _login(page, e2e)
    page.screenshot(path=screenshots / "officer-2-home.png")

    # home → "SMS sent", counting taps
    taps = Taps()
    started = time.monotonic()
    with page.expect_file_chooser() as chooser:
        taps.tap(page.get_by_test_id("report-button"))
    chooser.value.set_files(str(photo))
    expect(page.get_by_test_id("confirm-plate")).to_be_visible(timeout=15_000)
    reading = page.get_by_test_id("plate-reading")
    had_reading = reading.is_visible()
    read_right = had_reading and (reading.text_content() or "").replace("·", "") == plate
    if had_reading and not read_right:  # the recognizer misread: correct it (flags the edit)
        taps.tap(page.get_by_test_id("edit-plate"))
    if not read_right:
        _enter_plate(page, taps, plate)
    page.screenshot(path=screenshots / "officer-3-report-confirm.png")
    taps.tap(page.get_by_test_id("confirm-plate"))
    sms_state = page.get_by_test_id("sms-state")
    expect(sms_state).to_have_attribute("data-state", "sent", timeout=15_000)
    elapsed = time.monotonic() - started
    print(  # noqa: T201 - the acceptance test reports its figures
        f"\n[e2e] taps from home to 'SMS sent': {taps.count} "
        f"(plate {'read' if read_right else 'corrected' if had_reading else 'typed, no reading'}), "
        f"elapsed {elapsed:.1f} s"
    )
    assert taps.count <= 3
    expect(sms_state).to_contain_text("短信已发送")
    # the console gateway's copy of the SMS, masked number and all
    console = page.get_by_test_id("console-sms")
    expect(console).to_contain_text(plate)
    expect(console).to_contain_text("****")
    page.screenshot(path=screenshots / "officer-4-sms-sent.png")

    # wait out the move window: the worker's timer pump asks for the re-check
    page.get_by_test_id("open-case").click()
    case = page.get_by_test_id("case")
    expect(case).to_have_attribute(
        "data-status", "awaiting_recheck", timeout=(MOVE_WINDOW_S + 20) * 1000
    )
    expect(page.get_by_test_id("recheck-due")).to_be_visible()
    page.screenshot(path=screenshots / "officer-5-recheck-due.png")

    # re-check in two taps: photo → outcome
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("recheck").click()
    chooser.value.set_files(str(scene_photo(tmp_path / "recheck.jpg", plate, (60, 80, 100))))
    page.get_by_test_id("outcome-still").click()
    expect(case).to_have_attribute("data-status", "notice_posted", timeout=15_000)
    expect(page.get_by_test_id("notice-number")).to_contain_text("-")
    page.screenshot(path=screenshots / "officer-6-notice.png")

    # the notice PDF opens (same session cookie as the app)
    href = page.get_by_test_id("open-pdf").get_attribute("href")
    assert href is not None
    pdf = page.request.get(e2e.url + href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    (screenshots / "officer-notice.pdf").write_bytes(pdf.body())

    # photo of the posted notice closes the case
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("notice-photo").click()
    chooser.value.set_files(str(scene_photo(tmp_path / "posted.jpg", plate, (150, 40, 40))))
    expect(case).to_have_attribute("data-status", "closed", timeout=15_000)
    timeline = page.get_by_test_id("timeline")
    for label in ("已上报", "待挪车", "待复查", "已贴单", "已办结"):
        expect(timeline).to_contain_text(label)
    page.screenshot(path=screenshots / "officer-7-closed.png", full_page=True)


def test_an_unsure_reading_marks_the_characters_to_check(
    page: Page, e2e: Product, tmp_path: Path, screenshots: Path
) -> None:
    plate = _plates()[5]
    photo = scene_photo(tmp_path / "scene.jpg", plate)
    # the reader's answer for a hard photo: two characters below 0.5 (the server reads the
    # clear rendered photo itself on upload, to the same plate, so the marks stay)
    reading = {
        "plate": plate,
        "confidence": 0.55,
        "color": "blue",
        "needs_review": True,
        "char_confidences": [0.99, 0.99, 0.99, 0.42, 0.99, 0.31, 0.99],
        "unsure_positions": [3, 5],
    }

    def hard_photo(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(reading))

    page.route("**/api/v1/plates/read", hard_photo)
    _start_report(page, e2e, photo)
    expect(page.get_by_test_id("plate-reading")).to_have_text(f"{plate[:2]}·{plate[2:]}")
    expect(page.get_by_test_id("unsure-char")).to_have_text([plate[3], plate[5]])
    expect(page.get_by_test_id("unsure-hint")).to_have_text("请重点核对黄色标出的第 4、6 位")
    page.screenshot(path=screenshots / "officer-3b-unsure-characters.png")
    # the officer checks and confirms: the case goes on as usual
    page.get_by_test_id("confirm-plate").click()
    expect(page.get_by_test_id("sms-state")).to_have_attribute("data-state", "sent", timeout=15_000)


def test_a_phone_sized_photo_is_read_from_a_small_copy_and_kept_whole(
    page: Page, e2e: Product, tmp_path: Path
) -> None:
    plate = _plates()[6]
    with Image.open(scene_photo(tmp_path / "scene.jpg", plate)) as scene:
        big = scene.resize((4000, 3000), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((4000, 3000), 24).convert("RGB")  # a phone photo's sensor noise
    photo = tmp_path / "phone.jpg"
    Image.blend(big, grain, 0.12).save(photo, "JPEG", quality=92)
    sent: dict[str, int] = {}

    def measure(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(
            ("/api/v1/plates/read", "/api/v1/parking-reports")
        ):
            # Chromium does not hand file bodies to Playwright; their length it does
            length = request.all_headers().get("content-length", "0")
            sent[request.url.rsplit("/", 1)[-1]] = int(length)

    page.on("request", measure)
    _start_report(page, e2e, photo, timeout_ms=20_000)
    expect(page.get_by_test_id("plate-reading")).to_have_text(f"{plate[:2]}·{plate[2:]}")
    original = photo.stat().st_size
    # the reading got a ≤ 2048 px copy; the evidence upload carried the original bytes
    print(  # noqa: T201 - the acceptance test reports its figures
        f"\n[e2e] photo {original} B; sent to /plates/read {sent['read']} B,"
        f" to /parking-reports {sent['parking-reports']} B"
    )
    assert sent["read"] < original / 3, (sent, original)
    assert sent["parking-reports"] > original, (sent, original)


def test_offline_report_is_kept_and_sent_once(
    context: BrowserContext, e2e: Product, tmp_path: Path, screenshots: Path
) -> None:
    plate = _plates()[1]
    page = context.new_page()
    _login(page, e2e)
    # the service worker has cached the app shell and controls the page
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15_000
    )

    context.set_offline(True)
    expect(page.get_by_test_id("signal")).to_contain_text("无信号", timeout=15_000)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("report-button").click()
    chooser.value.set_files(str(scene_photo(tmp_path / "offline.jpg", plate)))
    expect(page.get_by_test_id("save-offline")).to_be_visible(timeout=15_000)
    _enter_plate(page, None, plate)
    page.get_by_test_id("place").locator("input").fill("建设路12号")
    page.screenshot(path=screenshots / "officer-8-offline-report.png")
    page.get_by_test_id("save-offline").click()
    queue = page.get_by_test_id("queue")
    expect(queue).to_have_attribute("data-count", "1")
    expect(page.get_by_test_id("queue-state")).to_contain_text("待发送")
    page.screenshot(path=screenshots / "officer-9-offline-queue.png")

    # close the app and open it again, still with no signal: the report is still there
    page.close()
    page = context.new_page()
    page.goto(f"{e2e.url}/app/")
    queue = page.get_by_test_id("queue")
    expect(queue).to_have_attribute("data-count", "1", timeout=15_000)
    expect(page.get_by_test_id("signal")).to_contain_text("无信号")
    page.screenshot(path=screenshots / "officer-10-offline-reopened.png")

    # signal returns: the queue drains by itself
    context.set_offline(False)
    expect(queue).to_be_hidden(timeout=30_000)
    # a second page load (another flush) must not send it again
    page.reload()
    expect(page.get_by_test_id("report-button")).to_be_visible()
    page.wait_for_timeout(1500)

    with e2e.api("dong_officer") as api:
        mine = api.get("/parking-reports", params={"mine": "true", "limit": 200}).json()
    sent = [r for r in mine if r["plate"] == plate]
    assert len(sent) == 1, sent
    assert sent[0]["status"] == "awaiting_move"
    assert sent[0]["place"] == "建设路12号"
    expect(page.locator(f"[data-testid=case-card][data-plate='{plate}']")).to_be_visible(
        timeout=10_000
    )
    page.screenshot(path=screenshots / "officer-11-offline-sent.png")
