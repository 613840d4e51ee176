"""Export a stored run or study as CSV, Excel (one sheet per table) or JSON.

A study has the tables ``summary`` (design points × KPIs, mean and 95 % CI) and ``replications``
(one row per task); a simulation has ``kpis`` (every estimate by its dotted name), ``orders``
(every order by its on-time probability, with dates), ``stations`` (time in each state),
``replications`` and ``order_book`` (the orders it ran, in the order-file format: exported as
CSV, ``orders: {file: ...}`` reads it back) (each replication's KPIs; only these when the run
stopped before it finished). CSV holds the first table; Excel and JSON hold them all, and
JSON adds the run's description (and a simulation's full result). A schedule exports as JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from twin.display import moment
from twin.engine import SimulationResult
from twin.extras import require
from twin.files import check_output, write_output
from twin.scenario.order_files import FIELDS as ORDER_FIELDS
from twin.store import Store

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")


def _estimates(node: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Every estimate (mean, ci_low, ci_high, n) in a result document, by its dotted name."""
    if not isinstance(node, dict):
        return []
    if {"mean", "ci_low", "ci_high"} <= node.keys():
        return [{"kpi": prefix, **{k: node[k] for k in ("mean", "ci_low", "ci_high", "n")}}]
    rows = []
    for key, value in node.items():
        rows += _estimates(value, f"{prefix}.{key}" if prefix else key)
    return rows


def tables(store: Store, run_id: str) -> dict[str, pd.DataFrame]:
    """A run's tables by name, the main one first (empty for a schedule)."""
    info = store.info(run_id)
    if info.kind == "study":
        result = store.study(info.id)
        return {"summary": result.table.reset_index(), "replications": result.replications}
    if info.kind == "simulation":
        frames: dict[str, pd.DataFrame] = {}
        if info.status == "finished":
            simulation = store.simulation(info.id)
            document = simulation.model_dump(mode="json", exclude={"stations"})
            frames["kpis"] = pd.DataFrame.from_records(_estimates(document))
            if simulation.orders:
                frames["orders"] = orders_frame(simulation)
            frames["stations"] = pd.DataFrame.from_records(
                [
                    {
                        "line": station.line,
                        "station": name,
                        **station.states,
                        "oee": station.oee.mean,
                        "bottleneck_share": station.bottleneck_share,
                    }
                    for name, station in simulation.stations.items()
                ]
            )
        kept = store.replication_kpis(info.id)
        if kept:
            frames["replications"] = pd.DataFrame.from_records(kept)
        frames["order_book"] = order_book_frame(store.scenario_document(info.id))
        return frames
    return {}


def order_book_frame(document: dict[str, Any]) -> pd.DataFrame:
    """A scenario's order book in the order-file format (``orders: {file: ...}`` reads it back).

    Times that the scenario gives as minutes after its start are written as date-times.
    """
    start = document.get("start")
    origin = dt.datetime.fromisoformat(start) if isinstance(start, str) else None

    def when(value: Any) -> Any:
        if isinstance(value, int | float) and origin is not None:
            return (origin + dt.timedelta(minutes=value)).isoformat(timespec="minutes")
        return value

    rows = []
    for order in document.get("orders", []):
        row = {field: order.get(field) for field in ORDER_FIELDS}
        row["release"], row["due"] = when(row["release"]), when(row["due"])
        rows.append(row)
    return pd.DataFrame.from_records(rows, columns=list(ORDER_FIELDS))


def orders_frame(result: SimulationResult) -> pd.DataFrame:
    """Every order by its on-time probability (Wilson interval), the least likely first.

    Dates are the scenario's calendar; hours from the start stay beside them.
    """
    start = result.start
    rows = []
    for order_id, order in sorted(
        result.orders.items(), key=lambda item: (item[1].on_time.p, item[1].due_h, item[0])
    ):
        done = order.completion_h
        rows.append(
            {
                "order": order_id,
                "line": order.line,
                "product": order.product,
                "due": moment(start, order.due_h * 60),
                "expected_completion": moment(start, done.mean * 60) if done else None,
                "completion_low": moment(start, done.ci_low * 60) if done else None,
                "completion_high": moment(start, done.ci_high * 60) if done else None,
                "completed_fraction": order.completed_fraction,
                "on_time_probability": order.on_time.p,
                "on_time_low": order.on_time.low,
                "on_time_high": order.on_time.high,
                "expected_tardiness_h": order.tardiness_h.mean,
                "due_h": order.due_h,
                "completion_h": done.mean if done else None,
            }
        )
    return pd.DataFrame.from_records(rows)


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def export_bytes(
    store: Store, run_id: str, fmt: Format, table: str | None = None
) -> tuple[str, bytes]:
    """The file name and content of a run's export (for a download button).

    CSV holds one table: ``table``, or the run's main one.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use csv, xlsx or json")
    info = store.info(run_id)
    frames = tables(store, info.id)
    if table is not None:
        if table not in frames:
            raise ValueError(f"{info.id} has no table {table!r} (its tables: {', '.join(frames)})")
        frames = {table: frames[table]}
    name = f"{info.id}.{fmt}" if table is None else f"{info.id}-{table}.{fmt}"
    if fmt == "json":
        document: dict[str, Any] = {
            "run": info.model_dump(mode="json"),
            "seed": store.seed(info.id),
            "tables": {table: _records(frame) for table, frame in frames.items()},
        }
        if info.kind == "simulation" and info.status == "finished":
            document["result"] = store.simulation(info.id).model_dump(mode="json")
        if info.kind == "schedule":
            document["schedule"] = store.schedule(info.id)
        return name, json.dumps(document, indent=1, allow_nan=False).encode("utf-8")
    if not frames:
        raise ValueError(f"{info.id} is a {info.kind}; it exports as JSON only")
    if fmt == "csv":
        return name, next(iter(frames.values())).to_csv(index=False).encode("utf-8")
    require("openpyxl", "excel", "an Excel export")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for table, frame in frames.items():
            frame.to_excel(writer, sheet_name=table, index=False)
        run = pd.DataFrame(list(info.model_dump(mode="json").items()), columns=["field", "value"])
        run.to_excel(writer, sheet_name="run", index=False)
    return name, buffer.getvalue()


def export(
    store: Store,
    run_id: str,
    fmt: Format,
    path: str | Path | None = None,
    table: str | None = None,
) -> Path:
    """Write a run's export (or one ``table`` of it) to ``path`` (default ``out/<id>.<fmt>``)."""
    if path is not None:
        check_output(path, "--out", store=store.path)
    name, content = export_bytes(store, run_id, fmt, table)
    target = check_output(
        path if path is not None else Path("out") / name, "--out", store=store.path
    )
    return write_output(target, content, "--out")
