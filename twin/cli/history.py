"""Commands that learn from the plant's history: calibrate and validate-history.

scipy, pyarrow and ruamel.yaml load only when one of these commands runs.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from twin.cli.app import err, guarded, load_checked, out
from twin.cli.outputs import write_outputs
from twin.files import check_output, read_input
from twin.scenario import MAX_DOCUMENT_BYTES, Problem, UsageError, load_scenario

if TYPE_CHECKING:
    from twin.history import Calibration, ColumnMap, EventLog, HistoryValidation
    from twin.scenario import Scenario

LogFile = Annotated[
    Path,
    typer.Argument(help="Event log, CSV or Parquet (README: event logs).", show_default=False),
]
ScenarioOption = Annotated[
    Path, typer.Option("--scenario", help="The scenario the log is of.", show_default=False)
]
ColumnsOption = Annotated[
    Path | None,
    typer.Option(
        "--columns", help="Column map for a plant's own export (YAML).", show_default=False
    ),
]
SkipOption = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Drop bad rows (and say which) instead of stopping.")
]


def _read_log(
    log_file: Path, scenario: Scenario, columns_file: Path | None, skip: bool
) -> EventLog:
    from twin.history import read_event_log
    from twin.history.columns import load_column_map

    columns: ColumnMap | None = load_column_map(columns_file) if columns_file else None
    log = read_event_log(log_file, scenario, columns, skip_bad_rows=skip)
    if log.skipped:
        err.print(f"skipped {log.skipped_rows:,} of {log.rows:,} rows of {log_file}:", markup=False)
        for problem in log.skipped:
            err.print(f"  {problem}", markup=False)
    return log


def _interval(parameter: Any) -> str:
    if not math.isfinite(parameter.low):
        return f"{parameter.name} {parameter.value:.4g}"
    return f"{parameter.name} {parameter.value:.4g} [{parameter.low:.4g}, {parameter.high:.4g}]"


def _print_calibration(calibration: Calibration) -> None:
    from twin.history.calibrate import describe

    table = Table(title="failure modes", title_justify="left")
    for name in (
        "station",
        "mode",
        "failures",
        "time to failure (min)",
        "repair (min)",
        "crew wait min",
        "scenario gets",
    ):
        table.add_column(name)
    for mode in calibration.modes:
        ttf, ttr = mode.ttf.best, mode.ttr.best
        censored = mode.ttf.sample.size - len(mode.ttf.sample.exact)
        table.add_row(
            mode.station,
            mode.mode or "(not attributed)",
            f"{mode.failures} (+{censored} censored)",
            f"{ttf.family}: " + ", ".join(_interval(p) for p in ttf.parameters)
            if ttf
            else mode.ttf.note,
            f"{ttr.family}: " + ", ".join(_interval(p) for p in ttr.parameters)
            if ttr
            else mode.ttr.note,
            f"{mode.mean_crew_wait:.1f}" if mode.crew_waits else "–",
            "; ".join(
                [f"ttf {describe(mode.new_ttf)}"] * (mode.new_ttf is not None)
                + [f"ttr {describe(mode.new_ttr)}"] * (mode.new_ttr is not None)
            )
            or "kept: " + ("; ".join(mode.notes) or "no change"),
        )
    out.print(table)
    tasks = [t for t in calibration.tasks if t.durations]
    if tasks:
        table = Table(title="planned maintenance", title_justify="left")
        for name in ("station", "task", "n", "median duration min", "median interval h"):
            table.add_column(name)
        for task in tasks:
            intervals = sorted(task.intervals)
            median = intervals[len(intervals) // 2] / 60 if intervals else math.nan
            table.add_row(
                task.station,
                task.task or "(not attributed)",
                str(len(task.durations)),
                f"{sorted(task.durations)[len(task.durations) // 2]:.1f}",
                f"{median:.1f}",
            )
        out.print(table)
    for note in calibration.notes:
        err.print(note, markup=False)


@guarded
def calibrate_command(
    log_file: LogFile,
    scenario_file: ScenarioOption,
    out_file: Annotated[
        Path, typer.Option("--out", help="Calibrated scenario to write (YAML).", show_default=False)
    ],
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report of the fits here.", show_default=False)
    ] = None,
    columns_file: ColumnsOption = None,
    skip_bad_rows: SkipOption = False,
    no_renewal: Annotated[
        bool,
        typer.Option(
            "--no-maintenance-renewal",
            help="Planned maintenance does not renew a tool: up-periods run on through it.",
        ),
    ] = False,
) -> None:
    """Fit failures, repairs, tasks and speeds to an event log; write the calibrated scenario.

    Times to failure are operating time between failures, right-censored at the log's end, its
    start, its gaps and planned maintenance; exponential, Weibull, lognormal and gamma are
    fitted by censored maximum likelihood and chosen by AIC. The calibrated scenario keeps the
    original's comments and layout; each changed value says where it came from.
    """
    from twin.history import calibrate, calibrated_yaml, calibration_html

    inputs = [log_file, scenario_file, *([columns_file] if columns_file else [])]
    check_output(out_file, "--out", inputs=inputs)
    if report is not None:
        check_output(report, "--report", inputs=inputs)
        if report.resolve() == out_file.resolve():
            raise UsageError([Problem("--report", f"{report}: is also the --out file")])
    scenario = load_checked(scenario_file)
    original = read_input(scenario_file, limit=MAX_DOCUMENT_BYTES, what="scenario")
    log = _read_log(log_file, scenario, columns_file, skip_bad_rows)
    calibration = calibrate(log, scenario, maintenance_renews=not no_renewal)
    _print_calibration(calibration)
    try:
        text = calibrated_yaml(original.decode("utf-8"), calibration)
    except UnicodeDecodeError:
        raise UsageError([Problem("--scenario", "is not UTF-8 text")]) from None
    calibration.calibrated_scenario()  # the new values must make a valid scenario
    err.print(f"{len(calibration.changes())} values calibrated", markup=False)
    outputs: list[tuple[str, Path, str | bytes]] = [("--out", out_file, text)]
    if report is not None:
        outputs.append(("--report", report, calibration_html(calibration)))
    write_outputs(outputs)


def _print_validation(validation: HistoryValidation) -> None:
    table = Table(title="lines", title_justify="left")
    for name in ("line", "verdict"):
        table.add_column(name)
    for verdict in validation.lines:
        table.add_row(verdict.subject, verdict.summary())
    out.print(table)
    table = Table(
        title=f"stations: the log against the twin's {validation.level:.0%} interval for one "
        f"period ({validation.replications} replications)",
        title_justify="left",
    )
    for name in ("station", "metric", "log", "twin mean", "twin interval", "verdict"):
        table.add_column(name)
    for verdict in validation.lines:
        for comparison in verdict.comparisons:
            if comparison.subject != verdict.subject:
                continue
            table.add_row(*_comparison_row(comparison))
    for verdict in validation.stations:
        for comparison in verdict.comparisons:
            table.add_row(*_comparison_row(comparison))
    out.print(table)
    for note in validation.notes:
        err.print(note, markup=False)
    inside = sum(v.inside for v in validation.stations)
    out.print(
        f"{inside} of {len(validation.stations)} stations and "
        f"{sum(v.inside for v in validation.lines)} of {len(validation.lines)} lines inside"
    )


def _comparison_row(comparison: Any) -> list[str]:
    verdict = "inside" if comparison.inside else f"OUTSIDE by {comparison.outside_by:+.4g}"
    return [
        comparison.subject,
        comparison.metric,
        f"{comparison.observed:.4g}",
        f"{comparison.twin_mean:.4g}",
        f"[{comparison.low:.4g}, {comparison.high:.4g}]",
        verdict,
    ]


@guarded
def validate_history_command(
    log_file: LogFile,
    scenario_file: ScenarioOption,
    state: Annotated[
        Path | None,
        typer.Option(
            help="Start the replay from this plant state (the plant at the log's start; YAML "
            "or JSON, 'r2r schema --state').",
            show_default=False,
        ),
    ] = None,
    orders: Annotated[
        Path | None,
        typer.Option(
            help="The orders of the logged period (CSV or Excel, read with the scenario's "
            "column map) instead of the scenario's order book.",
            show_default=False,
        ),
    ] = None,
    replications: Annotated[int, typer.Option(help="Replications of the replay.", min=2)] = 10,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    columns_file: ColumnsOption = None,
    skip_bad_rows: SkipOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
) -> None:
    """Replay the logged period in the twin and compare: a verdict per line and station.

    The twin replays the log's span from an empty plant at the log's start with the scenario's
    order book, and each metric of the log (time-in-state shares, failures, repair time, output
    and lead time) is compared with the twin's interval for one period.
    """
    from twin.history import validate_history
    from twin.state import read_state

    scenario = (
        load_checked(scenario_file)
        if orders is None
        else load_scenario(scenario_file, orders=orders)
    )
    initial = read_state(state, scenario) if state is not None else None
    log = _read_log(log_file, scenario, columns_file, skip_bad_rows)
    validation = validate_history(
        log, scenario, replications=replications, seed=seed, state=initial
    )
    if as_json:
        document = {
            "log": validation.log_name,
            "scenario": validation.scenario,
            "span_min": validation.span_min,
            "replications": validation.replications,
            "seed": validation.seed,
            "inside": validation.inside,
            "notes": validation.notes,
            "verdicts": [
                {
                    "kind": v.kind,
                    "subject": v.subject,
                    "inside": v.inside,
                    "summary": v.summary(),
                    "metrics": [
                        {
                            "metric": c.metric,
                            "subject": c.subject,
                            "observed": c.observed,
                            "twin_mean": c.twin_mean,
                            "low": c.low,
                            "high": c.high,
                            "inside": c.inside,
                            "outside_by": c.outside_by,
                        }
                        for c in v.comparisons
                    ],
                }
                for v in validation.lines + validation.stations
            ],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    _print_validation(validation)
