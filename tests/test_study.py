"""Capacity studies: specification checks, designs, statistics, executors, resume after a kill."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SCENARIOS, VALIDATION
from twin import (
    Store,
    StoreError,
    StudyResult,
    StudySpec,
    load_scenario,
    load_study,
    parse_study,
    run_study,
)
from twin.engine.stats import t_quantile_975
from twin.scenario import ScenarioError
from twin.study import Design, Factor, StudyInterrupted, design_points, workers

BASELINE = SCENARIOS / "baseline.yaml"
ACCUMULATOR = "lines[0].buffers[1].capacity_m"
PC2_UNITS = "lines[1].stations[1].units"


def small_study(**changes: Any) -> StudySpec:
    """Two design points of the baseline over two simulated days: fast, and random."""
    fields: dict[str, Any] = {
        "name": "small",
        "scenario": load_scenario(BASELINE),
        "factors": [Factor(name="units", path=PC2_UNITS, values=[2, 3])],
        "replications": 3,
        "horizon": "2d",
        "warmup": 0,
        "kpis": ["output_m2_per_h", "lines.RCCU.wip_rolls", "bottleneck.PC2"],
    }
    return StudySpec.model_validate(fields | changes)


# --------------------------------------------------------------------------- specification
def study_text(**changes: Any) -> str:
    document: dict[str, Any] = {
        "name": "t",
        "scenario": str(BASELINE),
        "factors": [
            {"name": "units", "path": PC2_UNITS, "values": [2, 3]},
            {"name": "acc", "path": ACCUMULATOR, "values": [50, 100, 200]},
        ],
        "replications": 2,
    }
    document.update(changes)
    return yaml.safe_dump(document)


def test_a_study_file_loads_with_the_scenario_relative_to_it() -> None:
    spec = load_study(ROOT / "studies" / "pecvd_accumulator.yaml")
    assert spec.scenario.name.startswith("Baseline")
    assert spec.run_replications == 30
    assert spec.horizon_min == 30 * 1440 and spec.warmup_min == 2 * 1440
    assert [f.label for f in spec.factors] == ["PC2_units", "ACC2_capacity_m"]
    assert spec.objective_kpi == "output_m2_per_h"


def test_every_mistake_is_listed_by_its_path() -> None:
    text = study_text(
        factors=[
            {"path": "lines[0].stations[9].units", "values": [1]},
            {"path": ACCUMULATOR, "values": [50, 100, -5]},
            {"path": ACCUMULATOR, "range": [10, 5]},
        ],
        replications=0,
        kpis=["output_m2_per_h", "throughput"],
        surprise=1,
    )
    with pytest.raises(ScenarioError) as caught:
        parse_study(text, "study.yaml")
    messages = [str(p) for p in caught.value.problems]
    paths = {p.path for p in caught.value.problems}
    assert {"replications", "surprise", "factors[2]", "factors[0].path", "kpis[1]"} <= paths
    named = "lines[0] (INL1).buffers[1] (ACC2).capacity_m"
    assert f"factors[1].values[2]: {named}: must be >= 0 (got -5)" in messages, messages
    unknown = next(m for m in messages if m.startswith("kpis[1]"))
    assert "unknown KPI 'throughput'" in unknown and "lines.INL1.wip_rolls" in unknown
    assert caught.value.source == "study.yaml"


def test_semantic_mistakes_of_a_well_formed_study() -> None:
    text = study_text(
        design={"kind": "latin_hypercube", "samples": 4},
        objective="ah_per_h",
        warmup="2d",
        horizon="1d",
    )
    with pytest.raises(ScenarioError) as caught:
        parse_study(text)
    paths = sorted(p.path for p in caught.value.problems)
    # a Latin hypercube wants ranges; the objective must be a reported KPI; warm-up too long
    assert paths == ["factors[0]", "factors[1]", "objective", "warmup"]


def test_a_bad_scenario_and_missing_file_are_reported() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_study(study_text(scenario="nowhere.yaml"))
    assert str(caught.value.problems[0]).startswith("scenario: nowhere.yaml: cannot read")
    with pytest.raises(ScenarioError, match="cannot read the study: no such file"):
        load_study("nowhere-study.yaml")


def test_levels_of_a_range_and_a_range_needs_levels_in_a_grid_design() -> None:
    factor = Factor(path=ACCUMULATOR, range=[50, 200], levels=4)
    assert factor.grid() == [50, 100, 150, 200] and factor.whole
    assert Factor(path="x", range=[0.0, 1.0], levels=3).grid() == [0.0, 0.5, 1.0]
    with pytest.raises(ScenarioError) as caught:
        parse_study(study_text(factors=[{"path": ACCUMULATOR, "range": [50, 200]}]))
    assert [str(p) for p in caught.value.problems] == [
        "factors[0].levels: is required for a range in a full_factorial design"
    ]


# ---------------------------------------------------------------------------------- designs
values = st.lists(st.integers(0, 50), min_size=1, max_size=4, unique=True)


@settings(max_examples=40, deadline=None)
@given(st.lists(values, min_size=1, max_size=3), st.data())
def test_grid_design_sizes(levels: list[list[int]], data: st.DataObject) -> None:
    factors = [Factor(path=f"f{i}", values=v) for i, v in enumerate(levels)]
    base = [data.draw(st.integers(0, 50)) for _ in levels]
    full = design_points(factors, Design(kind="full_factorial"), base, 1)
    assert len(full) == math.prod(len(v) for v in levels) == len(set(full))
    one = design_points(factors, Design(kind="one_at_a_time"), base, 1)
    assert one[0] == tuple(base)
    assert len(one) == 1 + sum(len(v) - (b in v) for v, b in zip(levels, base, strict=True))
    for point in one[1:]:  # each varies exactly one factor from its base value
        assert sum(p != b for p, b in zip(point, base, strict=True)) == 1


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 40),
    st.lists(st.tuples(st.floats(-100, 100), st.floats(0.1, 100)), min_size=1, max_size=4),
    st.integers(0, 2**32),
)
def test_latin_hypercube_puts_one_sample_in_each_stratum(
    samples: int, bounds: list[tuple[float, float]], seed: int
) -> None:
    factors = [
        Factor(path=f"f{i}", range=[low, low + width]) for i, (low, width) in enumerate(bounds)
    ]
    points = design_points(factors, Design(kind="latin_hypercube", samples=samples), [], seed)
    assert len(points) == samples
    for column, (low, width) in enumerate(bounds):
        strata = sorted(min(int((p[column] - low) / width * samples), samples - 1) for p in points)
        assert strata == list(range(samples))
    again = design_points(factors, Design(kind="latin_hypercube", samples=samples), [], seed)
    assert again == points


def test_latin_hypercube_of_whole_numbers_stays_in_range() -> None:
    factor = Factor(path="n", range=[1, 3])
    points = design_points([factor], Design(kind="latin_hypercube", samples=30), [], 5)
    assert {p[0] for p in points} == {1, 2, 3}
    assert all(isinstance(p[0], int) for p in points)


# ---------------------------------------------------------------------------- statistics
@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, StudyResult]:
    store = Store(tmp_path_factory.mktemp("store") / "r2r.sqlite")
    return store, run_study(small_study(), store=store, workers=1)


@pytest.fixture
def small_result(stored: tuple[Store, StudyResult]) -> StudyResult:
    return stored[1]


def test_table_mean_and_interval_are_those_of_the_replications(small_result: StudyResult) -> None:
    frame = small_result.replications
    assert list(frame.columns[:3]) == ["point", "replication", "units"]
    assert len(frame) == 6 and sorted(frame["replication"].unique()) == [0, 1, 2]
    for kpi in small_result.kpis:
        for point, rows in frame.groupby("point"):
            data = list(rows[kpi])
            mean = statistics.fmean(data)
            half = t_quantile_975(len(data) - 1) * statistics.stdev(data) / math.sqrt(len(data))
            row = small_result.table.loc[point]
            assert row[kpi] == pytest.approx(mean, rel=1e-12, abs=1e-12)
            assert row[f"{kpi}_low"] == pytest.approx(mean - half, rel=1e-9, abs=1e-12)
            assert row[f"{kpi}_high"] == pytest.approx(mean + half, rel=1e-9, abs=1e-12)
    assert small_result.table["n"].tolist() == [3, 3]
    # different replications see different failures
    assert frame["lines.RCCU.wip_rolls"].nunique() > 2


def test_best_follows_the_meaning_of_the_kpi(small_result: StudyResult) -> None:
    table = small_result.table
    best = small_result.best("output_m2_per_h")
    assert best["output_m2_per_h"] == table["output_m2_per_h"].max()
    assert small_result.best("lines.RCCU.wip_rolls")["lines.RCCU.wip_rolls"] == (
        table["lines.RCCU.wip_rolls"].min()
    )
    lowest = small_result.best("output_m2_per_h", maximise=False)
    assert lowest["output_m2_per_h"] == table["output_m2_per_h"].min()
    with pytest.raises(KeyError):
        small_result.best("nope")


def test_figures_plot_each_kpi_against_each_factor_with_error_bars(
    small_result: StudyResult,
) -> None:
    figures = small_result.figures()
    assert list(figures) == ["units"]
    traces = figures["units"].data
    assert len(traces) == len(small_result.kpis)
    first = traces[0]
    assert list(first.x) == [2, 3]
    table = small_result.table
    assert list(first.y) == list(table["output_m2_per_h"])
    expected = table["output_m2_per_h_high"] - table["output_m2_per_h"]
    assert list(first.error_y.array) == pytest.approx(list(expected))


def test_the_store_gives_back_the_same_study(stored: tuple[Store, StudyResult]) -> None:
    store, result = stored
    again = store.study(result.study_id)
    pd.testing.assert_frame_equal(again.table, result.table, check_exact=True)
    pd.testing.assert_frame_equal(again.replications, result.replications, check_exact=True)
    info = store.info(result.study_id)
    assert (info.kind, info.status, info.tasks_done, info.tasks_total) == (
        "study",
        "finished",
        6,
        6,
    )
    assert store.scenario_document(result.study_id)["name"].startswith("Baseline")
    assert store.study_spec(result.study_id)["factors"][0]["path"] == PC2_UNITS


# ---------------------------------------------------------------------------- executors
def test_results_do_not_depend_on_the_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = small_study()
    store = Store(tmp_path / "r2r.sqlite")
    one = run_study(spec, store=store, workers=1)
    two = run_study(spec, store=store, workers=2)  # forked workers
    dask = run_study(spec, store=store, executor="dask", workers=2)
    monkeypatch.setattr(workers, "_start_method", lambda: "spawn")
    spawned = run_study(spec, store=store, workers=2)
    assert len({one.study_id, two.study_id, dask.study_id, spawned.study_id}) == 4
    for other in (two, dask, spawned):
        pd.testing.assert_frame_equal(one.table, other.table, check_exact=True)
        pd.testing.assert_frame_equal(one.replications, other.replications, check_exact=True)


def test_ctrl_c_keeps_finished_tasks_and_resume_runs_the_rest(tmp_path: Path) -> None:
    spec = small_study()
    store = Store(tmp_path / "r2r.sqlite")
    calls: list[int] = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append(done)
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(StudyInterrupted) as caught:
        run_study(spec, store=store, workers=1, progress=stop_after_two)
    study_id = caught.value.study_id
    assert (caught.value.done, caught.value.total) == (2, 6)
    assert store.info(study_id).status == "partial"
    assert store.info(study_id).tasks_done == 2
    resumed: list[int] = []
    result = run_study(
        spec, store=store, workers=1, resume=True, progress=lambda d, t: resumed.append(d)
    )
    assert result.study_id == study_id and resumed == [2, 3, 4, 5, 6]
    assert store.info(study_id).status == "finished"
    with pytest.raises(StoreError, match="another specification"):
        run_study(small_study(replications=4), store=store, resume=study_id)
    with pytest.raises(StoreError, match="to resume"):
        run_study(small_study(replications=4), store=store, resume=True)


def _stored(path: Path, study_id: str) -> dict[tuple[int, int], tuple[str, str]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT point, replication, kpis, written FROM replications WHERE run_id = ?",
            (study_id,),
        ).fetchall()
    except sqlite3.OperationalError:  # the tables are not made yet
        return {}
    finally:
        connection.close()
    return {(p, r): (k, w) for p, r, k, w in rows}


def test_resume_after_kill_9_runs_exactly_the_missing_tasks(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "name": "killed",
                "scenario": str(BASELINE),
                "factors": [{"name": "units", "path": PC2_UNITS, "values": [2, 3, 4]}],
                "replications": 60,
                "horizon": "2d",
                "warmup": 0,
                "kpis": ["output_m2_per_h", "lines.RCCU.lead_time_h"],
            }
        ),
        encoding="utf-8",
    )
    path = tmp_path / "r2r.sqlite"
    command = [sys.executable, "-m", "twin", "study", str(study), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--store", str(path), "--plots", str(tmp_path / "plots")],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline and len(_stored(path, "st-0001") if path.exists() else {}) < 15
    ):
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = _stored(path, "st-0001")
    assert 15 <= len(before) < 180, "the study should have been killed halfway"
    store = Store(path)
    assert store.info("st-0001").status == "partial"
    spec = load_study(study)
    calls: list[int] = []
    result = run_study(
        spec, store=store, workers=1, resume=True, progress=lambda d, t: calls.append(d)
    )
    after = _stored(path, "st-0001")
    assert result.study_id == "st-0001" and len(after) == 180
    assert calls == list(range(len(before), 181))  # one call per missing task, after the first
    assert all(after[key] == row for key, row in before.items())  # finished rows untouched
    fresh = run_study(spec, store=Store(tmp_path / "fresh.sqlite"), workers=1)
    pd.testing.assert_frame_equal(result.table, fresh.table, check_exact=True)


def test_workers_do_not_run_the_script_that_started_them(tmp_path: Path) -> None:
    # A script without a __main__ guard runs a study on a Dask LocalCluster (fresh worker
    # interpreters): its body runs once, in its own process, and the study finishes.
    script = tmp_path / "no_guard.py"
    script.write_text(
        "import sys\n"
        "from twin import Factor, Store, StudySpec, load_scenario, run_study\n"
        "print('body')\n"
        f"plant = load_scenario({str(VALIDATION / 'two_station_fluid.yaml')!r})\n"
        "spec = StudySpec(name='s', scenario=plant, replications=2, horizon='6h',\n"
        "    factors=[Factor(name='speed', path='lines[0].stations[1].equipment.speed_m_min',\n"
        "                    values=[6, 8])])\n"
        "result = run_study(spec, store=Store(sys.argv[1]), executor='dask', workers=2)\n"
        "print(len(result.replications))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "s.sqlite")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["body", "4"]
