"""Plant page: the plant diagram, coloured by a run, played back moment by moment, or as a state.

Four things can be drawn: the last run of the Simulate page, a stored run (stored runs keep no
event log, so its first replication is run again from its stored scenario and seed, which gives
the same replication), a plant state file ("this is the plant now"), or the scenario alone. A
run is shown by its time in state, or played back over its first replication's event log with
a time slider. Clicking a station or a buffer shows its details.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from dashboard import diagram
from dashboard.common import (
    MAX_UPLOAD_BYTES,
    belongs_to_current,
    boundary,
    current_scenario,
    follow_job,
    open_store,
    require_scenario,
    run_label,
    running,
    start_job,
)
from dashboard.layout import PlantLayout
from dashboard.playback import Replay, moment_of_state
from dashboard.views.plant_details import (
    buffer_details,
    moment_details,
    moment_tables,
    station_details,
)
from twin import RunOptions, Scenario, SimulationResult, scenario_from_document, simulate
from twin.display import significant
from twin.state import PlantState, parse_state

JOB = "replay-job"
SOURCES = (
    "The last run (Simulate page)",
    "A stored run, replayed",
    "A plant state file",
    "The scenario alone",
)
STEP_MIN = 10
"""The slider's step, minutes."""
SPEEDS = {"1 h per step": 60, "4 h per step": 240, "1 day per step": 1440}
TICK_S = 0.8
"""Seconds between frames while playing."""


@dataclass(frozen=True)
class Shown:
    """A run to draw: its result (with the first replication's logs), scenario and origin."""

    result: SimulationResult
    scenario: Scenario
    origin: str
    """Where it comes from, in words (which run, replayed or not)."""


# ---------------------------------------------------------------------------------- sources
def _last_run() -> Shown | None:
    kept = st.session_state.get("simulation")
    if kept is None:
        st.info("No run yet in this session: run one on the Simulate page, or replay a stored run.")
        return None
    result, scenario, version = kept
    origin = f"the last run of the Simulate page ({result.replications} replication(s))"
    if not belongs_to_current(version):
        st.warning(
            f"This run is of {scenario.name!r} as it was before the latest change to the "
            "current scenario: run it again on the Simulate page to see the current one."
        )
    return Shown(result, scenario, origin)


def replay_first(run_id: str) -> Shown:
    """A stored run's first replication run again from its stored scenario and seed, with logs.

    The twin is deterministic: the replication is the stored run's first, whose KPIs the store
    keeps, and :func:`replay_note` checks that they agree.
    """
    store = open_store()
    stored = store.simulation(run_id)
    scenario = scenario_from_document(store.scenario_document(run_id), f"run {run_id}")
    if any(order.planned_completion_h is not None for order in stored.orders.values()):
        raise ValueError(
            f"{run_id} executed a schedule, which the store does not keep with the run: "
            "it cannot be replayed; execute the schedule again on the Schedule page"
        )
    options = RunOptions.of(
        scenario,
        demand=stored.demand,
        replications=1,
        seed=stored.seed,
        horizon_min=stored.horizon_days * 1440,
        warmup_min=stored.warmup_days * 1440,
        event_log=True,
        genealogy=True,
    )
    result = simulate(scenario, options)
    origin = replay_note(run_id, stored, result)
    return Shown(result, scenario, origin)


def replay_note(run_id: str, stored: SimulationResult, replayed: SimulationResult) -> str:
    """What a replay is, and whether it agrees with the stored run's first replication."""
    note = (
        f"run {run_id}, replication 1 of {stored.replications}: stored runs keep no event log, "
        f"so it was run again from the stored scenario with seed {stored.seed}"
    )
    if not stored.replication_kpis or not replayed.replication_kpis:
        return note
    first, again = stored.replication_kpis[0], replayed.replication_kpis[0]
    shared = [k for k in first if k in again]
    same = all(math.isclose(first[k], again[k], rel_tol=1e-9, abs_tol=1e-9) for k in shared)
    return note + (
        " (its KPIs are the stored replication's)"
        if same
        else " (its KPIs differ from the stored replication's: the twin has changed since)"
    )


def _stored_run() -> Shown | None:
    runs = open_store().runs(kind="simulation")
    finished = [run for run in runs if run.status == "finished"]
    if not finished:
        st.info("The store holds no finished simulation yet.")
        return None
    labels = {run_label(run): run.id for run in finished}
    chosen = st.selectbox("Stored run", list(labels), key="plant-run")
    if chosen is not None and st.button(
        "Replay its first replication", key="plant-replay", disabled=running(JOB)
    ):
        run_id = labels[chosen]
        start_job(JOB, f"replaying {run_id}", lambda _progress: replay_first(run_id))

    def done(shown: Shown) -> None:
        st.session_state["plant-replayed"] = shown

    follow_job(JOB, done)
    shown: Shown | None = st.session_state.get("plant-replayed")
    return shown


