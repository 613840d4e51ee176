"""Runs from a plant state, and snapshots (issue 15): hand-worked cases and round trips.

The small cases run the two-tool line of :mod:`tests.state_cases`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import TypeAdapter
from typer.testing import CliRunner

from stations.distributions import Distribution
from tests.conftest import SCENARIOS
from tests.state_cases import (
    at,
    finished,
    run,
    state,
    three_tools_with_a_clean,
    two_tools,
)
from twin.cli import app
from twin.engine import RunOptions, run_replication
from twin.engine.records import ReplicationRecord
from twin.scenario import Scenario, load_scenario, scenario_from_document
from twin.state import parse_state, state_document


# ------------------------------------------------------------------ hand-worked cases
def test_a_tool_down_until_two_hours_delays_the_first_output_by_exactly_that() -> None:
    scenario = two_tools()
    empty = run(scenario)
    down = run(
        scenario, state(scenario, units=[{"unit": "T1", "status": "down", "until": at(120)}])
    )
    # from empty: O/1 on T1 0-10, on T2 10-30; with T1 down to 120: T1 120-130, T2 130-150
    assert empty.orders["O"].completion_min is not None
    assert min(finished(empty).values()) == pytest.approx(30)
    assert min(finished(down).values()) == pytest.approx(150)
    # the whole order: five rolls paced by T2 (20 min each) after the first reaches it
    assert empty.orders["O"].completion_min == pytest.approx(10 + 5 * 20)
    assert down.orders["O"].completion_min == pytest.approx(120 + 10 + 5 * 20)


def test_a_half_processed_roll_finishes_after_its_remaining_metres() -> None:
    scenario = two_tools()
    half = state(
        scenario,
        units=[
            {
                "unit": "T1",
                "roll": {"id": "O/1", "order": "O", "product": "web", "step": 0, "done_m": 40},
            }
        ],
        orders=[{"order": "O", "released_rolls": 1}],
    )
    times = finished(run(scenario, half))
    # O/1 has 60 m left on T1 at 10 m/min: 6 min; then 20 min on T2 -> 26; O/2 (released at 0,
    # on T1 6-16) waits for T2 until 26 -> 46
    assert times["O/1"] == pytest.approx(26)
    assert times["O/2"] == pytest.approx(46)


def test_rolls_in_a_store_are_processed_before_newly_released_ones() -> None:
    scenario = two_tools()
    waiting = state(
        scenario,
        stores=[
            {
                "store": "S",
                "rolls": [
                    {
                        "id": "O/5",
                        "order": "O",
                        "product": "web",
                        "done_step": 0,
                        "entered": at(-30),
                    }
                ],
            }
        ],
        orders=[{"order": "O", "released_rolls": 1, "released_ids": ["O/5"]}],
    )
    times = finished(run(scenario, waiting))
    # T2 takes O/5 from S at once (0-20), then O/1 (T1 0-10, T2 20-40), O/2 ... 40-60 ...
    assert times["O/5"] == pytest.approx(20)
    assert times["O/1"] == pytest.approx(40)
    assert sorted(times, key=times.__getitem__) == ["O/5", "O/1", "O/2", "O/3", "O/4"]


def test_a_roll_that_waited_three_hours_of_a_four_hour_limit_expires_after_one() -> None:
    scenario = two_tools(max_wait={"web": "4h"})
    waited = state(
        scenario,
        units=[{"unit": "T2", "status": "down", "until": at(600)}],  # nothing takes it
        stores=[
            {
                "store": "S",
                "rolls": [
                    {
                        "id": "O/1",
                        "order": "O",
                        "product": "web",
                        "done_step": 0,
                        "entered": at(-180),
                    }
                ],
            }
        ],
        orders=[{"order": "O", "released_rolls": 1}],
    )
    record = run(scenario, waited)
    expired = [c for c in record.buffer_events or [] if c.change == "expired"]
    assert next((c.roll, c.minute) for c in expired) == ("O/1", pytest.approx(60))
    # a roll that entered in the run waits its full four hours: O/2 (T1 0-10) expires at 250
    assert ("O/2", pytest.approx(250)) in [(c.roll, c.minute) for c in expired]


def test_a_counter_near_its_limit_brings_the_clean_forward_to_the_first_roll() -> None:
    scenario = three_tools_with_a_clean()
    # PC deposits 4 µm Si + 30 nm SiNx = 4.03 µm·m per metre at 3 × 3000 / 4000 = 2.25 m/min.
    # With 16 000 µm·m on the walls, a roll loaded on PC reaches 20 000 after
    # 4000 / 4.03 = 992.56 m, i.e. 441.14 min into the first roll.
    loaded = state(
        scenario,
        units=[
            {
                "unit": "PC",
                "roll": {"id": "O1/1", "order": "O1", "product": "NiSi-A2", "step": 1},
                "counters": {"wall_deposit_um_m": 16000},
            }
        ],
        orders=[{"order": "O1", "released_rolls": 1}],
    )
    cleans = [
        e.minute
        for e in run(scenario, loaded).events or []
        if e.unit == "PC" and e.state == "maintenance"
    ]
    assert cleans[0] == pytest.approx(4000 / 4.03 / 2.25)
    # from a clean chamber the first clean comes only after 20 000 / 4.03 = 4963 m: in roll 5
    fresh = [e for e in run(scenario).events or [] if e.unit == "PC" and e.state == "maintenance"]
    assert fresh[0].roll == "O1/5"


# ------------------------------------------------------------------ round trips
def deterministic(scenario: Scenario) -> Scenario:
    """The scenario with every distribution fixed at its mean and quality off."""
    adapter: TypeAdapter[Any] = TypeAdapter(Distribution)

    def fixed(node: Any) -> Any:
        if isinstance(node, dict):
            if "dist" in node:
                return {"dist": "fixed", "value": adapter.validate_python(node).mean()}
            return {key: fixed(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fixed(value) for value in node]
        return node

    document = fixed(scenario.model_dump(mode="json", by_alias=True, exclude_none=True))
    document["run"]["quality"] = False
    return scenario_from_document(document)


def split_run(
    scenario: Scenario, split: float, horizon: float, replication: int = 0, seed: int = 1
) -> tuple[ReplicationRecord, ReplicationRecord]:
    """The first ``split`` minutes, then the rest from its snapshot (written and read back)."""
    first = run_replication(
        scenario,
        RunOptions.of(scenario, horizon_min=split, snapshot_at_min=split, seed=seed),
        replication,
    )
    assert first.snapshot is not None
    text = yaml.safe_dump(state_document(first.snapshot), sort_keys=False)
    resumed = parse_state(text, scenario)
    rest = run_replication(
        scenario,
        RunOptions.of(scenario, horizon_min=horizon - split, state=resumed, seed=seed),
        replication,
    )
    return first, rest


@pytest.mark.parametrize("split_days", [10.0, 3.703, 11.813])
def test_a_deterministic_run_resumed_from_its_snapshot_is_the_same_run(split_days: float) -> None:
    scenario = deterministic(load_scenario(SCENARIOS / "baseline.yaml"))
    horizon, split = 20 * 1440.0, split_days * 1440
    whole = run_replication(scenario, RunOptions.of(scenario, horizon_min=horizon), 0)
    first, rest = split_run(scenario, split, horizon)
    assert rest.start == first.snapshot.at  # type: ignore[union-attr]
    for order, figures in whole.orders.items():
        before = first.orders[order].completion_min
        after = rest.orders[order].completion_min if order in rest.orders else None
        joined = before if before is not None else (after + split if after is not None else None)
        assert joined == (
            pytest.approx(figures.completion_min, abs=1e-6)
            if figures.completion_min is not None
            else None
        ), order
    for name, station in whole.stations.items():
        metres = first.stations[name].metres + rest.stations[name].metres
        assert metres == pytest.approx(station.metres, abs=1e-6), name
        for kind, share in station.states.items():
            joined_share = (
                first.stations[name].states[kind] * split
                + rest.stations[name].states[kind] * (horizon - split)
            ) / horizon
            assert joined_share == pytest.approx(share, abs=1e-9), (name, kind)


def test_a_stochastic_run_resumed_from_its_snapshot_agrees_within_intervals() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    horizon, split, replications = 20 * 1440.0, 10 * 1440.0, 10
    whole, joined = [], []
    for r in range(replications):
        full = run_replication(scenario, RunOptions.of(scenario, horizon_min=horizon, seed=7), r)
        first, rest = split_run(scenario, split, horizon, r, seed=7)
        whole.append(full.plant.output_m_per_h * horizon / 60)
        joined.append((first.plant.output_m_per_h * split + rest.plant.output_m_per_h * split) / 60)
    # the two ways estimate the same mean output: Welch's 95 % interval of the difference
    a, b = np.array(whole), np.array(joined)
    difference = b.mean() - a.mean()
    half_width = 2.101 * np.sqrt(a.var(ddof=1) / replications + b.var(ddof=1) / replications)
    assert abs(difference) < half_width, (a.mean(), b.mean(), half_width)
    # and the split runs are not a copy of the whole ones (their randomness differs after it)
    assert not np.allclose(a, b)


def test_a_snapshot_keeps_every_roll_in_one_place() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    first = run_replication(
        scenario, RunOptions.of(scenario, horizon_min=5000, snapshot_at_min=5000), 0
    )
    snapshot = first.snapshot
    assert snapshot is not None
    ids = [u.roll.id for u in snapshot.units if u.roll is not None]
    ids += [r.id for s in snapshot.stores for r in s.rolls]
    ids += [r.id for q in snapshot.queues for r in q.rolls]
    inline = {"OX1", "PC1", "AL1", "AN1"}  # one segment: its stations share the web's rolls
    per_segment = {
        (u.roll.id, "INL1" if u.unit in inline else u.unit)
        for u in snapshot.units
        if u.roll is not None
    }
    elsewhere = [r.id for s in snapshot.stores for r in s.rolls]
    elsewhere += [r.id for q in snapshot.queues for r in q.rolls]
    places = [roll for roll, _ in per_segment] + elsewhere
    assert sorted(places) == sorted(set(places)), "a roll in two places"
    assert set(ids) == set(places)
    # and every order's rolls add up: finished + in the plant <= released
    in_plant: dict[str, int] = {}
    for roll in set(places):
        order = roll.rstrip("r").rpartition("/")[0]
        in_plant[order] = in_plant.get(order, 0) + 1
    for progress in snapshot.orders:
        assert progress.finished_rolls + in_plant.get(progress.order, 0) <= progress.released_rolls
    copy.deepcopy(snapshot)  # a plain document


# ------------------------------------------------------------------ the command line
def test_simulate_writes_a_snapshot_and_starts_from_it(tmp_path: Any) -> None:
    runner = CliRunner()
    baseline = str(SCENARIOS / "baseline.yaml")
    snapshot = tmp_path / "state.yaml"
    first = runner.invoke(
        app,
        [
            "simulate",
            baseline,
            "--days",
            "3",
            "--replications",
            "1",
            "--no-store",
            "--snapshot-at",
            "2026-12-09T18:00",
            "--snapshot-out",
            str(snapshot),
        ],
    )
    assert first.exit_code == 0, first.output
    written = yaml.safe_load(snapshot.read_text())
    assert written["at"] == "2026-12-09T18:00:00"
    resumed = runner.invoke(
        app,
        [
            "simulate",
            baseline,
            "--days",
            "2",
            "--replications",
            "1",
            "--no-store",
            "--state",
            str(snapshot),
        ],
    )
    assert resumed.exit_code == 0, resumed.output
    assert "from the plant as it was at 2026-12-09 18:00" in resumed.output
    assert "2 days from 2026-12-09 18:00" in resumed.output


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--snapshot-at", "2026-12-09T18:00"], "--snapshot-at needs --snapshot-out"),
        (["--snapshot-at", "2027-03-01T06:00", "--snapshot-out", "{out}"], "is not within the run"),
        (["--snapshot-at", "tomorrow", "--snapshot-out", "{out}"], "is not a date-time"),
        (["--state", "{missing}"], "cannot read the plant state"),
    ],
)
def test_simulate_refuses_bad_state_options_before_running(
    tmp_path: Any, arguments: list[str], says: str
) -> None:
    out, missing = tmp_path / "s.yaml", tmp_path / "nope.yaml"
    given = [a.format(out=out, missing=missing) for a in arguments]
    result = CliRunner().invoke(
        app, ["simulate", str(SCENARIOS / "baseline.yaml"), "--days", "3", "--no-store", *given]
    )
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert not out.exists()
