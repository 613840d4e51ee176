"""Writing state changes in the event-log format (``r2r simulate --events``).

The writer takes any records with the attributes of :class:`~twin.history.format.StateRecord`
(the engine's state changes), so the twin's own logs are valid input for ``r2r calibrate``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from twin.history.format import COLUMNS, DEFAULT_START, StateRecord
from twin.history.reader import EventLog


def _stamps(start: dt.datetime, minutes: np.ndarray) -> np.ndarray:
    """ISO 8601 date-times to the millisecond: naive for a naive start, else UTC with ``Z``."""
    if start.tzinfo is not None:
        base = np.datetime64(start.astimezone(dt.UTC).replace(tzinfo=None), "ms")
        return (
            np.datetime_as_string(
                base + np.round(minutes * 60_000).astype("timedelta64[ms]"), unit="ms"
            ).astype(object)
            + "Z"
        )
    base = np.datetime64(start, "ms")
    stamps = base + np.round(minutes * 60_000).astype("timedelta64[ms]")
    return np.datetime_as_string(stamps, unit="ms")


def events_frame(
    records: Sequence[StateRecord], start: dt.datetime | None, horizon_min: float
) -> pd.DataFrame:
    """The records as a table of the format; each state ends at the unit's next change."""
    start = start or DEFAULT_START
    minutes = np.array([r.minute for r in records], dtype=float)
    ends = np.full(len(records), float(horizon_min))
    last: dict[str, int] = {}
    for index, record in enumerate(records):
        previous = last.get(record.unit)
        if previous is not None:
            ends[previous] = record.minute
        last[record.unit] = index
    ends = np.maximum(ends, minutes)

    def text(values: list[str | None]) -> list[str]:
        return ["" if v is None else str(v) for v in values]

    return pd.DataFrame(
        {
            "time": _stamps(start, minutes),
            "end": _stamps(start, ends),
            "station": [r.station for r in records],
            "unit": [r.unit for r in records],
            "state": [r.state for r in records],
            "cause": text([r.cause for r in records]),
            "roll": text([r.roll for r in records]),
            "order": text([r.order for r in records]),
            "product": text([r.product for r in records]),
            "step": pd.array([r.step for r in records], dtype="Int64"),
            "metres": pd.array(
                [None if r.metres is None else round(r.metres, 3) for r in records],
                dtype="Float64",
            ),
        },
        columns=list(COLUMNS),
    )


def event_log_bytes(
    records: Sequence[StateRecord],
    start: dt.datetime | None,
    horizon_min: float,
    *,
    parquet: bool = False,
) -> bytes:
    """The records as the bytes of a log file: CSV (UTF-8), or Parquet."""
    frame = events_frame(records, start, horizon_min)
    if parquet:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return str(frame.to_csv(index=False)).encode("utf-8")


def write_event_log(
    records: Sequence[StateRecord],
    path: str | Path,
    start: dt.datetime | None,
    horizon_min: float,
) -> None:
    """Write the records to ``path`` (atomically): Parquet for ``.parquet``/``.pq``, else CSV."""
    from twin.files import write_output

    path = Path(path)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    write_output(path, event_log_bytes(records, start, horizon_min, parquet=parquet))


def records_log(
    records: Sequence[StateRecord], horizon_min: float, name: str = "the twin"
) -> EventLog:
    """The records as a checked-in-memory :class:`EventLog` (the twin's own log, no file)."""
    count = len(records)
    frame = pd.DataFrame(
        {
            "row": np.arange(2, count + 2),
            "unit": [r.unit for r in records],
            "station": [r.station for r in records],
            "state": [r.state for r in records],
            "start": np.array([r.minute for r in records], dtype=float),
            "cause": [r.cause or "" for r in records],
            "roll": [r.roll or "" for r in records],
            "order": [r.order or "" for r in records],
            "product": [r.product or "" for r in records],
            "step": np.array([-1 if r.step is None else r.step for r in records], dtype=np.int64),
            "metres": np.array(
                [np.nan if r.metres is None else r.metres for r in records], dtype=float
            ),
        }
    )
    order = np.lexsort((frame["start"].to_numpy(), pd.factorize(frame["unit"])[0]))
    frame = frame.iloc[order].reset_index(drop=True)
    frame["end"] = (
        frame.groupby("unit", sort=False)["start"].shift(-1).fillna(horizon_min).to_numpy()
    )
    origin = pd.Timestamp(DEFAULT_START, tz="UTC")
    return EventLog(frame, origin, float(horizon_min), name, count)
