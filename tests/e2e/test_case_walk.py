"""The acceptance walk of the case screens (issue 12): the 东区 监督员 reports 占道经营 in
≤ 3 taps on a phone, the command centre sees it routed to the grid's unit and registers and
dispatches it, a 队员 of that unit (not the reporter) handles it with an after-photo in the
officer app, the reporting 监督员 verifies it there with a photo (the category is verified by
a 监督员), and the KPI tab counts it as 结案 and 按期结案 for today. A screenshot of every step
goes to `var/screenshots/walk-*.png`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.conftest import PASSWORD, Product, scene_photo

pytestmark = [pytest.mark.slow]

# inside the demo grid layer's 人民路街道 (东区): its 城管 unit is 东区中队 (seed_demo)
HERE = {"latitude": 36.4567, "longitude": 115.9853, "accuracy": 10}
UNIT = "东区中队"
REPORTER = "dong_supervisor"  # 监督员 (reports, verifies); in 东区中队 like the demo's others
HANDLER = "dong_officer"  # 队员 of 东区中队: handles what is dispatched to the unit
WALL = {
    "viewport": {"width": 1920, "height": 1080},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


class Taps:
    """Counts the officer's taps from the home screen."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, target: Locator) -> None:
        self.count += 1
        target.click()


def _phone(browser: Browser) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=HERE,
        permissions=["geolocation"],
    )


