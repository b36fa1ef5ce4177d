"""The categories and the working calendar a new install starts with (editable in the admin).

Categories: the six 事件 大类 of CJ/T 214 / GB/T 30428.2 (市容环境, 宣传广告, 施工管理, 街面秩序,
突发事件, 其他) and the seed article's problems as 小类: 占道经营, 店外经营, 乱贴乱画 / 非法小广告
(handled by the cleaning contractor), 违法停车 (the parking loop), 不遵守交通规则 and 低速电动车
(交警). Handling limits follow the Jiyuan table of domain.md §1.2 where it names the problem
(暴露垃圾 1 working day, 积存渣土 4, 道路不洁 5 working hours, 水域不洁 15 days, 违法搭建 15 days);
the others are sensible defaults a city adjusts. Codes are CJ/T 214 style (a letter and two
digits for a 大类, two more for a 小类), not the standard's own numbers.

Tile order: 违法停车 first (`sort_order` 1), then the campaign's problems in `CAMPAIGN_ORDER`
(2, 3, ...), so the officer app's first tiles are the ones the seed's officers report daily;
the standard's other 小类 follow in list order (100 + their index).

The data migration `0002_defaults` writes these rows once; later edits to this module change
fresh installs only (`0006_campaign_tile_order` moved the campaign rows of older installs
forward where a city had not reordered them). The calendar default is the State Council's
2026 notice (`workcalendar`).
"""

from __future__ import annotations

from typing import Any, Final

WH, WD, CH = "work_hours", "work_days", "clock_hours"

# (code, name, agency_kind, handle (amount, unit), extra fields)
MAJOR: Final = [
    ("E01", "市容环境"),
    ("E02", "宣传广告"),
    ("E03", "施工管理"),
    ("E04", "街面秩序"),
    ("E05", "突发事件"),
    ("E06", "其他事件"),
]

_STALLS: Final = {"name": "stall_count", "label": "摊点数量", "type": "number"}
_GOODS: Final = {
    "name": "goods",
    "label": "经营类型",
    "type": "choice",
    "choices": ["餐饮", "果蔬", "日用百货", "其他"],
}

CAMPAIGN_ORDER: Final = ("E0401", "E0402", "E0403", "E0201", "E0405", "E0406")
"""The seed's campaign problems, in tile order after 违法停车: 占道经营, 店外经营, 流动摊贩,
非法小广告, 不遵守交通规则, 低速电动车违规 (`sort_order` 2 to 7)."""

MINOR: Final[list[tuple[str, str, str, tuple[str, str], dict[str, Any]]]] = [
    ("E0101", "暴露垃圾", "chengguan", ("1", WD), {}),
    ("E0102", "积存渣土", "chengguan", ("4", WD), {}),
    ("E0103", "道路不洁", "contractor", ("5", WH), {}),
    ("E0104", "水域不洁", "contractor", ("15", WD), {}),
    ("E0105", "乱堆物料", "chengguan", ("2", WD), {}),
    ("E0201", "非法小广告（乱贴乱画）", "contractor", ("1", WD), {"verified_by": "reporter"}),
    ("E0202", "涂写刻画", "contractor", ("1", WD), {"verified_by": "reporter"}),
    ("E0203", "违规户外广告", "chengguan", ("5", WD), {}),
    ("E0301", "违法搭建", "chengguan", ("15", WD), {}),
    ("E0302", "施工扰民", "chengguan", ("1", WD), {}),
    ("E0303", "道路遗撒", "chengguan", ("4", WH), {}),
    ("E0401", "占道经营", "chengguan", ("2", WH), {"form_fields": [_STALLS, _GOODS]}),
    ("E0402", "店外经营", "chengguan", ("2", WH), {"form_fields": [_GOODS]}),
    ("E0403", "流动摊贩", "chengguan", ("2", WH), {"form_fields": [_STALLS]}),
    (
        "E0404",
        "违法停车",
        "chengguan",
        # the parking loop's own clocks (policy move window, re-check) run inside this limit
        ("1", WD),
        {"workflow": "parking", "after_photo_required": False, "sort_order": 1},
    ),
    ("E0405", "不遵守交通规则", "jiaojing", ("2", WH), {}),
    ("E0406", "低速电动车违规", "jiaojing", ("1", WD), {}),
    ("E0407", "僵尸车（长期占用道路）", "chengguan", ("15", WD), {}),
    ("E0501", "道路积水", "chengguan", ("4", CH), {"dispatch_limit": "0.25"}),
    ("E0502", "道路塌陷", "chengguan", ("2", CH), {"dispatch_limit": "0.25"}),
    ("E0601", "其他事件", "chengguan", ("3", WD), {}),
]


def sort_order_of(code: str, index: int) -> int:
    """A new install's `sort_order` of the 小类 at `index` in `MINOR`."""
    if code in CAMPAIGN_ORDER:
        return 2 + CAMPAIGN_ORDER.index(code)
    return 100 + index
