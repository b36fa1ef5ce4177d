"""The case screens: an officer reports 占道经营 from its tile (photo → form → send), and the
command centre's 案件 board shows it, opens it and registers it (立案)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PASSWORD, Product, scene_photo

pytestmark = [pytest.mark.slow]


def test_report_case_from_tile_then_register_on_board(
    browser: Browser, e2e: Product, tmp_path: Path, screenshots: Path
) -> None:
    photo = scene_photo(tmp_path / "stall.jpg", "占道")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{e2e.url}/app/")
    page.locator("input[name=username]").fill("dong_officer")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("tile-parking")).to_contain_text("违停上报")
    # the campaign's problems come right after 违停上报 (0006_campaign_tile_order): 占道经营
    # is a first-screen tile on first use; the standard's 事件 classes wait under 更多类别
    tile = page.locator("[data-testid=tile][data-code=E0401]")
    expect(tile).to_be_visible(timeout=15_000)
    expect(page.locator("[data-testid=tile][data-code=E0101]")).to_have_count(0)
    page.screenshot(path=screenshots / "case-1-tiles.png")

    # tap 1: the tile opens the camera; tap 2: a choice; tap 3: send
    with page.expect_file_chooser() as chooser:
        tile.click()
    chooser.value.set_files(str(photo))
    expect(page.get_by_test_id("case-form")).to_be_visible()
    page.get_by_test_id("field-goods").get_by_role("button", name="果蔬").click()
    page.get_by_test_id("case-place").locator("input").fill("<b>人民路</b>夜市")
    page.screenshot(path=screenshots / "case-2-report.png")
    page.get_by_test_id("send-case").click()
    first_tile = page.get_by_test_id("tile").first
    expect(first_tile).to_have_attribute("data-code", "E0401", timeout=15_000)

    api = e2e.api("zhihui")
    rows = api.get("/cases", params={"category_code": "E0401"}).json()["items"]
    assert rows
    assert rows[0]["form_data"] == {"goods": "果蔬"}
    number = rows[0]["number"]
    phone.close()

    wall = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    board = wall.new_page()
    board.goto(f"{e2e.url}/command/#/cases")
    board.locator("input[name=username]").fill("zhihui")
    board.locator("input[name=password]").fill(PASSWORD)
    board.get_by_test_id("login-submit").click()
    row = board.locator(f"[data-testid=case-row][data-number='{number}']")
    expect(row).to_be_visible(timeout=15_000)
    row.click()
    drawer = board.get_by_test_id("case-drawer")
    expect(drawer).to_contain_text("<b>人民路</b>夜市")  # typed text stays text
    assert board.locator(".case-drawer b", has_text="人民路").count() == 0
    board.screenshot(path=screenshots / "case-3-board-drawer.png")
    board.get_by_test_id("act-register").click()
    board.get_by_test_id("action-submit").click()
    expect(board.get_by_test_id("act-dispatch")).to_be_visible(timeout=10_000)
    assert api.get(f"/cases/{rows[0]['public_id']}").json()["status"] == "registered"
    wall.close()
    api.close()
