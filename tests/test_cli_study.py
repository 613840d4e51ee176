"""The study, runs, show and export commands, simulate's stored runs, and the example script."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import ROOT, VALIDATION
from twin import Store, StoreError
from twin.cli import app

runner = CliRunner()
FLUID = VALIDATION / "two_station_fluid.yaml"
SPEED = "lines[0].stations[1].equipment.speed_m_min"


def write_study(tmp_path: Path, **changes: object) -> Path:
    document = {
        "name": "fluid speeds",
        "scenario": str(FLUID),
        "factors": [{"name": "speed", "path": SPEED, "values": [6, 8, 12]}],
        "replications": 2,
        "horizon": "12h",
        "kpis": ["output_m2_per_h", "lines.L.wip_rolls"],
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(document | changes), encoding="utf-8")
    return path


def test_a_bad_study_file_exits_2_with_every_problem(tmp_path: Path) -> None:
    study = write_study(
        tmp_path,
        factors=[{"path": SPEED, "values": [6, 0]}, {"path": "lines[0].nope", "values": [1]}],
        replications=-1,
    )
    result = runner.invoke(app, ["study", str(study), "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2
    assert "3 problems in" in result.output
    named = "lines[0] (L).stations[1] (M2).equipment.speed_m_min"
    assert f"factors[0].values[1]: {named}: must be > 0 (got 0)" in result.output
    assert (
        "factors[1].path: 'lines[0].nope': there is no field 'nope' there (in the base scenario)"
        in result.output
    )
    assert "replications: must be >= 1 (got -1)" in result.output
    assert "Traceback" not in result.output


def test_study_runs_show_and_export(tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "s.sqlite")]
    plots = tmp_path / "plots"
    study = write_study(tmp_path)
    result = runner.invoke(
        app, ["study", str(study), *store, "--workers", "1", "--plots", str(plots)]
    )
    assert result.exit_code == 0, result.output
    # finished 1000 m rolls in 12 h: floor(min(speed, M1's 10 m/min) × 720 min / 1000 m) = 4, 5, 7
    # on a 1 m web, so 1000 m² a roll / 12 h; no failures, so every replication agrees
    expected = [4 * 1000 / 12, 5 * 1000 / 12, 7 * 1000 / 12]
    assert "583.3 (same in every replication)" in result.output
    assert (
        "point 2 (speed=12) has the highest output m²/h, better than every other point with "
        "95% confidence (2 replications each)" in result.output
    )
    assert "study id: st-0001" in result.output
    assert sorted(p.name for p in plots.iterdir()) == ["plotly.min.js", "speed.html"]
    listing = runner.invoke(app, ["runs", *store])
    assert listing.exit_code == 0 and "st-0001" in listing.output and "6/6" in listing.output
    shown = runner.invoke(app, ["show", "st-0001", *store])
    assert shown.exit_code == 0 and "finished" in shown.output and "speed" in shown.output
    out = tmp_path / "export.json"
    exported = runner.invoke(app, ["export", "1", "--format", "json", "--out", str(out), *store])
    assert exported.exit_code == 0, exported.output
    summary = json.loads(out.read_text(encoding="utf-8"))["tables"]["summary"]
    assert [row["output_m2_per_h"] for row in summary] == pytest.approx(expected)
    bad = runner.invoke(app, ["export", "st-0001", "--format", "pdf", *store])
    assert bad.exit_code == 2 and "--format: must be csv, xlsx or json" in bad.output
    missing = runner.invoke(app, ["show", "st-0042", *store])
    assert missing.exit_code == 2 and "no run 'st-0042'" in missing.output


def test_simulate_keeps_its_run_unless_told_not_to(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    common = ["simulate", str(FLUID), "--replications", "2", "--store", str(path)]
    result = runner.invoke(app, common)
    assert result.exit_code == 0 and "stored as s-0001" in result.output
    assert runner.invoke(app, [*common, "--no-store"]).exit_code == 0
    assert [(r.id, r.kind, r.tasks_total) for r in Store(path).runs()] == [
        ("s-0001", "simulation", 2)
    ]
    shown = runner.invoke(app, ["show", "s-0001", "--store", str(path)])
    assert shown.exit_code == 0 and "Two-station fluid line" in shown.output


def test_schedule_keeps_its_schedule_unless_told_not_to(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    scenario = VALIDATION / "roll_coupled_three_tools.yaml"
    common = ["schedule", str(scenario), "--time-limit", "2", "--store", str(path)]
    result = runner.invoke(app, common)
    assert result.exit_code == 0 and "stored as sc-0001" in result.output
    assert runner.invoke(app, [*common, "--no-store"]).exit_code == 0
    (run,) = Store(path).runs()
    assert (run.id, run.kind) == ("sc-0001", "schedule")
    stored = Store(path).schedule("sc-0001")
    assert stored["solution"]["status"] in ("OPTIMAL", "FEASIBLE") and stored["plan"]["machines"]


def test_the_example_script_runs(tmp_path: Path) -> None:
    environment = os.environ | {"R2R_EXAMPLE_QUICK": "1", "R2R_STORE": str(tmp_path / "s.sqlite")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "capacity_study.py")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "ACC2_m" in result.stdout and "study st-0001" in result.stdout


def test_a_killed_simulation_keeps_its_finished_replications(tmp_path: Path) -> None:
    # kill -9 an r2r simulate halfway: the replications it finished are in the store, with the
    # same KPIs as the same replications of a run that was not stopped (same seed).
    path = tmp_path / "r2r.sqlite"
    scenario = ROOT / "scenarios" / "baseline.yaml"
    command = [sys.executable, "-m", "twin", "simulate", str(scenario), "--days", "2"]
    process = subprocess.Popen(
        [*command, "--replications", "200", "--store", str(path)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_kept(path)) < 3:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    store = Store(path)
    kept = store.replication_kpis("s-0001")
    assert 3 <= len(kept) < 200
    assert store.info("s-0001").status == "partial"
    with pytest.raises(StoreError, match="stopped before it finished"):
        store.simulation("s-0001")
    finished = runner.invoke(
        app,
        [*command[3:], "--replications", str(len(kept)), "--store", str(path)],
    )
    assert finished.exit_code == 0, finished.output
    assert store.replication_kpis("s-0002") == kept
    target = tmp_path / "partial.json"
    export = ["export", "s-0001", "--format", "json", "--store", str(path), "--out", str(target)]
    assert runner.invoke(app, export).exit_code == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert len(exported["tables"]["replications"]) == len(kept) and "result" not in exported


def _kept(path: Path) -> list[object]:
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT replication FROM replications").fetchall()
    except sqlite3.OperationalError:  # the tables are not made yet
        return []
    finally:
        connection.close()