def _state_file(scenario: Scenario) -> PlantState | None:
    uploaded = st.file_uploader(
        f"Plant state (YAML or JSON, r2r schema --state), checked against {scenario.name!r}",
        type=["yaml", "yml", "json"],
        key="plant-state",
    )
    if uploaded is None:
        return None
    if uploaded.size > MAX_UPLOAD_BYTES:
        st.error(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        return None
    fmt: Literal["yaml", "json"] = "json" if uploaded.name.lower().endswith(".json") else "yaml"
    return parse_state(uploaded.getvalue(), scenario, fmt, uploaded.name)


# ---------------------------------------------------------------------------------- drawing
def _clicked(event: Any) -> str | None:
    """The station or buffer a click on the diagram selected, if any."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list):
            data = data[0] if data else None
        if isinstance(data, str):
            return data
    return None


def _draw(layout: PlantLayout, picture: diagram.Picture, key: str) -> None:
    """The diagram; a click on a box makes it the one whose details are shown."""
    selected = st.session_state.get("plant-detail")
    event = st.plotly_chart(
        diagram.figure(layout, picture, selected),
        key=key,
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False},
    )
    clicked = _clicked(event)
    if clicked is not None and clicked != st.session_state.get("plant-clicked"):
        st.session_state["plant-clicked"] = clicked
        st.session_state["plant-detail"] = clicked
        st.rerun()


def _detail_picker(layout: PlantLayout) -> str | None:
    options = [*layout.stations, *layout.buffers]
    if st.session_state.get("plant-detail") not in options:
        st.session_state["plant-detail"] = None
    chosen: str | None = st.selectbox(
        "Details of (or click a box)",
        options,
        index=None,
        placeholder="a station or buffer",
        key="plant-detail",
    )
    return chosen


# ---------------------------------------------------------------------------------- playback
def _slider_bounds(shown: Shown) -> tuple[Any, Any, Any]:
    horizon = shown.result.horizon_days * 1440
    start = shown.scenario.start
    if start is None:
        return 0.0, horizon / 60, STEP_MIN / 60
    base = start.replace(tzinfo=None)
    return base, base + dt.timedelta(minutes=horizon), dt.timedelta(minutes=STEP_MIN)


def _minute(shown: Shown, value: Any) -> float:
    if isinstance(value, dt.datetime):
        start = shown.scenario.start
        assert start is not None
        return (value - start.replace(tzinfo=None)).total_seconds() / 60
    return float(value) * 60


def _advance(shown: Shown, minutes: float) -> None:
    """Move the slider by ``minutes`` (a step button, or a frame while playing)."""
    low, high, _ = _slider_bounds(shown)
    value = st.session_state.get("plant-at", low)
    moved = value + (
        dt.timedelta(minutes=minutes) if isinstance(value, dt.datetime) else minutes / 60
    )
    st.session_state["plant-at"] = min(max(moved, low), high)


def _playback(shown: Shown, replay: Replay) -> None:
    low, high, step = _slider_bounds(shown)
    speed = SPEEDS[st.session_state.get("plant-speed", next(iter(SPEEDS)))]
    playing = bool(st.session_state.get("plant-playing"))
    controls = st.columns([1, 1, 1, 2])
    controls[0].button(
        "⏸ Pause" if playing else "▶ Play",
        key="plant-play",
        on_click=lambda: st.session_state.update({"plant-playing": not playing}),
    )
    controls[1].button("◀ Step back", key="plant-back", on_click=_advance, args=(shown, -speed))
    controls[2].button("Step ▶", key="plant-forward", on_click=_advance, args=(shown, speed))
    controls[3].selectbox("Speed", list(SPEEDS), key="plant-speed", label_visibility="collapsed")

    @st.fragment(run_every=TICK_S if playing else None)
    def frame() -> None:
        if playing and st.session_state.get("plant-frame-ticks", 0) > 0:
            _advance(shown, speed)
        st.session_state["plant-frame-ticks"] = st.session_state.get("plant-frame-ticks", 0) + 1
        if "plant-at" not in st.session_state:
            st.session_state["plant-at"] = low
        value = st.slider(
            "Moment (replication 1)",
            min_value=low,
            max_value=high,
            step=step,
            key="plant-at",
            format="YYYY-MM-DD HH:mm" if isinstance(low, dt.datetime) else "%.2f h",
        )
        moment = replay.at(_minute(shown, value))
        st.markdown(f"**The plant at {moment.when}**")
        _draw(
            replay.layout,
            diagram.moment_picture(replay.layout, moment, ""),
            "plant-moment",
        )
        moment_tables(replay.layout, moment)
        chosen = st.session_state.get("plant-detail")
        if chosen:
            moment_details(replay.layout, moment, chosen)
        if playing and value >= high:
            st.session_state["plant-playing"] = False
            st.rerun(scope="app")

    frame()


def _replay_of(shown: Shown) -> Replay:
    """The replay of a shown run's event log (kept while the run is the same)."""
    cached = st.session_state.get("plant-replay-of")
    if cached is not None and cached[0] is shown.result:
        replay: Replay = cached[1]
        return replay
    result = shown.result
    replay = Replay(
        result.events or [],
        result.buffer_events or [],
        PlantLayout.of(shown.scenario),
        start=shown.scenario.start,
        horizon_min=result.horizon_days * 1440,
        roll_length_m=shown.scenario.roll_length_m,
        roll_lengths={roll["id"]: roll["length_m"] for roll in result.rolls or []},
    )
    st.session_state["plant-replay-of"] = (result, replay)
    return replay


def show_run(shown: Shown) -> None:
    """A run's diagram: its time in state, or its first replication played back."""
    st.caption(f"Showing {shown.origin}.")
    if not shown.result.events:
        st.warning("This run kept no event log: only its time in state can be drawn.")
    replay = _replay_of(shown)
    view = st.radio(
        "View",
        ["Time in state", "Playback of replication 1"],
        horizontal=True,
        key="plant-view",
    )
    if view == "Time in state" or not shown.result.events:
        colour = st.radio(
            "Colour stations by",
            ["working share", "dominant state"],
            horizontal=True,
            key="plant-colour",
        )
        colour_by: diagram.ColourBy = "working" if colour == "working share" else "dominant"
        picture = diagram.run_picture(replay.layout, shown.result, colour_by)
        _draw(replay.layout, picture, "plant-run")
        chosen = _detail_picker(replay.layout)
        if chosen in replay.layout.stations and chosen in shown.result.stations:
            station_details(shown.scenario, shown.result, replay, chosen)
        elif chosen is not None:
            buffer_details(shown.result, replay.layout, chosen)
        return
    st.caption(
        "Each unit's state and roll, each store's rolls and each accumulator's level from the "
        "event log; a roll's progress and an accumulator's level run linearly between the "
        "logged moments."
    )
    _detail_picker(replay.layout)
    _playback(shown, replay)


def show_state(scenario: Scenario, state: PlantState, name: str) -> None:
    """A plant state file drawn: "this is the plant now"."""
    layout = PlantLayout.of(scenario)
    moment = moment_of_state(state, layout, scenario.start, scenario.roll_length_m)
    st.caption(
        f"{name}: the plant at {moment.when}, checked against {scenario.name!r}. Units the file "
        "does not mention are drawn grey (unknown)."
    )
    title = f"This is the plant now: {moment.when}"
    _draw(layout, diagram.moment_picture(layout, moment, title), "plant-state-diagram")
    moment_tables(layout, moment)
    chosen = _detail_picker(layout)
    if chosen:
        moment_details(layout, moment, chosen)
        for unit in state.units:
            if layout.units[unit.unit].id == chosen and unit.counters:
                st.caption(f"{unit.unit}'s usage counters since their last maintenance")
                counters = {name: significant(value) for name, value in unit.counters.items()}
                st.table(pd.DataFrame([counters], index=[unit.unit]))


def page() -> None:
    """The Plant page."""
    st.title("Plant")
    source = st.radio("Show", SOURCES, horizontal=True, key="plant-source")
    with boundary():
        if source == SOURCES[0]:
            shown = _last_run()
            if shown is not None:
                show_run(shown)
        elif source == SOURCES[1]:
            shown = _stored_run()
            if shown is not None:
                show_run(shown)
        elif source == SOURCES[2]:
            scenario = require_scenario()
            state = _state_file(scenario)
            if state is not None:
                show_state(scenario, state, st.session_state["plant-state"].name)
        else:
            scenario = current_scenario() or require_scenario()
            layout = PlantLayout.of(scenario)
            _draw(layout, diagram.layout_picture(layout, scenario.name), "plant-layout")