def _login_app(page: Page, e2e: Product, username: str) -> None:
    page.goto(f"{e2e.url}/app/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("my-unit")).to_contain_text(UNIT, timeout=15_000)


def _login_wall(page: Page, e2e: Product, hash_path: str) -> None:
    page.goto(f"{e2e.url}/command/#/{hash_path}")
    page.locator("input[name=username]").fill("zhihui")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()


def _act(board: Page, action: str, photo: Path | None = None) -> None:
    board.get_by_test_id(f"act-{action}").click()
    if photo is not None:
        board.get_by_test_id("action-photo").set_input_files(str(photo))
    board.get_by_test_id("action-submit").click()


def test_case_walk(browser: Browser, e2e: Product, tmp_path: Path, screenshots: Path) -> None:
    api = e2e.api("zhihui")
    shot = lambda page, name: page.screenshot(path=screenshots / f"walk-{name}.png")  # noqa: E731

    # 1. 上报: the 监督员, first use of the app on this phone, reports 占道经营 in ≤ 3 taps
    phone = _phone(browser)
    page = phone.new_page()
    _login_app(page, e2e, REPORTER)
    tile = page.get_by_test_id("tile").first
    expect(tile).to_have_attribute("data-code", "E0401", timeout=15_000)  # right after 违停上报
    expect(tile).to_contain_text("占道经营")
    shot(page, "1-home-tiles")
    taps = Taps()
    with page.expect_file_chooser() as chooser:
        taps.tap(tile)
    taps.count += 1  # the camera's shutter
    chooser.value.set_files(str(scene_photo(tmp_path / "stall.jpg", "占道")))
    expect(page.get_by_test_id("case-form")).to_be_visible()
    expect(page.get_by_text("GPS 精度")).to_be_visible(timeout=10_000)
    page.get_by_test_id("case-place").locator("input").fill("人民路夜市东口")
    shot(page, "2-report-form")
    taps.tap(page.get_by_test_id("send-case"))
    expect(page.get_by_test_id("tiles")).to_be_visible(timeout=15_000)
    assert taps.count <= 3, taps.count
    mine = api.get("/cases", params={"category_code": "E0401", "open_only": "true"}).json()["items"]
    case = next(c for c in mine if c["place"] == "人民路夜市东口")
    cid, number = case["public_id"], case["number"]
    assert (case["status"], case["unit"], case["grid_code"][:9]) == ("reported", UNIT, "990101001")
    assert case["channel"] == "officer"
    shot(page, "3-sent")

    # the same problem again: 附近已有人上报 with the number, place and distance; 查看 opens it
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("tile").first.click()
    chooser.value.set_files(str(scene_photo(tmp_path / "again.jpg", "占道")))
    expect(page.get_by_test_id("case-form")).to_be_visible()
    expect(page.get_by_text("GPS 精度")).to_be_visible(timeout=10_000)
    page.get_by_test_id("send-case").click()
    nearby = page.get_by_test_id("nearby")
    expect(nearby).to_contain_text("附近已有人上报", timeout=10_000)
    expect(nearby).to_contain_text(number)
    expect(nearby).to_contain_text("人民路夜市东口")
    expect(nearby).to_contain_text("米")
    expect(page.get_by_test_id("send-anyway")).to_be_visible()
    expect(nearby).to_be_in_viewport()
    expect(page.locator(".van-toast")).to_be_hidden(timeout=5_000)
    shot(page, "4-nearby")
    page.get_by_test_id("nearby-view").first.click()
    expect(page.get_by_test_id("task-view")).to_contain_text(number, timeout=10_000)
    assert (
        api.get("/cases", params={"category_code": "E0401", "status": "duplicate"}).json()["count"]
        == 0
    )
    phone.close()

    # 2. the command centre sees it on the board, routed to the grid's unit; 立案, 派遣
    wall = browser.new_context(**WALL)
    board = wall.new_page()
    _login_wall(board, e2e, "cases")
    row = board.locator(f"[data-testid=case-row][data-number='{number}']")
    expect(row).to_be_visible(timeout=15_000)
    expect(board.locator(".el-table__row", has=row)).to_contain_text(UNIT)
    row.click()
    drawer = board.get_by_test_id("case-drawer")
    expect(drawer).to_contain_text("人民路夜市东口")
    shot(board, "5-board")
    _act(board, "register")
    expect(board.get_by_test_id("act-dispatch")).to_be_visible(timeout=10_000)
    board.get_by_test_id("act-dispatch").click()
    expect(board.get_by_test_id("unit-picker")).to_contain_text(UNIT)  # the routed unit by default
    shot(board, "6-dispatch")
    board.get_by_test_id("action-submit").click()
    expect(drawer.get_by_text("已派遣").first).to_be_visible(timeout=10_000)
    assert api.get(f"/cases/{cid}").json()["status"] == "dispatched"

    # the wall screen's map: the 网格 layer and the open case, coloured by its step clock
    wall_map = wall.new_page()
    wall_map.goto(f"{e2e.url}/command/#/")
    map_el = wall_map.get_by_test_id("map")
    expect(map_el).not_to_have_attribute("data-grids", "0", timeout=15_000)
    expect(map_el).not_to_have_attribute("data-cases", "0", timeout=15_000)
    wall_map.get_by_test_id("layer-grids").click()  # the toggle hides the layer
    expect(map_el).to_have_attribute("data-grids", "0")
    wall_map.get_by_test_id("layer-grids").click()
    expect(map_el).not_to_have_attribute("data-grids", "0")
    shot(wall_map, "6b-map")
    wall_map.close()

    # 3. 处置: a 队员 of that unit (not the reporter) opens 我的案件, takes the after-photo
    phone = _phone(browser)
    page = phone.new_page()
    _login_app(page, e2e, HANDLER)  # 东区中队: the routed unit
    page.get_by_test_id("tasks-link").click()
    card = page.locator(f"[data-testid=task-card][data-number='{number}']")
    expect(card).to_have_count(1, timeout=15_000)  # under 待处置（本单位）only: not his report
    expect(card).to_have_attribute("data-kind", "handle")
    shot(page, "7-my-cases")
    card.click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="拍处置后照片").click()
    chooser.value.set_files(str(scene_photo(tmp_path / "after.jpg", "已清")))
    page.get_by_test_id("task-note").locator("textarea").fill("摊主已劝离，占道物品已清理")
    shot(page, "8-handle")
    page.get_by_test_id("submit-handle").click()
    expect(page.get_by_test_id("task-view")).to_contain_text("已处置", timeout=15_000)
    assert api.get(f"/cases/{cid}").json()["status"] == "handled"
    phone.close()

    # 4. 核查: 占道经营 is verified by a 监督员 (the category's verified_by): the reporting
    # 监督员 finds it under 待核查 in the officer app, checks on site with a photo, passes it
    category = next(c for c in api.get("/case-categories").json() if c["code"] == "E0401")
    assert category["verified_by"] == "supervisor"
    phone = _phone(browser)
    page = phone.new_page()
    _login_app(page, e2e, REPORTER)
    page.get_by_test_id("tasks-link").click()
    expect(page.get_by_test_id("verify-section")).to_contain_text("待核查", timeout=15_000)
    card = page.locator(f"[data-testid=task-card][data-kind=verify][data-number='{number}']")
    expect(card).to_be_visible(timeout=15_000)
    shot(page, "9-to-verify")
    card.click()
    view = page.get_by_test_id("task-view")
    # what to check: the handler's note, the scene photo and the after-photo
    expect(page.get_by_test_id("handling-note")).to_contain_text("摊主已劝离", timeout=15_000)
    expect(view.locator("figure img")).to_have_count(2)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="拍核查照片").click()
    chooser.value.set_files(str(scene_photo(tmp_path / "check.jpg", "核查")))
    expect(page.locator("img.preview")).to_be_visible()
    shot(page, "10-verify")
    page.get_by_test_id("verify-pass").click()
    expect(view).to_have_attribute("data-status", "closed", timeout=15_000)
    expect(view).to_contain_text("已结案")
    expect(page.locator(".van-toast")).to_be_hidden(timeout=5_000)
    shot(page, "11-verified")
    closed = api.get(f"/cases/{cid}").json()
    assert (closed["status"], closed["on_time"]) == ("closed", True)
    assert closed["verify_photo_url"]
    steps = api.get(f"/cases/{cid}/timeline").json()
    actors = {s["action"]: s["actor_name"] for s in steps}
    assert "孙监督员" in actors["report"]
    assert "李队员" in actors["handle"]
    assert "孙监督员" in actors["verify_pass"]
    phone.close()

    # the command centre sees it closed, with the 监督员's verification photo
    board.reload()
    board.get_by_text("只看未结").click()  # closed cases too
    row = board.locator(f"[data-testid=case-row][data-number='{number}']")
    expect(row).to_be_visible(timeout=15_000)
    row.click()
    expect(drawer.get_by_test_id("verify-photo")).to_be_visible(timeout=10_000)
    expect(drawer.get_by_test_id("timeline")).to_contain_text("孙监督员")
    shot(board, "12-closed")

    # 5. the KPI tab: the case counts as 结案 and 按期结案 today, for the routed unit
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    kpis = api.get(
        "/stats/cases", params={"group_by": "unit", "date_from": today, "date_to": today}
    ).json()
    unit_row = next(r for r in kpis["rows"] if r["label"] == UNIT)
    assert unit_row["closed"] >= 1
    assert unit_row["closed_on_time"] >= 1
    board.keyboard.press("Escape")
    board.get_by_test_id("nav-kpi").click()
    table = board.get_by_test_id("kpi-table")
    expect(table.locator(".el-table__row", has_text=UNIT).first).to_be_visible(timeout=15_000)
    expect(
        board.get_by_test_id("case-reports").or_(board.get_by_test_id("case-reports-none"))
    ).to_be_visible()
    shot(board, "13-kpi")
    wall.close()
    api.close()
