"""Re-planning as the plant runs, on a case whose answer is known.

Two identical one-tool lines L1 and L2 (a 600 m roll takes 60 min on either), sixteen one-roll
orders due two at a time, an hour apart, each with two hours of slack: together the lines just
keep up. A1 (line L1's tool) has run 1940 of its 2000 operating minutes to a fixed failure, so it
fails one hour in, and its repair takes about a day (lognormal, mean 24 h, cv 0.25, drawn anew in
each replication).

- The static schedule, made at the start without knowing of the failure, keeps half the orders
  on L1: seven of them wait for A1's repair of R hours and are each R - 2 h late.
- Re-planning every two hours sees A1 down at the first re-plan after the failure and moves the
  rolls not yet released to L2, which then makes them one an hour: the orders run late by hours,
  not by a day.

So periodic re-planning must be better on weighted tardiness with a paired interval that excludes
zero, in every replication.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from twin.cli import app
from twin.engine import RunOptions
from twin.rolling import Planning, parse_policy, report, run_policies
from twin.scenario import Scenario, scenario_from_document
from twin.state import PlantState, parse_state

START = dt.datetime(2026, 12, 7, 6, 0)


def _tool(name: str) -> dict[str, Any]:
    return {
        "id": name,
        "equipment": {"type": "generic", "speed_m_min": 10},
        "failures": [
            {
                "name": "jam",
                "ttf": {"dist": "fixed", "value": "2000min"},
                "ttr": {"dist": "lognormal", "mean": "24h", "cv": 0.25},
                "needs_crew": False,
            }
        ],
    }


def two_lines() -> dict[str, Any]:
    """The document of the two-line case (module docstring)."""
    orders = [
        {
            "id": f"O{k + 1:02d}",
            "product": "web",
            "length_m": 600,
            "due": f"{(k // 2 + 1) * 60 + 120}min",
        }
        for k in range(16)
    ]
    return {
        "name": "two lines, one failure",
        "start": START.isoformat(),
        "roll_length_m": 600,
        "products": [{"id": "web", "web_width_m": 1.0, "recipe": [{"station_type": "generic"}]}],
        "lines": [{"id": "L1", "stations": [_tool("A1")]}, {"id": "L2", "stations": [_tool("A2")]}],
        "orders": orders,
        "run": {"horizon": "2d", "seed": 5, "replications": 4, "quality": False},
    }


def _state(scenario: Scenario) -> PlantState:
    document = {"at": START.isoformat(), "units": [{"unit": "A1", "operating_min": {"jam": 1940}}]}
    return parse_state(yaml.safe_dump(document), scenario)


def test_re_planning_recovers_what_a_static_schedule_loses_to_a_long_failure() -> None:
    scenario = scenario_from_document(two_lines())
    options = RunOptions.of(scenario, state=_state(scenario))
    planning = Planning(time_limit_s=2, workers=1, frozen_min=0)
    policies = [parse_policy("static"), parse_policy("every:2h")]
    runs = run_policies(scenario, options, policies, planning)
    result = report(runs, wall_s=1.0)
    static, periodic = result.policies
    assert static.policy.name == "static" and result.reference == "static"
    # A1 fails at 60 min in every replication: the twin's truth, the same for both policies
    for run in runs:
        a1 = run.record.stations["A1"].states
        assert a1["down"] > 0.3  # about a day of two
    # the static plan is made once; periodic re-plans every 2 h: 1 + 23 plans
    assert all(len(run.plans) == 1 for run in static.runs)
    assert all(len(run.plans) == 24 for run in periodic.runs)
    # static, by hand: L1's rolls j = 1..7 (the orders due at (j + 1) h + 2 h) wait for the
    # repair of R hours from 1 h and then take an hour each, ending at 1 h + R + j h: each is
    # R - 2 h late, 7 (R - 2 h) in all, with R the realised down time of A1
    for run in static.runs:
        repair_h = run.record.stations["A1"].states["down"] * 48
        late = 7 * (repair_h - 2)
        assert run.record.plant.weighted_tardiness_h == pytest.approx(late, rel=1e-6)
    difference = periodic.differences["weighted_tardiness_h"]
    assert difference is not None and difference.n == 4
    assert difference.ci_high < 0, difference
    assert result.verdict(periodic, "weighted_tardiness_h") == "better"
    # the first re-plan after the failure moved work: nervousness is above zero
    nervousness = periodic.estimates["nervousness"]
    assert nervousness is not None and nervousness.mean > 0
    # every replication is better re-planned, not only the mean
    paired = {run.replication: run for run in static.runs}
    for run in periodic.runs:
        before = paired[run.replication].record.plant.weighted_tardiness_h
        assert run.record.plant.weighted_tardiness_h < before


def test_the_rolling_command_compares_policies_and_labels_its_question(tmp_path: Any) -> None:
    path = tmp_path / "two_lines.yaml"
    path.write_text(yaml.safe_dump(two_lines(), sort_keys=False))
    state = tmp_path / "now.yaml"
    state.write_text(
        yaml.safe_dump(
            {"at": START.isoformat(), "units": [{"unit": "A1", "operating_min": {"jam": 1940}}]}
        )
    )
    args = ["rolling", str(path), "--state", str(state), "--days", "1", "--replications", "2"]
    args += ["--policy", "rules", "--policy", "static", "--policy", "event:failure=1h"]
    args += ["--plan-time", "1", "--workers", "1", "--frozen", "0min"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    output = result.output
    assert "delivery of the order book over 1 days from 2026-12-07 06:00" in output
    assert "against static: paired differences" in output
    assert "event:failure=1h − static" in output
    assert "a new schedule when a tool has been down 1 h" in output
    done = CliRunner().invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    document = yaml.safe_load(done.output)
    event = next(p for p in document["policies"] if p["policy"] == "event:failure=1h")
    # A1 fails at 60 min; the trigger looks every 15 min and fires once A1 has been seen down
    # for an hour: one re-plan, between 2 h and 2 h 15 min after the start, naming A1
    for replication in event["replications"]:
        start, replan = replication["plans"]
        assert start["reason"] == "start" and replan["reason"].startswith("A1 down")
        assert "2026-12-07 08:00" <= replan["at"] <= "2026-12-07 08:15"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--policy", "every:soon", "'every:soon': 'soon' is not a duration"),
        ("--policy", "sometimes", "'sometimes' is not a policy"),
        ("--frozen", "a while", "--frozen"),
    ],
)
def test_bad_rolling_options_exit_2_before_any_run(
    tmp_path: Any, option: str, value: str, message: str
) -> None:
    path = tmp_path / "two_lines.yaml"
    path.write_text(yaml.safe_dump(two_lines(), sort_keys=False))
    result = CliRunner().invoke(app, ["rolling", str(path), option, value])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "replication" not in result.output
