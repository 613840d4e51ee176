"""History benchmarks: read and check a 1-million-row log; calibrate a year of the baseline plant.

1. A 1,000,000-row CSV (and Parquet) log of the baseline's 16 units is read and checked
   (target: under 20 s).
2. The baseline plant runs for a year (its four-week order book repeated 13 times), its event log
   is written as CSV, and ``calibrate`` fits it; the report and the calibrated scenario are
   written to ``out/bench-history/``.
3. The censoring experiment of tests/test_history_calibrate.py in full: 30 seeds x 20 stations
   of two-month logs; the coverage of the 95 % intervals and the naive estimator's bias.

``python benchmarks/bench_history.py [--quick] [--tuples]``: ``--quick`` skips the coverage run;
``--tuples`` logs the baseline year from today's ``(minute, unit, state)`` engine log instead of
full state records (causes, rolls, products and metres unknown).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.history_cases import censoring_experiment, recorded_run  # noqa: E402
from twin.history import (  # noqa: E402
    calibrate,
    calibrated_yaml,
    read_event_log,
    validate_history,
    write_calibration_report,
    write_event_log,
)
from twin.history.format import STATES  # noqa: E402
from twin.scenario import Scenario, load_scenario  # noqa: E402

OUT = ROOT / "out" / "bench-history"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def million_rows(scenario: Scenario, path: Path, rows: int = 1_000_000) -> None:
    """A synthetic log of ``rows`` state changes over every unit of the scenario."""
    units = [
        (station.id, station.id if station.units == 1 else f"{station.id}#{k + 1}")
        for line in scenario.lines
        for station in line.stations
        for k in range(station.units)
    ]
    per_unit = rows // len(units)
    rng = np.random.default_rng(1)
    frames = []
    base = np.datetime64("2026-12-07T06:00:00", "ms")
    for station, unit in units:
        minutes = np.cumsum(rng.exponential(20.0, per_unit))
        stamps = base + np.round(minutes * 60_000).astype("timedelta64[ms]")
        frames.append(
            pd.DataFrame(
                {
                    "time": np.datetime_as_string(stamps, unit="ms"),
                    "station": station,
                    "unit": unit,
                    "state": np.array(STATES)[rng.integers(0, 4, per_unit)],
                    "cause": "",
                    "roll": "",
                    "product": "",
                    "metres": np.round(rng.uniform(0, 1500, per_unit), 1),
                }
            )
        )
    frame = pd.concat(frames).sort_values("time", kind="stable")
    frame.to_csv(path, index=False)
    frame.to_parquet(path.with_suffix(".parquet"), index=False)


def year_of_baseline() -> tuple[Scenario, dict[str, object]]:
    """The baseline with its four-week order book repeated to fill a year."""
    scenario = load_scenario(BASELINE)
    document = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    period = 28 * 1440.0
    orders = []
    for k in range(14):
        for order in scenario.orders:
            entry = order.model_dump(mode="json", exclude_none=True)
            entry["id"] = f"{order.id}-{k + 1:02d}"
            entry["release"] = scenario.minutes(order.release) + k * period
            entry["due"] = scenario.minutes(order.due) + k * period
            orders.append(entry)
    document["orders"] = orders
    document["run"]["horizon"] = 365 * 1440.0
    return Scenario.from_document(document, "baseline, a year"), document


def main() -> None:
    """Run the benchmarks and print their times."""
    quick = "--quick" in sys.argv
    OUT.mkdir(parents=True, exist_ok=True)
    baseline = load_scenario(BASELINE)

    log_file = OUT / "million.csv"
    million_rows(baseline, log_file)
    for path in (log_file, log_file.with_suffix(".parquet")):
        started = time.perf_counter()
        log = read_event_log(path, baseline)
        seconds = time.perf_counter() - started
        size = path.stat().st_size / 1e6
        print(
            f"read and checked {log.rows:,} rows ({size:.0f} MB {path.suffix}) in {seconds:.1f} s"
        )
        assert seconds < 20, "a million rows must be read and checked in under 20 s"

    year, document = year_of_baseline()
    import yaml

    scenario_year = OUT / "baseline-year.yaml"
    scenario_year.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    started = time.perf_counter()
    records, _ = recorded_run(year)  # the engine's state changes: causes, rolls and metres
    simulated = time.perf_counter() - started
    events = OUT / "baseline-year.csv"
    write_event_log(records, events, year.start, 365 * 1440)
    started = time.perf_counter()
    log = read_event_log(events, baseline)
    # the twin's planned maintenance does not renew its failure clocks: calibrate alike
    calibration = calibrate(log, baseline, maintenance_renews=False)
    fitted = time.perf_counter() - started
    report = OUT / "baseline-calibration.html"
    write_calibration_report(calibration, report)
    reported = time.perf_counter() - started - fitted
    text = calibrated_yaml(BASELINE.read_text(encoding="utf-8"), calibration)
    (OUT / "baseline-calibrated.yaml").write_text(text, encoding="utf-8")
    failures = sum(m.failures for m in calibration.modes)
    print(
        f"baseline year: simulated in {simulated:.1f} s ({log.rows:,} rows, {failures} "
        f"failures); read, checked and calibrated in {fitted:.1f} s; report in {reported:.1f} s; "
        f"{len(calibration.changes())} values changed -> {report}"
    )

    started = time.perf_counter()
    validation = validate_history(log, year, replications=10)
    inside = [v.subject for v in validation.stations if v.inside]
    outside = [f"{v.subject} ({v.summary()})" for v in validation.stations if not v.inside]
    print(
        f"validate-history of the baseline year against its own scenario, 10 replications, in "
        f"{time.perf_counter() - started:.1f} s: {len(inside)} of {len(validation.stations)} "
        f"stations inside; outside: {'; '.join(outside) or 'none'}"
    )
    if quick:
        return
    started = time.perf_counter()
    outcome = censoring_experiment(seeds=30, stations=20)
    print(
        f"censoring, 30 seeds x 20 stations ({len(outcome.ours)} estimates, {outcome.too_few} "
        f"with too few failures) in {time.perf_counter() - started:.0f} s: 95 % intervals "
        f"cover the truth {outcome.ours_coverage:.1%} (naive {outcome.naive_coverage:.1%}); "
        f"median estimate / truth {outcome.ours_ratio:.3f} (naive {outcome.naive_ratio:.3f})"
    )


if __name__ == "__main__":
    main()
