"""Reading and checking an event log (CSV or Parquet) against its scenario.

Every bad row is found in one pass and reported with its row number (as a spreadsheet numbers
them: the header is row 1), grouped by kind with counts: a row that cannot be parsed, an unknown
station or unit, an unmapped state name, time going backwards for a unit, a state that overlaps
the one before. With ``skip_bad_rows`` the bad rows are dropped and the log says what it skipped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.files import read_input
from twin.history.columns import ColumnMap
from twin.history.files import MAX_LOG_BYTES, LogFileError
from twin.history.format import STATES
from twin.history.raw import (
    RowProblems,
    arrow_csv_columns,
    csv_columns,
    header_names,
    parquet_columns,
)
from twin.scenario import InputError, Problem, Scenario

_OFFSET = r"(?:Z|z|[+-]\d{2}:?\d{2})$"


class LogError(InputError):
    """An event log with bad rows: every problem by its rows, with counts."""


@dataclass(frozen=True)
class EventLog:
    """A checked event log: one row per state interval of a unit, in time order per unit.

    ``frame`` has the columns ``row`` (row number in the file), ``unit``, ``station``, ``state``,
    ``start`` and ``end`` (minutes after :attr:`origin`), ``cause``, ``roll``, ``order``,
    ``product`` (strings, empty when unknown), ``step`` (-1 when unknown) and ``metres`` (NaN
    when unknown). A gap between a row's ``end`` and the unit's next ``start`` is unknown time.
    """

    frame: pd.DataFrame
    origin: pd.Timestamp
    """Date-time (UTC) of minute 0: the log's first time."""
    end_min: float
    """Minutes from the origin to the log's end."""
    source: str
    rows: int
    """Data rows read from the file, good and bad."""
    skipped: list[Problem] = field(default_factory=list)
    """What ``skip_bad_rows`` dropped, grouped by kind."""
    skipped_rows: int = 0

    @property
    def units(self) -> list[str]:
        """The units the log has rows for, in order of first appearance."""
        return list(dict.fromkeys(self.frame["unit"]))

    def minutes(self, when: pd.Timestamp) -> float:
        """Minutes from the log's origin to a date-time (UTC if it has no zone)."""
        when = when.tz_localize("UTC") if when.tzinfo is None else when
        return float((when - self.origin).total_seconds() / 60)


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


# ------------------------------------------------------------------------------- parsing
def _text(values: pd.Series | list[str] | None, count: int) -> pd.Series:
    if values is None:
        return pd.Series([""] * count, dtype=object)
    series = pd.Series(values)
    if series.dtype != object:
        series = series.astype(str)
    return series.fillna("").astype(str).str.strip()


def _times(
    values: pd.Series | list[str],
    units: pd.Series,
    columns: ColumnMap,
    what: str,
    rows: np.ndarray,
    problems: RowProblems,
) -> pd.Series:
    """Date-times as UTC timestamps (NaT where bad, each bad row reported)."""
    series = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
        if parsed.dt.tz is None:
            parsed = _localize(parsed, units, columns, what, rows, problems)
        else:
            parsed = parsed.dt.tz_convert("UTC")
        return parsed
    text = _text(series, len(series))
    fmt = columns.time_format or "ISO8601"
    aware = text.str.contains(_OFFSET, regex=True)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        result[aware] = pd.to_datetime(text[aware], format=fmt, utc=True, errors="coerce")
    naive = ~aware
    if naive.any():
        local = pd.to_datetime(text[naive], format=fmt, errors="coerce")
        if isinstance(local.dtype, pd.DatetimeTZDtype):  # a format with %z
            result[naive] = local.dt.tz_convert("UTC")
        else:
            result[naive] = _localize(
                local, units[naive], columns, what, rows[naive.to_numpy()], problems
            )
    unparsed = (result.isna() & (text != "")).to_numpy()
    empty = text == ""
    if unparsed.any():
        hint = f"expected {columns.time_format}" if columns.time_format else "expected ISO 8601"
        example = _short(text.iloc[int(np.flatnonzero(unparsed)[0])])
        message = f"{what} is not a date-time ({hint}; got {example})"
        problems.add("parse", f"{what}-format", message, rows[unparsed])
    if what == "time":
        problems.add("parse", "time-empty", "has no time", rows[empty.to_numpy()])
    return result


