"""The command centre at 1920×1080: totals match the API, the Excel export opens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from smartduty.demo.data import demo_vehicles
from tests.e2e.conftest import PASSWORD, Product, scene_photo

pytestmark = [pytest.mark.slow]


def _seed_reports(product: Product, tmp_path: Path) -> None:
    """A moved car, a car waiting for its owner and a notice, through the API."""
    plates = [v.plate for v in demo_vehicles() if len(v.plate) == 7][10:13]
    photo = scene_photo(tmp_path / "seed.jpg", plates[0]).read_bytes()
    with product.api("dong_officer") as api:
        made = []
        for i, plate in enumerate(plates):
            resp = api.post(
                "/parking-reports",
                files={"file": ("seed.jpg", photo, "image/jpeg")},
                data={
                    "plate": plate,
                    "place": ["人民路100号", "建设路8号", "文化路22号"][i],
                    "lat": str(36.45 + i * 0.004),
                    "lon": str(115.98 + i * 0.005),
                },
            )
            assert resp.status_code == 201, resp.text
            made.append(resp.json())
        moved = api.post(
            f"/parking-reports/{made[0]['public_id']}/transitions",
            json={"action": "confirm_moved", "version": made[0]["version"]},
        )
        assert moved.status_code == 200, moved.text


def test_command_centre_totals_and_export(
    browser: Browser, e2e: Product, tmp_path: Path, screenshots: Path
) -> None:
    _seed_reports(e2e, tmp_path)
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    page = context.new_page()
    page.goto(f"{e2e.url}/command/")
    page.locator("input[name=username]").fill("zhihui")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("updated")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("open-case").first).to_be_visible()
    page.wait_for_timeout(1500)  # charts and map draw
    page.screenshot(path=screenshots / "command-1-1920x1080.png")

    # the totals on screen are the API's
    stats = page.request.get(f"{e2e.url}/api/v1/stats/parking").json()["total"]
    assert stats["reports"] >= 3
    for key, field in (("reports", "reports"), ("moved", "moved"), ("notices", "notices")):
        expect(page.get_by_test_id(f"kpi-{key}")).to_have_attribute("data-value", str(stats[field]))
    rate = page.get_by_test_id("kpi-rate").get_attribute("data-value")
    assert float(rate or "nan") == pytest.approx(stats["compliance_rate"])
    expect(page.get_by_test_id("kpi-rate")).to_contain_text(
        f"{stats['compliance_rate'] * 100:.1f}%"
    )
    expect(page.get_by_test_id("kpi-moved")).to_contain_text(str(stats["moved"]))
    expect(page.get_by_test_id("map")).not_to_have_attribute("data-points", "0")

    # Excel export of the current view
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    data = Path(download.value.path()).read_bytes()
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "明细", "按小时", "按日", "待处理案件"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["劝离数（辆）"] == stats["moved"]
    assert summary["贴单数（张）"] == stats["notices"]
    assert summary["上报数"] == stats["reports"]
    headers = [c.value for c in book["明细"][1]]
    assert headers[:6] == ["日期", "辖区", "单位", "上报数", "劝离数", "贴单数"]

    # a laptop screen
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(800)
    page.screenshot(path=screenshots / "command-2-1366x768.png", full_page=True)
    context.close()
