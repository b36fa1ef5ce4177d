"""Quiet hours as a district states them: local wall-clock times, possibly over midnight.

`22:00–07:00` means from 22:00 until 07:00 the next morning; `12:00–14:00` a midday break.
Equal start and end is no period at all (an edit refuses it). Times are read in
`settings.TIME_ZONE`, the zone the policy stores them in (`policy.services.local_time`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone


def quiet_until(start: time | None, end: time | None, at: datetime) -> datetime | None:
    """The aware instant the quiet period containing `at` ends, or None outside quiet hours."""
    if start is None or end is None or start == end:
        return None
    zone = timezone.get_default_timezone()
    local = timezone.localtime(at, zone)
    now = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= now < end
        day = local.date()
    else:  # over midnight
        inside = now >= start or now < end
        day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    return timezone.make_aware(datetime.combine(day, end), zone)


def describe(start: time, end: time) -> str:
    """`22:00–07:00`, as messages show the period."""
    return f"{start:%H:%M}–{end:%H:%M}"