def _localize(
    local: pd.Series,
    units: pd.Series,
    columns: ColumnMap,
    what: str,
    rows: np.ndarray,
    problems: RowProblems,
) -> pd.Series:
    """Local date-times of the map's time zone as UTC; DST repeats inferred per unit."""
    zone = columns.time_zone
    if zone == "UTC":
        return local.dt.tz_localize("UTC")
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
    for _unit, index in local.groupby(units.to_numpy(), sort=False).groups.items():
        part = local.loc[index]
        try:
            localized = part.dt.tz_localize(zone, ambiguous="infer", nonexistent="NaT")
        except (ValueError, TypeError):  # pytz/pandas: cannot infer the repeated hour
            localized = part.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        out.loc[index] = localized.dt.tz_convert("UTC")
    lost = (out.isna() & local.notna()).to_numpy()
    problems.add(
        "parse",
        f"{what}-zone",
        f"{what} does not exist or is ambiguous in {zone} (a daylight-saving change); "
        "give it with a UTC offset",
        rows[lost],
    )
    return out


def _numbers(
    values: pd.Series | list[str] | None,
    what: str,
    rows: np.ndarray,
    problems: RowProblems,
    count: int,
    whole: bool,
) -> np.ndarray:
    if values is None:
        return np.full(count, -1 if whole else np.nan)
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series):
        parsed = series.astype(float)
    else:
        text = _text(series, count)
        parsed = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = (parsed.isna() & (text != "")).to_numpy()
        kind = "a whole number" if whole else "a number"
        problems.add("parse", what, f"{what} is not {kind}", rows[bad])
    array = parsed.to_numpy(dtype=float)
    if whole:
        fractional = np.isfinite(array) & (array != np.round(array))
        problems.add("parse", f"{what}-whole", f"{what} is not a whole number", rows[fractional])
        negative = np.isfinite(array) & (array < 0)
        problems.add("parse", f"{what}-negative", f"{what} is negative", rows[negative])
        return np.where(np.isfinite(array), array, -1).astype(np.int64)
    negative = np.isfinite(array) & (array < 0)
    problems.add("parse", f"{what}-negative", f"{what} is negative", rows[negative])
    return array


# ------------------------------------------------------------------------------- checks
def _known_units(scenario: Scenario) -> dict[str, tuple[str, int]]:
    """Each unit name of the scenario with its station id and the station's number of units."""
    known: dict[str, tuple[str, int]] = {}
    for line in scenario.lines:
        for station in line.stations:
            if station.units == 1:
                known[station.id] = (station.id, 1)
            else:
                for k in range(station.units):
                    known[f"{station.id}#{k + 1}"] = (station.id, station.units)
    return known


