"""Simulate page: run the twin on the current scenario in the background and show its results."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import charts, tables
from dashboard.common import (
    Progress,
    boundary,
    follow_job,
    kpi_cards,
    require_scenario,
    running,
    save_simulation,
    saved_note,
    start_job,
    table,
)
from twin import RunOptions, Scenario, SimulationResult, simulate

JOB = "simulation-job"


def _settings(scenario: Scenario) -> None:
    """The run's settings, defaulting to the scenario's; a submit starts the run."""
    version = st.session_state.get("document_version", 0)
    horizon_days = scenario.run.horizon / 1440
    with st.form("simulate-form"):
        days_box, warmup_box, replications_box, seed_box = st.columns(4)
        days = days_box.number_input(
            "Horizon, days", 0.01, 3650.0, horizon_days, key=f"days-{version}"
        )
        warmup = warmup_box.number_input(
            "Warm-up, days",
            0.0,
            3650.0,
            min(scenario.run.warmup / 1440, horizon_days / 2),
            key=f"warmup-{version}",
        )
        replications = replications_box.number_input(
            "Replications", 1, 1000, scenario.run.replications, key=f"replications-{version}"
        )
        seed = seed_box.number_input("Seed", 0, 2**31 - 1, scenario.run.seed, key=f"seed-{version}")
        go = st.form_submit_button("Run simulation", type="primary", disabled=running(JOB))
    if not go:
        return

    def work(progress: Progress) -> SimulationResult:
        options = RunOptions.of(
            scenario,
            replications=int(replications),
            seed=int(seed),
            horizon_min=days * 1440,
            warmup_min=warmup * 1440,
            event_log=True,
            genealogy=True,
        )
        return simulate(scenario, options, progress=progress)

    start_job(JOB, f"simulating {int(replications)} replication(s)", work)


def show_simulation(result: SimulationResult, origin: dt.datetime | None, key: str) -> None:
    """A simulation's KPI cards, charts and tables (``key`` keeps widgets of two views apart)."""
    st.caption(
        f"{result.scenario} · {result.horizon_days:g} days (warm-up {result.warmup_days:g}) · "
        f"{result.replications} replication(s) · seed {result.seed} · mean [95 % CI]"
    )
    kpi_cards(result.kpis)
    with st.expander("All KPIs as a table"):
        table(tables.kpi_frame(result), f"{key}-kpis")
    bottleneck = result.bottleneck
    st.info(
        f"Bottleneck (active-period method): **{bottleneck.station}**, "
        f"{bottleneck.share:.0%} of the time"
    )
    tabs = st.tabs(["Time in state", "Buffers", "Output", "Gantt", "Quality", "Orders"])
    with tabs[0], boundary():
        st.plotly_chart(charts.state_bars(result), key=f"{key}-states")
        table(tables.stations_frame(result), f"{key}-stations")
    with tabs[1], boundary():
        levels = charts.buffer_levels(result)
        if levels is None:
            st.caption("The scenario has no stores or accumulators.")
        else:
            st.plotly_chart(levels, key=f"{key}-levels")
            table(tables.buffers_frame(result), f"{key}-buffers")
    with tabs[2], boundary():
        output = charts.output_over_time(result.rolls or [])
        if output is not None:
            st.plotly_chart(output, key=f"{key}-output")
        table(tables.lines_frame(result), f"{key}-lines")
    with tabs[3], boundary():
        if result.events:
            horizon = result.horizon_days * 1440
            st.plotly_chart(charts.state_gantt(result.events, horizon, origin), key=f"{key}-gantt")
        else:
            st.caption("This run kept no event log.")
    with tabs[4], boundary():
        _quality(result, key)
    with tabs[5], boundary():
        table(tables.orders_frame(result), f"{key}-orders")


def _quality(result: SimulationResult, key: str) -> None:
    if "yield" not in result.kpis:
        st.caption("The quality model is off in this scenario (run.quality).")
        return
    if result.scrap_m2:
        st.markdown("**Scrap by cause** (m² over the measured period)")
        st.plotly_chart(charts.scrap_pareto(result.scrap_m2), key=f"{key}-pareto")
    rolls = result.rolls or []
    if rolls:
        ids = [roll["id"] for roll in rolls]
        chosen = st.selectbox("Defect map of roll", ids, key=f"{key}-roll")
        roll = rolls[ids.index(chosen)] if chosen in ids else rolls[0]
        st.plotly_chart(charts.defect_map(roll), key=f"{key}-defects")


def page() -> None:
    """The Simulate page."""
    st.title("Simulate")
    scenario = require_scenario()
    st.caption(f"Scenario: {st.session_state['scenario_label']} · {scenario.name}")
    _settings(scenario)

    def finished(result: SimulationResult) -> None:
        st.session_state["simulation"] = (result, scenario.start)
        save_simulation(scenario, result)

    follow_job(JOB, finished)
    saved_note()
    if "simulation" in st.session_state:
        result, origin = st.session_state["simulation"]
        show_simulation(result, origin, "simulation")
