"""The owner SMS: parameters for the move-car and reminder templates, fitted to one segment."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from smartduty.notifications.templates import (
    MOVE_CAR_SMS,
    MOVE_REMINDER_SMS,
    SINGLE_SEGMENT_CHARS,
    format_window,
    render,
)

MIN_PLACE_CHARS = 2


def move_car_params(
    *,
    plate: str,
    place: str,
    seen_at: datetime,
    window_seconds: int,
    link: str,
    signature: str,
) -> dict[str, str]:
    """Template parameters for `SD_MOVE_001`; `place` is cut so the SMS stays ≤ 70 characters.

    A shorter place name costs the owner little (the linked page shows the full place and a
    map); a second billed segment costs the city money on every report.
    """
    params = {
        "plate": plate,
        "time": timezone.localtime(seen_at).strftime("%H:%M"),
        "place": place.strip() or "路边",
        "minutes": format_window(window_seconds),
        "link": _link_text(link),
    }
    return _fit_place(MOVE_CAR_SMS, params, signature)


def reminder_params(
    *, plate: str, place: str, deadline_at: datetime, link: str, signature: str
) -> dict[str, str]:
    """Template parameters for `SD_MOVE_002` (the one reminder), cut to one segment too."""
    params = {
        "plate": plate,
        "place": place.strip() or "路边",
        "deadline": timezone.localtime(deadline_at).strftime("%H:%M"),
        "link": _link_text(link),
    }
    return _fit_place(MOVE_REMINDER_SMS, params, signature)


def _link_text(link: str) -> str:
    return link.removeprefix("https://").removeprefix("http://")


def _fit_place(code: str, params: dict[str, str], signature: str) -> dict[str, str]:
    full_place = params["place"]
    keep = len(full_place)
    while len(render(code, params, signature)) > SINGLE_SEGMENT_CHARS:
        if keep <= MIN_PLACE_CHARS:
            break
        keep -= 1
        params["place"] = full_place[:keep] + "…"
    return params