def _check_names(
    station: pd.Series,
    unit: pd.Series,
    scenario: Scenario,
    rows: np.ndarray,
    problems: RowProblems,
) -> None:
    known = _known_units(scenario)
    stations = {s for s, _ in known.values()}
    for name, index in station.groupby(station.to_numpy(), sort=False).groups.items():
        if name not in stations:
            close = difflib.get_close_matches(str(name), sorted(stations), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown station {_short(name)}{hint}" if name else "has no station"
            problems.add("station", str(name), message, rows[station.index.get_indexer(index)])
    good_station = station.isin(stations).to_numpy()
    bad_unit = good_station & ~unit.isin(known).to_numpy()
    for name in pd.unique(unit[bad_unit]):
        mask = bad_unit & (unit == name).to_numpy()
        base = str(name).split("#", 1)[0]
        count = next((n for s, n in known.values() if s == base), 1)
        if name == base and count > 1:
            message = f"station {name} has {count} parallel units: name the unit ({name}#1 …)"
        else:
            message = f"unknown unit {_short(name)}"
        problems.add("unit", str(name), message, rows[mask])


def _check_order(
    frame: pd.DataFrame, rows: np.ndarray, has_end: bool, problems: RowProblems
) -> None:
    """Time going backwards for a unit, and (with ends) states that overlap the one before."""
    valid = frame["start"].notna().to_numpy()
    part = frame[valid]
    part_rows = rows[valid]
    if part.empty:
        return
    group = part.groupby("unit", sort=False)
    before = group["start"].cummax().groupby(part["unit"], sort=False).shift(1)
    backwards = (part["start"] < before).to_numpy()
    for name in pd.unique(part["unit"][backwards]):
        mask = backwards & (part["unit"] == name).to_numpy()
        problems.add("order", str(name), f"time goes backwards for {name}", part_rows[mask])
    if not has_end:
        return
    ends = part["end"].where(part["end"].notna(), part["start"])
    reversed_ = (part["end"] < part["start"]).to_numpy()
    problems.add("parse", "end-before", "ends before it starts", part_rows[reversed_])
    last_end = (
        ends.groupby(part["unit"], sort=False).cummax().groupby(part["unit"], sort=False).shift(1)
    )
    overlap = (part["start"] < last_end).to_numpy() & ~backwards
    for name in pd.unique(part["unit"][overlap]):
        mask = overlap & (part["unit"] == name).to_numpy()
        problems.add(
            "overlap", str(name), f"overlaps the state before it on {name}", part_rows[mask]
        )


# ------------------------------------------------------------------------------- reading
def read_event_log(
    source: str | Path | bytes,
    scenario: Scenario,
    columns: ColumnMap | None = None,
    *,
    skip_bad_rows: bool = False,
    name: str | None = None,
) -> EventLog:
    """Read an event log (CSV or Parquet, by its content) and check it against ``scenario``.

    ``source`` is a path (read through the safe reader) or the file's bytes (an upload). Raises
    :class:`LogError` listing every bad row by kind, unless ``skip_bad_rows`` drops them.
    """
    columns = columns or ColumnMap()
    where = name or (str(source) if not isinstance(source, bytes) else "the log")
    if isinstance(source, bytes):
        data = source
    else:
        data = read_input(source, limit=MAX_LOG_BYTES, what="log")
    if len(data) > MAX_LOG_BYTES:
        raise LogFileError([Problem("", f"the file is larger than {MAX_LOG_BYTES:,} bytes")], where)
    problems = RowProblems()
    raw: dict[str, pd.Series] | dict[str, list[str]]
    if data[:4] == b"PAR1":
        raw, rows, total = parquet_columns(data, columns, where)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise LogFileError(
                [Problem("", "is neither UTF-8 CSV text nor a Parquet file")], where
            ) from None
        header = header_names(text, columns, where)
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        fast = arrow_csv_columns(body, header, columns, where)
        if fast is None:
            raw, rows, total = csv_columns(text, columns, problems, where)
        else:
            raw, rows, total = fast
    count = len(rows)
    state_names = _text(raw["state"], count)
    station = _text(raw["station"], count).replace(columns.stations)
    unit = _text(raw.get("unit"), count)
    unit = unit.where(unit != "", station)
    names = {name: columns.state(name) or "" for name in pd.unique(state_names)}
    mapped = state_names.map(names)
    for name_, index in (
        state_names[mapped == ""]
        .groupby(state_names[mapped == ""].to_numpy(), sort=False)
        .groups.items()
    ):
        message = (
            f"unmapped state name {_short(name_)} (map it onto one of {', '.join(STATES)} in "
            "the column map's states)"
            if name_
            else "has no state"
        )
        problems.add("state", str(name_), message, rows[state_names.index.get_indexer(index)])
    _check_names(station, unit, scenario, rows, problems)
    start = _times(raw["time"], unit, columns, "time", rows, problems)
    has_end = "end" in raw
    end = (
        _times(raw["end"], unit, columns, "end", rows, problems)
        if has_end
        else pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns, UTC]")
    )
    frame = pd.DataFrame(
        {
            "row": rows,
            "unit": unit,
            "station": station,
            "state": mapped,
            "start": start,
            "end": end,
            "cause": _text(raw.get("cause"), count),
            "roll": _text(raw.get("roll"), count),
            "order": _text(raw.get("order"), count),
            "product": _text(raw.get("product"), count),
            "step": _numbers(raw.get("step"), "step", rows, problems, count, whole=True),
            "metres": _numbers(raw.get("metres"), "metres", rows, problems, count, whole=False),
        }
    )
    _check_order(frame, rows, has_end, problems)
    listed = problems.problems()
    bad_rows = sorted({r for g in problems.groups.values() for r in g.rows})
    if listed and not skip_bad_rows:
        raise LogError(listed, f"{where} ({len(bad_rows):,} bad of {total:,} rows)")
    if bad_rows:
        frame = frame[~frame["row"].isin(bad_rows)]
    if frame.empty:
        raise LogError([Problem("", "has no rows to use")], where)
    return _finish(frame, has_end, where, total, listed, len(bad_rows))


def _finish(
    frame: pd.DataFrame,
    has_end: bool,
    where: str,
    total: int,
    skipped: list[Problem],
    skipped_rows: int,
) -> EventLog:
    """Minutes from the log's first time; each state's end; rows in time order per unit."""
    frame = frame.reset_index(drop=True)
    origin = frame["start"].min()
    last = frame["end"].max() if has_end else pd.NaT
    end_time = max(frame["start"].max(), last) if pd.notna(last) else frame["start"].max()
    start_min = (frame["start"] - origin).dt.total_seconds().to_numpy() / 60
    frame["start"] = start_min
    end_min = float((end_time - origin).total_seconds() / 60)
    order = np.lexsort((start_min, pd.factorize(frame["unit"])[0]))
    frame = frame.iloc[order].reset_index(drop=True)
    following = frame.groupby("unit", sort=False)["start"].shift(-1)
    following = following.fillna(end_min)
    if has_end:
        given = (frame["end"] - origin).dt.total_seconds() / 60
        frame["end"] = given.where(given.notna(), following).to_numpy(dtype=float)
    else:
        frame["end"] = following.to_numpy(dtype=float)
    return EventLog(frame, origin, end_min, where, total, skipped, skipped_rows)
