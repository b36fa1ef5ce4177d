"""The acceptance walk of the case screens (issue 12): 上报 in ≤ 3 taps on a phone, 立案 and
派遣 on the command centre's board, 处置 by an officer of the routed unit, 核查 by the
指挥中心, and the KPI tab counting the case as 结案 and 按期结案 for today. A screenshot of
every step goes to `var/screenshots/walk-*.png`."""

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

    # 1. 上报: dong_officer, first use of the app on this phone, reports 占道经营 in ≤ 3 taps
    phone = _phone(browser)
    page = phone.new_page()
    _login_app(page, e2e, "dong_officer")
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

    # 3. 处置: an officer of that unit opens 我的案件, takes the after-photo, writes a note
    phone = _phone(browser)
    page = phone.new_page()
    _login_app(page, e2e, "dong_officer")  # 东区中队: the routed unit
    page.get_by_test_id("tasks-link").click()
    # under 待处置（本单位）(the officer reported it too, so it is also under 我上报的)
    card = page.locator(f"[data-testid=task-card][data-number='{number}']").first
    expect(card).to_be_visible(timeout=15_000)
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

    # 4. 核查: 占道经营 is verified by the 指挥中心 (the category's verified_by), with a photo
    category = next(c for c in api.get("/case-categories").json() if c["code"] == "E0401")
    assert category["verified_by"] == "supervisor"
    board.reload()
    row = board.locator(f"[data-testid=case-row][data-number='{number}']")
    expect(row).to_be_visible(timeout=15_000)
    row.click()
    expect(drawer.get_by_test_id("after-photo")).to_be_visible()
    expect(drawer.get_by_test_id("handling-note")).to_contain_text("摊主已劝离")
    _act(board, "verify_pass", scene_photo(tmp_path / "check.jpg", "核查"))
    expect(drawer.get_by_test_id("verify-photo")).to_be_visible(timeout=10_000)
    closed = api.get(f"/cases/{cid}").json()
    assert (closed["status"], closed["on_time"]) == ("closed", True)
    shot(board, "9-verified")

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
    shot(board, "10-kpi")
    wall.close()
    api.close()
