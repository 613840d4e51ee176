"""The Plant page's tables: a station's and a buffer's figures over a run, the plant at a moment.

What the diagram shows in colour and in its boxes, here as text to read and to check: each
station's time in state, OEE and counted events; each buffer's level; each unit, store and
accumulator at a playback moment.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.layout import PlantLayout
from dashboard.playback import PlantMoment, Replay
from twin import Scenario, SimulationResult
from twin.display import significant


def station_details(
    scenario: Scenario, result: SimulationResult, replay: Replay, station: str
) -> None:
    """A station's time in state (all replications), OEE, counters and failures (replication 1)."""
    figures = result.stations[station]
    box = replay.layout.stations[station]
    st.markdown(
        f"**{station}** {box.name} · {box.kind.replace('_', ' ')} · {len(box.units)} unit(s) · "
        f"line {box.line}"
    )
    one = result.replications == 1

    def interval(estimate: Any) -> str:
        if one:
            return "(one replication)"
        if estimate is None:
            return ""
        return f"[{estimate.ci_low * 100:.1f}, {estimate.ci_high * 100:.1f}]"

    states = pd.DataFrame(
        [
            {
                "state": name.replace("_", " "),
                "share %": f"{share * 100:.1f}",
                "95 % CI": interval(figures.state_ci.get(name)),
            }
            for name, share in figures.states.items()
        ]
    )
    left, right = st.columns(2)
    with left:
        st.caption(f"Time in state after the warm-up, {result.replications} replication(s)")
        st.table(states.set_index("state"))
        st.metric(
            "OEE",
            f"{figures.oee.mean * 100:.1f} %",
            interval(figures.oee) + ("" if one else " %"),
            delta_color="off",
            delta_arrow="off",
        )
        st.caption(
            f"{significant(figures.metres.mean)} m processed per replication; its line's "
            f"bottleneck {figures.line_bottleneck_share * 100:.0f} % of the time"
        )
    with right:
        counts = replay.counts(station)
        st.caption("Counted in replication 1's event log (the whole run)")
        rows = [
            {"what": kind, "cause": cause, "times": count}
            for kind, found in counts.items()
            for cause, count in found.items()
        ]
        st.table(pd.DataFrame(rows, columns=["what", "cause", "times"]).set_index("what"))
        modes = scenario.line(box.line).stations[_index(scenario, box.line, station)].failures
        if modes:
            st.caption("Failure modes in the scenario")
            st.table(
                pd.DataFrame(
                    [{"failure": f.name, "ttf": _dist(f.ttf), "ttr": _dist(f.ttr)} for f in modes]
                ).set_index("failure")
            )


def _index(scenario: Scenario, line: str, station: str) -> int:
    return [s.id for s in scenario.line(line).stations].index(station)


def _dist(distribution: Any) -> str:
    return f"{distribution.dist}, mean {significant(distribution.mean() / 60)} h"


def buffer_details(result: SimulationResult, layout: PlantLayout, buffer: str) -> None:
    """A store's or accumulator's level over the run: mean, highest, waits and expiries."""
    figures, box = result.buffers[buffer], layout.buffers[buffer]
    mean = figures.mean_level
    rows = {
        f"mean level {box.unit}": f"{significant(mean.mean)} [{significant(mean.ci_low)}, "
        f"{significant(mean.ci_high)}] of {significant(box.capacity)}",
        f"highest level {box.unit}": significant(figures.max_level),
    }
    if figures.mean_wait_h is not None:
        rows["mean wait h"] = significant(figures.mean_wait_h.mean)
    if figures.expired is not None:
        rows["expired per replication"] = significant(figures.expired.mean)
    st.table(pd.DataFrame({buffer: rows}))


def moment_details(layout: PlantLayout, moment: PlantMoment, chosen: str) -> None:
    """A unit's or a buffer's state at the moment."""
    if chosen in layout.stations:
        rows = []
        for unit in layout.stations[chosen].units:
            at = moment.units[unit]
            rows.append(
                {
                    "unit": unit,
                    "state": at.status,
                    "since": "–"
                    if at.since_min is None
                    else f"{significant((moment.minute - at.since_min) / 60, 3)} h",
                    "roll": at.roll or "–",
                    "done": "–"
                    if at.progress is None
                    else f"{significant(at.done_m or 0.0)} m ({at.progress:.0%})",
                }
            )
        st.table(pd.DataFrame(rows).set_index("unit"))
    elif chosen in moment.stores:
        rolls = moment.stores[chosen]
        st.table(_rolls_frame(rolls))
    else:
        st.write(f"{chosen}: {moment.accumulators.get(chosen, 0.0):.1f} m")


def _rolls_frame(rolls: tuple[Any, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "roll": r.roll,
                "product": r.product or "?",
                "waited h": significant(r.waited_min / 60, 3),
                "limit h": "–" if r.limit_min is None else significant(r.limit_min / 60, 3),
            }
            for r in rolls
        ],
        columns=["roll", "product", "waited h", "limit h"],
    ).set_index("roll")


def moment_tables(layout: PlantLayout, moment: PlantMoment) -> None:
    """Every store's count and every accumulator's level at the moment, as text to read."""
    stores, accumulators = st.columns(2)
    stores.table(
        pd.DataFrame(
            [
                {
                    "store": b.id,
                    "rolls": len(moment.stores.get(b.id, ())),
                    "of": int(b.capacity),
                    "rolls in it": ", ".join(r.roll for r in moment.stores.get(b.id, ())) or "–",
                }
                for b in layout.buffers.values()
                if b.kind == "roll_store"
            ],
            columns=["store", "rolls", "of", "rolls in it"],
        ).set_index("store")
    )
    accumulators.table(
        pd.DataFrame(
            [
                {
                    "accumulator": b.id,
                    "level m": f"{moment.accumulators.get(b.id, 0.0):.1f}",
                    "of m": significant(b.capacity),
                }
                for b in layout.buffers.values()
                if b.kind == "accumulator"
            ],
            columns=["accumulator", "level m", "of m"],
        ).set_index("accumulator")
    )
