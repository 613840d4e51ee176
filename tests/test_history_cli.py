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


def test_validate_history_replays_from_a_plant_state_with_the_periods_order_file(
    tmp_path: Path,
) -> None:
    # The round-trip plant run 10 days, its state taken at 10 days; the "plant" then runs 40
    # days from that state and logs them. Replayed from the same state with the order book as
    # a file, the twin must find itself inside its own intervals, and say where it started.
    document = yaml.safe_load(ROUND_TRIP.read_text())
    document["start"] = "2026-12-07T06:00:00"
    scenario = tmp_path / "plant.yaml"
    scenario.write_text(yaml.safe_dump(document, sort_keys=False))
    state, log = tmp_path / "state.yaml", tmp_path / "log.csv"
    common = ["--replications", "1", "--no-store"]
    snapshot = ["--snapshot-at", "2026-12-17T06:00", "--snapshot-out", str(state)]
    taken = runner.invoke(app, ["simulate", str(scenario), "--days", "10", *common, *snapshot])
    assert taken.exit_code == 0, taken.output
    replay = ["--state", str(state), "--days", "40", "--events", str(log), *common]
    logged = runner.invoke(app, ["simulate", str(scenario), *replay])
    assert logged.exit_code == 0, logged.output
    assert log.read_text().splitlines()[1].startswith("2026-12-17T06:00")
    orders = tmp_path / "orders.csv"
    orders.write_text("id,product,length_m,due\nO1,P,6000000,2028-01-10\n")
    args = ["validate-history", str(log), "--scenario", str(scenario), "--state", str(state)]
    result = runner.invoke(app, [*args, "--orders", str(orders), "--replications", "3"])
    assert result.exit_code == 0, result.output
    assert "replayed from the plant state at 2026-12-17 06:00" in result.output
    assert "2 of 2 stations and 1 of 1 lines inside" in result.output
    # a bad order file and a state of another plant are refused with their places, exit 2
    orders.write_text("id,product,length_m,due\nO1,Q,6000000,2028-01-10\n")
    result = runner.invoke(app, [*args, "--orders", str(orders)])
    assert result.exit_code == 2 and "orders.csv row 2, column product" in result.output
    state.write_text(state.read_text().replace("unit: A\n", "unit: Z\n"))
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Z" in result.output
    assert "Traceback" not in result.output


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
