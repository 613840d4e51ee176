"""How figures are shown to people: KPI names with their units, significant figures, percentages.

The CLI, the dashboard and exports all show KPIs through these, so that one KPI reads the same
everywhere: ``lines.INL1.output_m2_per_h`` is "INL1 output m²/h", a yield of 0.9312 is "93.1 %",
and a mean is given to 4 significant figures without an exponent.
"""

from __future__ import annotations

import datetime as dt
import math

_NAMES: dict[str, tuple[str, bool]] = {
    "output_m2_per_h": ("output m²/h", False),
    "output_m_per_h": ("output m/h", False),
    "output_rolls_per_h": ("output rolls/h", False),
    "good_m2_per_h": ("good output m²/h", False),
    "yield": ("yield %", True),
    "first_pass_yield": ("first-pass yield %", True),
    "ah_per_h": ("capacity made Ah/h", False),
    "escapes_ppm": ("escapes ppm of area", False),
    "escapes_per_1000_m2": ("escapes per 1000 m²", False),
    "on_time_fraction": ("orders on time %", True),
    "weighted_tardiness_h": ("weighted tardiness h", False),
    "wip_rolls": ("WIP rolls", False),
    "lead_time_h": ("lead time h", False),
    "scrapped_m": ("scrapped m", False),
    "oee": ("OEE %", True),
    "mean_level": ("mean level", False),
    "max_level": ("max level", False),
}
"""Each KPI's last name part: its label with the unit, and whether it is a share."""


def kpi_label(kpi: str) -> str:
    """A KPI's name as people read it, with its unit: ``INL1 output m²/h``.

    ``lines.INL1.output_m2_per_h`` → ``INL1 output m²/h``; ``bottleneck.PC2`` → ``PC2 bottleneck
    share %``; a plant KPI by its label alone.
    """
    parts = kpi.split(".")
    if parts[0] == "bottleneck" and len(parts) == 2:
        return f"{parts[1]} bottleneck share %"
    label = _NAMES.get(parts[-1], (parts[-1].replace("_", " "), False))[0]
    owner = parts[1] if len(parts) >= 3 and parts[0] in ("lines", "stations", "buffers") else ""
    return f"{owner} {label}" if owner else label


def is_share(kpi: str) -> bool:
    """Whether ``kpi`` is a fraction shown in per cent (yield, on-time, OEE, bottleneck share)."""
    parts = kpi.split(".")
    return parts[0] == "bottleneck" or _NAMES.get(parts[-1], ("", False))[1]


def significant(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant figures, without an exponent: 307.1, 0.02345, 12,345."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text and decimals > 0 else text


def shown(kpi: str, value: float) -> str:
    """A KPI's value as people read it: per cent for shares, else 4 significant figures."""
    if value is None or not math.isfinite(value):
        return "–"
    if is_share(kpi):
        return f"{value * 100:.1f} %"
    return significant(value)


def interval(kpi: str, mean: float, low: float, high: float, n: int | None = None) -> str:
    """``mean [low, high]`` of a KPI, each shown like :func:`shown` (a dash if there is none).

    An interval of zero width says why rather than looking exact: one replication, or the same
    value in every replication (``n``, when given, tells which).
    """
    if mean is None or not math.isfinite(mean):
        return "–"
    if n == 1:
        return f"{shown(kpi, mean)} (one replication)"
    if low == high == mean:
        return f"{shown(kpi, mean)} (same in every replication)"
    return f"{shown(kpi, mean)} [{shown(kpi, low)}, {shown(kpi, high)}]"


def moment(start: dt.datetime | None, minutes: float, *, time: bool = True) -> str:
    """The calendar date (and time) ``minutes`` after ``start``, in the start's time zone.

    A scenario without a start has no calendar: its times read as days and hours from t = 0.
    """
    if minutes is None or not math.isfinite(minutes):
        return "–"
    if start is None:
        days, rest = divmod(minutes, 1440.0)
        return (
            f"day {int(days)} {int(rest // 60):02d}:{int(rest % 60):02d}"
            if time
            else f"day {int(days)}"
        )
    when = start + dt.timedelta(minutes=minutes)
    text = when.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")
    return f"{text} {when.tzname()}" if time and when.tzinfo is not None else text


def moment_interval(start: dt.datetime | None, mean: float, low: float, high: float) -> str:
    """A time with its interval: ``2027-01-02 23:18 [01-02 18:44, 01-03 03:52]``.

    The bounds drop the year (and the date, when it is the mean's); an interval of no width is
    the time alone.
    """
    if low == high:
        return moment(start, mean)
    if start is None:
        return f"{moment(start, mean)} [{moment(start, low)}, {moment(start, high)}]"
    centre = start + dt.timedelta(minutes=mean)

    def bound(minutes: float) -> str:
        when = start + dt.timedelta(minutes=minutes)
        return when.strftime("%H:%M" if when.date() == centre.date() else "%m-%d %H:%M")

    return f"{moment(start, mean)} [{bound(low)}, {bound(high)}]"


__all__ = [
    "interval",
    "is_share",
    "kpi_label",
    "moment",
    "moment_interval",
    "shown",
    "significant",
]
