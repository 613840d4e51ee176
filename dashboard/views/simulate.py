"""Simulate page: run the twin on the current scenario in the background and show its results."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, gantt, tables
from dashboard.common import (
    Progress,
    belongs_to_current,
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
from dashboard.views.gantt_panel import show_gantt
from twin import RunOptions, Scenario, SimulationResult, simulate

JOB = "simulation-job"


def _settings(scenario: Scenario) -> None:
    """The run's settings, defaulting to the scenario's; a submit starts the run."""
    version = st.session_state.get("document_version", 0)
    defaults = RunOptions.of(scenario)
    orders = defaults.demand == "orders"
    with st.form("simulate-form"):
        days_box, warmup_box, replications_box, seed_box = st.columns(4)
        days = days_box.number_input(
            "Horizon, days", 0.01, 3650.0, defaults.horizon_min / 1440, key=f"days-{version}"
        )
        warmup = warmup_box.number_input(
            "Warm-up, days",
            0.0,
            3650.0,
            defaults.warmup_min / 1440,
            key=f"warmup-{version}",
            disabled=orders,
            help="An order-book run counts every order from the start: it has no warm-up."
            if orders
            else "Deleted from the statistics of this capacity run.",
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
            warmup_min=0.0 if orders else warmup * 1440,
            event_log=True,
            genealogy=True,
        )
        return simulate(scenario, options, progress=progress)

    def finished(result: SimulationResult) -> None:
        st.session_state["simulation"] = (result, scenario, version)
        save_simulation(scenario, result)

    st.session_state["simulation-finished"] = finished
    count = int(replications)
    start_job(JOB, f"simulating {count} replication(s)", work, total=count)


def show_simulation(result: SimulationResult, scenario: Scenario, key: str) -> None:
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
        f"{bottleneck.share:.0%} of the time · the Plant page draws the plant from this run"
    )
    tabs = st.tabs(["Time in state", "Buffers", "Output", "Gantt", "Quality", "Orders"])
    with tabs[0], boundary():
        st.plotly_chart(charts.state_bars(result), key=f"{key}-states")
        table(tables.stations_frame(result), f"{key}-stations", whole=True)
    with tabs[1], boundary():
        levels = charts.buffer_levels(result)
        if levels is None:
            st.caption("The scenario has no stores or accumulators.")
        else:
            st.plotly_chart(levels, key=f"{key}-levels")
            table(tables.buffers_frame(result), f"{key}-buffers")
    with tabs[2], boundary():
        output = charts.output_over_time(result.rolls or [], result.start)
        if output is not None:
            st.plotly_chart(output, key=f"{key}-output")
        table(tables.lines_frame(result), f"{key}-lines")
    orders = tables.orders_frame(result)
    with tabs[3], boundary():
        if result.events:
            chart = gantt.simulation_gantt(result, scenario)
            show_gantt(chart, orders, tables.late_rows(orders), f"{key}-gantt")
        else:
            st.caption("This run kept no event log: the Plant page can replay a stored run.")
    with tabs[4], boundary():
        _quality(result, key)
    with tabs[5], boundary():
        table(orders, f"{key}-orders", tables.late_rows(orders))


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
    st.caption(f"Scenario: {scenario.name} ({st.session_state['scenario_label']})")
    _settings(scenario)
    follow_job(JOB, st.session_state.get("simulation-finished", lambda _result: None))
    saved_note()
    if "simulation" in st.session_state:
        result, simulated, version = st.session_state["simulation"]
        if not belongs_to_current(version):
            st.warning(
                f"These results are of {simulated.name!r} as it was before the latest change "
                "to the current scenario: run again to see the current one."
            )
        show_simulation(result, simulated, "simulation")
