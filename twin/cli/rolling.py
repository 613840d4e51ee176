"""The rolling command: what re-planning is worth, policy against policy, as the plant runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from twin.cli.app import ScenarioFile, err, guarded, load_checked, out
from twin.display import moment
from twin.scenario import Problem, UsageError, load_scenario

if TYPE_CHECKING:
    from twin.engine.stats import Estimate
    from twin.rolling import PolicyRun, RollingReport


@guarded
def rolling_command(
    file: ScenarioFile,
    days: Annotated[
        float | None, typer.Option(help="Horizon in days (default: the scenario's).", min=0.01)
    ] = None,
    replications: Annotated[
        int | None, typer.Option(help="Replications (default: the scenario's).", min=1, max=200)
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help="A policy to compare (repeat): rules, static, every:8h (every:shift, every:day), "
            "event:failure=2h,risk=0.5. Default: rules, static, every:day, "
            "event:failure=2h,risk=0.5.",
            show_default=False,
        ),
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Start from this plant state (YAML or JSON, 'r2r schema --state').",
            show_default=False,
        ),
    ] = None,
    plan_time: Annotated[
        float, typer.Option("--plan-time", help="Seconds per plan (CP-SAT's limit).", min=0.5)
    ] = 5.0,
    workers: Annotated[int, typer.Option(help="CP-SAT workers per plan.", min=1, max=16)] = 2,
    frozen: Annotated[
        str,
        typer.Option(help="Frozen window: operations starting this soon keep machine and start."),
    ] = "4h",
    tolerance: Annotated[
        str, typer.Option(help="A start moved by more than this counts in the nervousness.")
    ] = "1h",
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-plan as the plant runs: compare planning policies on delivery, with paired CIs.

    The twin plays the plant (its failures and repairs are the truth); at each re-planning
    moment the scheduler plans what is left from the twin's state, and the new plan replaces
    the old. All policies run the same replications with common random numbers.
    """
    from stations.units import parse_duration
    from twin.engine import RunOptions
    from twin.rolling import DEFAULT_POLICIES, Planning, parse_policy, report, run_policies
    from twin.state import read_state

    problems = []
    policies = []
    for k, text in enumerate(policy or list(DEFAULT_POLICIES)):
        try:
            policies.append(parse_policy(text))
        except ValueError as error:
            problems.append(Problem(f"--policy[{k}]", str(error)))
    if len({p.name for p in policies}) < len(policies):
        problems.append(Problem("--policy", "a policy is given twice"))
    windows = {}
    for option, text in (("--frozen", frozen), ("--tolerance", tolerance)):
        try:
            windows[option] = parse_duration(text)
        except ValueError as error:
            problems.append(Problem(option, str(error)))
    if problems:
        raise UsageError(problems)
    scenario = load_scenario(file) if as_json else load_checked(file)
    initial = read_state(state_file, scenario) if state_file is not None else None
    if not scenario.orders:
        raise UsageError([Problem(str(file), "re-planning needs an order book (orders)")])
    options = RunOptions.of(
        scenario,
        demand="orders",
        horizon_min=days * 1440 if days is not None else None,
        replications=replications,
        seed=seed,
        state=initial,
    )
    planning = Planning(
        time_limit_s=plan_time,
        workers=workers,
        frozen_min=windows["--frozen"],
        tolerance_min=windows["--tolerance"],
    )
    origin = initial.at if initial is not None else scenario.start
    total = options.replications * len(policies)
    if not as_json:
        err.print(
            f"{scenario.name}: {len(policies)} policies x {options.replications} replications "
            f"over {options.horizon_min / 1440:g} days from {moment(origin, 0.0)}"
            + (" (the plant state)" if initial is not None else ""),
            markup=False,
        )
    finished = 0
    began = time.perf_counter()

    def done(run: PolicyRun) -> None:
        nonlocal finished
        finished += 1
        if not as_json:
            elapsed = time.perf_counter() - began
            left = elapsed / finished * (total - finished)
            err.print(
                f"  {finished} of {total}: {run.policy.name} replication {run.replication + 1}, "
                f"{len(run.plans)} plans · {elapsed:.0f} s, about {left:.0f} s left",
                markup=False,
            )

    runs = run_policies(scenario, options, policies, planning, done=done)
    result = report(runs, time.perf_counter() - began)
    if as_json:
        sys.stdout.write(json.dumps(_document(result, origin, options.horizon_min), indent=2))
        sys.stdout.write("\n")
        return
    _print(result, scenario.name, origin, options.horizon_min, planning)


