"""r2r simulate --events, r2r calibrate and r2r validate-history from the command line."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.history_cases import DATA
from twin.cli import app
from twin.scenario import load_scenario

runner = CliRunner()
ROUND_TRIP = DATA / "round_trip.yaml"


def test_simulate_events_then_calibrate_and_validate(tmp_path: Path) -> None:
    log = tmp_path / "events.csv"
    result = runner.invoke(
        app,
        [
            "simulate",
            str(ROUND_TRIP),
            "--days",
            "120",
            "--replications",
            "1",
            "--warmup",
            "0",
            "--events",
            str(log),
            "--no-store",
        ],
    )
    assert result.exit_code == 0, result.output
    assert log.read_text().startswith("time,end,station,unit,state,cause")
    out, report = tmp_path / "calibrated.yaml", tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(log),
            "--scenario",
            str(ROUND_TRIP),
            "--out",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "failure modes" in result.output
    calibrated = yaml.safe_load(out.read_text())
    ttf = calibrated["lines"][0]["stations"][1]["failures"][0]["ttf"]
    # The truth is Weibull(shape 2, scale 24 h): wear-out, mean 24 h * Gamma(1.5) = 21.27 h.
    # With about 110 failures AIC may pick Weibull or gamma; either must show wear-out and
    # the mean within 15 %.
    assert ttf["dist"] in result.output and ttf["dist"] in {"weibull", "gamma"}
    assert float(ttf["shape"]) > 1.0
    fitted = load_scenario(out).lines[0].stations[1].failures[0].ttf
    assert abs(fitted.mean() / (24 * 60 * math.gamma(1.5)) - 1) < 0.15
    assert "# calibrated from events.csv" in out.read_text()
    assert "<html>" in report.read_text()[:200]
    result = runner.invoke(
        app, ["validate-history", str(log), "--scenario", str(ROUND_TRIP), "--replications", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "2 of 2 stations and 1 of 1 lines inside" in result.output
    assert "down share" in result.output
    result = runner.invoke(
        app,
        [
            "validate-history",
            str(log),
            "--scenario",
            str(ROUND_TRIP),
            "--replications",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0 and '"verdicts"' in result.output


def test_bad_rows_exit_2_with_row_numbers_and_skip_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "bad.csv"
    log.write_text(
        "time,station,state\n2026-12-07T06:00:00,A,working\n2026-12-07T07:00:00,Q,working\n"
        "2026-12-07T08:00:00,A,flying\n2026-12-07T09:00:00,A,down\n"
    )
    args = ["calibrate", str(log), "--scenario", str(ROUND_TRIP), "--out", str(tmp_path / "o.yaml")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "row 3: unknown station 'Q'" in result.output
    assert "row 4: unmapped state name 'flying'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, [*args, "--skip-bad-rows"])
    assert result.exit_code == 0, result.output
    assert "skipped 2 of 4 rows" in result.output and "too few" in result.output


def test_state_and_orders_files_wait_for_issue_15(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("time,station,state\n2026-12-07T06:00:00,A,working\n")
    result = runner.invoke(
        app,
        ["validate-history", str(log), "--scenario", str(ROUND_TRIP), "--state", str(log)],
    )
    assert result.exit_code == 2 and "issue 15" in result.output


def test_validate_does_not_load_the_history_libraries() -> None:
    code = (
        "import sys; from twin.cli import app\n"
        "try:\n    app(['validate', 'scenarios/baseline.yaml'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('scipy', 'pyarrow', 'ruamel') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
