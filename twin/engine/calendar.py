"""Shift calendars turned into the off-shift intervals of a run, in minutes after the start."""

from __future__ import annotations

import datetime as dt

from twin.scenario import WEEKDAYS, Calendar

MINUTES_PER_DAY = 1440.0


def _minute_of_day(moment: dt.time) -> float:
    return moment.hour * 60.0 + moment.minute + moment.second / 60.0


def off_shift_intervals(
    calendar: Calendar | None, start: dt.datetime | None, horizon_min: float
) -> list[tuple[float, float]]:
    """Merged intervals of ``[0, horizon_min)`` when no shift of ``calendar`` is on.

    Without a calendar the line runs around the clock. Without a start date the run starts on a
    Monday at midnight.
    """
    if calendar is None:
        return []
    origin = start or dt.datetime(2024, 1, 1)  # a Monday
    midnight = dt.datetime.combine(origin.date(), dt.time())
    offset = (origin - midnight).total_seconds() / 60.0
    holidays = set(calendar.holidays)
    working = set(calendar.working_days)
    on: list[tuple[float, float]] = []
    day = 0
    while (day - 1) * MINUTES_PER_DAY - offset < horizon_min:  # each day starting before it
        date = midnight.date() + dt.timedelta(days=day - 1)
        day_start = (day - 1) * MINUTES_PER_DAY - offset
        if WEEKDAYS[date.weekday()] in working and date not in holidays:
            shifts = calendar.shifts or []
            if not shifts:
                on.append((day_start, day_start + MINUTES_PER_DAY))
            for shift in shifts:
                begin = _minute_of_day(shift.start)
                end = _minute_of_day(shift.end)
                if end <= begin:
                    end += MINUTES_PER_DAY
                on.append((day_start + begin, day_start + end))
        day += 1
    on.sort()
    off: list[tuple[float, float]] = []
    cursor = 0.0
    for begin, end in on:
        if end <= cursor:
            continue
        if begin > cursor:
            off.append((cursor, min(begin, horizon_min)))
        cursor = max(cursor, end)
        if cursor >= horizon_min:
            break
    if cursor < horizon_min:
        off.append((cursor, horizon_min))
    return [(a, b) for a, b in off if b > a and a < horizon_min]
