"""What must hold for every input, valid or not (issue 11).

A loader either returns a valid object or raises the documented error (an ``InputError``) whose
problems each carry a path and read like the others; a problem without a path is about the
whole document and then stands alone. A scenario that validates runs through ``describe``,
``simulate`` and ``schedule`` without any other exception. Each check returns the violations it
found (empty when the case is fine).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from twin.problems import InputError, Problem

UNTRANSLATED = re.compile(
    r"Input should|String should|Value error|validation error|Field required|"
    r"Traceback|object has no attribute|unhashable type|NoneType|takes \d+ positional"
)


def problem_violations(error: InputError) -> list[str]:
    """How ``error``'s problems break the rules: each has a path, each reads as ours."""
    found = []
    problems: Sequence[Problem] = error.problems
    if not problems:
        found.append("an error with no problem in it")
    for problem in problems:
        if not problem.path and len(problems) > 1:
            found.append(f"a problem without a path among others: {problem.message!r}")
        if not problem.message.strip():
            found.append(f"an empty message at {problem.path!r}")
        if UNTRANSLATED.search(problem.message) or "function-" in problem.path:
            found.append(f"untranslated: {problem}")
    return found


def _guard(check: Callable[[], list[str]]) -> list[str]:
    try:
        return check()
    except InputError as error:
        return problem_violations(error)
    except Exception as error:  # the property under test: nothing else escapes
        return [f"{type(error).__name__}: {str(error)[:300]}"]


def scenario_violations(text: str, fmt: str, deep: bool, schedule: bool = False) -> list[str]:
    """Load a scenario; if it is valid and ``deep``, describe it and simulate a day of it."""
    from twin.capacity import static_capacity
    from twin.engine import RunOptions, simulate
    from twin.scenario import parse_scenario

    def check() -> list[str]:
        scenario = parse_scenario(text, "json" if fmt == "json" else "yaml", "case")
        if deep:
            static_capacity(scenario)
            horizon = 1440.0
            simulate(
                scenario,
                RunOptions.of(scenario, replications=1, horizon_min=horizon, warmup_min=0.0),
            )
        if schedule and scenario.orders:
            from twin.schedule.plant import schedule_plant

            schedule_plant(scenario, "tardiness-makespan", time_limit_s=1.0, workers=1)
        return []

    return _guard(check)


def study_violations(text: str) -> list[str]:
    """Load a study (its scenario named relative to the bundled scenarios) and plan it."""
    from tests.fuzz.mutations import SCENARIOS
    from twin.study import StudyPlan, parse_study, scenario_files_within

    def check() -> list[str]:
        spec = parse_study(text, "case.yaml", scenario_files_within([SCENARIOS]))
        StudyPlan.of(spec)
        return []

    return _guard(check)


def genealogy_violations(text: str) -> list[str]:
    """Validate a genealogy and show every roll in it as ``r2r trace`` would."""
    from twin.cli.app import out
    from twin.cli.trace import _print_roll
    from twin.genealogy import Genealogy, genealogy_from_document

    def check() -> list[str]:
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            return []  # not JSON: the reader says so (tested through the CLI)
        genealogy: Genealogy = genealogy_from_document(document, "case.json")
        with out.capture():
            for roll in genealogy.rolls:
                _print_roll(roll)
        return []

    return _guard(check)


CLI_COMMANDS: dict[str, list[str]] = {
    "validate": ["validate", "{file}"],
    "describe": ["describe", "{file}"],
    "simulate": ["simulate", "{file}", "--days", "0.5", "--replications", "1", "--no-store"],
    "schedule": ["schedule", "{file}", "--time-limit", "1", "--workers", "1", "--no-store"],
    "trace": ["trace", "NOPE/1", "{file}", "--days", "0.5"],
}


def cli_violations(text: str, suffix: str, command: str) -> list[str]:
    """Run ``r2r <command>`` on ``text`` saved as a file: exit 0 or 2, and no traceback."""
    from twin.cli import app

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"case{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        arguments = [a.replace("{file}", str(path)) for a in CLI_COMMANDS[command]]
        result = CliRunner().invoke(app, arguments, catch_exceptions=True)
    output = result.output
    found = []
    if result.exit_code not in (0, 2):
        found.append(f"{command}: exit {result.exit_code}: {output[-300:]!r} {result.exception!r}")
    if "internal error" in output or "Traceback" in output:
        found.append(f"{command}: {output[-300:]!r}")
    return found


def safely(case: Callable[[], Any]) -> Any:
    """``case()``, or the exception it raised (generating a case must not stop a campaign)."""
    try:
        return case()
    except Exception as error:
        return error