def _cell(key: str, value: Estimate | None, *, signed: bool = False) -> str:
    if value is None:
        return "–"
    if key in ("on_time", "nervousness"):
        fmt = "{:+.0%}" if signed else "{:.0%}"
    elif key == "plans":
        fmt = "{:+.1f}" if signed else "{:.1f}"
    else:
        fmt = "{:+.3g}" if signed else "{:.3g}"
    if value.n < 2 or value.ci_low == value.ci_high:
        return fmt.format(value.mean)
    return f"{fmt.format(value.mean)} [{fmt.format(value.ci_low)}, {fmt.format(value.ci_high)}]"


def _print(
    result: RollingReport, name: str, origin: Any, horizon_min: float, planning: Any
) -> None:
    from twin.rolling import FIGURES
    from twin.rolling.report import made_by

    reference = result.reference
    out.print(
        f"[bold]rolling[/] · {name} · delivery of the order book over {horizon_min / 1440:g} "
        f"days from {moment(origin, 0.0)}: what is re-planning worth? · mean [95 % CI] over "
        f"{len(result.policies[0].runs)} replications"
    )
    table = Table(title="each policy", title_justify="left")
    table.add_column("KPI")
    for p in result.policies:
        table.add_column(p.policy.name, justify="right")
    for figure in FIGURES:
        table.add_row(
            figure.label, *(_cell(figure.key, p.estimates.get(figure.key)) for p in result.policies)
        )
    out.print(table)
    others = [p for p in result.policies if p.policy.name != reference]
    if others:
        table = Table(
            title=f"against {reference}: paired differences (the same failures and repairs)",
            title_justify="left",
        )
        table.add_column("KPI")
        for p in others:
            table.add_column(f"{p.policy.name} − {reference}", justify="right")
        for figure in FIGURES:
            cells = [figure.label]
            for p in others:
                mark = {"better": " better", "worse": " WORSE"}.get(
                    result.verdict(p, figure.key), ""
                )
                cells.append(_cell(figure.key, p.differences.get(figure.key), signed=True) + mark)
            table.add_row(*cells)
        out.print(table)
    for p in result.policies:
        out.print(f"  {p.policy.name}: {p.policy.describe()}", markup=False)
        if any(run.plans for run in p.runs):
            out.print(f"    plans made: {made_by(p.runs)}", markup=False)
    out.print(
        f"  {result.wall_s:.0f} s in all, {result.planning_share:.0%} of it planning "
        f"({planning.time_limit_s:g} s per plan, {planning.workers} workers; the plan at the start "
        f"made once for all policies); frozen window {planning.frozen_min / 60:g} h; nervousness: "
        f"share of planned operations whose tool changed or whose start moved by more than "
        f"{planning.tolerance_min / 60:g} h from one plan to the next",
        markup=False,
    )
    out.print(
        "  note: orders on time counts the orders due within the horizon; the planner knows "
        "which tools are down but not when they are back (it expects the mean repair time); "
        "plans are made under a wall-clock limit, so a re-run on a busier machine may plan "
        "slightly differently",
        markup=False,
    )


def _estimate_document(value: Estimate | None) -> dict[str, float] | None:
    if value is None:
        return None
    return {"mean": value.mean, "low": value.ci_low, "high": value.ci_high, "n": value.n}


def _document(result: RollingReport, origin: Any, horizon_min: float) -> dict[str, Any]:
    return {
        "question": "delivery of the order book under each re-planning policy",
        "from": moment(origin, 0.0),
        "days": horizon_min / 1440,
        "reference": result.reference,
        "wall_s": result.wall_s,
        "planning_share": result.planning_share,
        "policies": [
            {
                "policy": p.policy.name,
                "description": p.policy.describe(),
                "figures": {k: _estimate_document(v) for k, v in p.estimates.items()},
                "differences": {k: _estimate_document(v) for k, v in p.differences.items()},
                "verdicts": {k: result.verdict(p, k) for k in p.differences},
                "replications": [
                    {
                        "replication": run.replication + 1,
                        "plans": [
                            {
                                "at": moment(origin, plan.minute),
                                "reason": plan.reason,
                                "made_by": plan.label,
                                "seconds": plan.seconds,
                                "moved": None if plan.change is None else plan.change.share,
                            }
                            for plan in run.plans
                        ],
                    }
                    for run in p.runs
                ],
            }
            for p in result.policies
        ],
    }
