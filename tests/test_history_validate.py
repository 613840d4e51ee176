"""Validating the twin against history: it passes its own log and fails where it is wrong."""

from __future__ import annotations

import dataclasses

import yaml

from tests.history_cases import DATA, doubled, recorded_run
from twin.history import records_log, validate_history
from twin.scenario import load_scenario, scenario_from_document

PLANT = DATA / "three_lines.yaml"


def test_true_parameters_pass_and_a_doubled_repair_fails_on_that_station_only() -> None:
    scenario = load_scenario(PLANT)
    # the plant's history, with rolls and causes: another seed than the replay's
    records, _ = recorded_run(scenario, seed=999)
    log = records_log(records, scenario.run.horizon)
    true = validate_history(log, scenario, replications=6)
    assert true.inside, [v.summary() for v in true.stations if not v.inside]
    assert {v.subject for v in true.stations} == {"X", "Y", "Z"}
    y = true.station("Y")
    metrics = {c.metric for c in y.comparisons}
    assert {"working share", "down share", "failures", "mean repair min"} <= metrics
    line = next(v for v in true.lines if v.subject == "LY")
    assert "rolls finished" in {c.metric for c in line.comparisons}
    # a log that names no rolls (an MES without them): stations compared, lines' output not
    bare = [dataclasses.replace(r, roll=None, order=None, product=None) for r in records]
    plain = validate_history(records_log(bare, scenario.run.horizon), scenario, replications=3)
    assert plain.inside and "names no rolls" in plain.lines[0].note
    document = yaml.safe_load(PLANT.read_text())
    wrong = scenario_from_document(
        doubled(document, ["lines", 1, "stations", 0, "failures", 0, "ttr", "mean"])
    )
    check = validate_history(log, wrong, replications=6)
    assert not check.station("Y").inside
    assert check.station("X").inside and check.station("Z").inside
    worst = check.station("Y").worst
    assert worst is not None and worst.observed < worst.low  # the log repairs faster
    lines = {v.subject: v.inside for v in check.lines}
    assert lines == {"LX": True, "LY": False, "LZ": True}
    assert "empty plant" in check.notes[0]
