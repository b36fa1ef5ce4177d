"""The owner SMS always fits one segment, and shortens only the place name to get there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from smartduty.notifications.templates import MOVE_CAR_SMS, render, sms_segments
from smartduty.parking.sms import move_car_params

SEEN = datetime(2026, 11, 29, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai


@pytest.mark.parametrize("plate", ["鲁P12345", "鲁AD12345"])
@pytest.mark.parametrize("place", ["人民路", "人民路88号新华书店门前东侧公交站台北", ""])
@pytest.mark.parametrize(
    "link", ["http://127.0.0.1:8000/o/7Waon3QI71", "https://sd.cn/o/7Waon3QI71"]
)
def test_fits_one_segment(plate: str, place: str, link: str) -> None:
    params = move_car_params(
        plate=plate, place=place, seen_at=SEEN, window_seconds=600, link=link, signature="示范城管"
    )
    text = render(MOVE_CAR_SMS, params, "示范城管")
    assert len(text) <= 70
    assert sms_segments(text) == 1
    assert plate in text
    assert "09:30" in text
    assert "10分钟" in text
    assert "非罚单" in text
    assert link.split("://", 1)[1] in text
    assert "http" not in text


def test_short_place_is_kept_whole_and_long_place_is_marked_cut() -> None:
    short = move_car_params(
        plate="鲁P12345",
        place="人民路",
        seen_at=SEEN,
        window_seconds=600,
        link="https://sd.cn/o/7Waon3QI71",
        signature="示范城管",
    )
    assert short["place"] == "人民路"
    long = move_car_params(
        plate="鲁AD12345",
        place="人民路88号新华书店门前东侧公交站台北",
        seen_at=SEEN,
        window_seconds=600,
        link="http://127.0.0.1:8000/o/7Waon3QI71",
        signature="示范城管",
    )
    assert long["place"].endswith("…")
    assert long["place"].startswith("人民路")


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_window_text_follows_policy() -> None:
    params = move_car_params(
        plate="鲁P12345",
        place="人民路",
        seen_at=SEEN,
        window_seconds=20,
        link="https://sd.cn/o/x",
        signature="示范城管",
    )
    assert params["minutes"] == "20秒"
