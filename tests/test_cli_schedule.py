"""``r2r schedule`` keeps its limits: the whole command within its time, and a schedule for any
book the rules can schedule (exit 0), run as a user runs it, in a fresh process.

The wall-time bound is the one the command promises: at most the limit + 10 % + 5 s (the 5 s
cover starting Python and loading the scenario).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = 2.0
WORKERS = 2
BOUND_S = LIMIT_S * WORKERS * 1.1 + 5.0
"""CPU seconds the command may take: its limit on each of its workers, and starting up. CPU time,
not wall time: on a loaded machine the wall clock says nothing of the command."""


def baseline_with(tmp_path: Path, **changes: object) -> Path:
    """The baseline scenario with top-level fields changed, or every order due at 0."""
    document = load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    if changes.pop("due_at_zero", False):
        for order in document["orders"]:
            order["release"], order["due"] = 0, 0
    document.update(changes)
    path = tmp_path / "plant.json"
    path.write_text(json.dumps(document))
    return path


def schedule(path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """``r2r schedule PATH --time-limit 2 --no-store`` and the CPU seconds it took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "twin", "schedule", str(path), "--time-limit", str(LIMIT_S),
         "--workers", str(WORKERS), "--no-store"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, cpu


def test_a_book_too_large_is_refused_within_the_time_limit(tmp_path: Path) -> None:
    # 1 m rolls: the baseline's 190,900 m become ~190,900 roll jobs. The command used to run for
    # minutes and hundreds of MB; it now says why it will not, and exits 2 (input to put right):
    # the scenario refuses more than 100,000 rolls, the scheduler more than 4,000 roll jobs
    # (40 m rolls: about 4,800).
    for length, message in ((1, "190,900 rolls of 1 m"), (40, "roll jobs of 40 m")):
        done, cpu = schedule(baseline_with(tmp_path, roll_length_m=length))
        assert cpu <= BOUND_S, f"took {cpu:.1f} s of CPU"
        assert done.returncode == 2, done.stdout + done.stderr
        assert message in done.stdout + done.stderr


def test_a_book_no_schedule_can_meet_still_gets_one_within_the_time_limit(
    tmp_path: Path,
) -> None:
    # Every order due at t = 0 and released then: every order is late whatever the schedule,
    # and all release at once (the rules used to overfill the stores, CP-SAT found nothing in
    # time, and the command exited 1). Now: a schedule, labelled with how it was made, exit 0.
    done, cpu = schedule(baseline_with(tmp_path, due_at_zero=True))
    assert cpu <= BOUND_S, f"took {cpu:.1f} s of CPU"
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.splitlines()[1].strip()
    assert summary.startswith(("CP-SAT", "dispatching rule")), summary
    assert "cannot be on time" in done.stderr


def _limit_given(monkeypatch: Any, loaded: list[float], limit: str) -> float:
    """The time limit r2r schedule hands the scheduler, the command line loaded at ``loaded``."""
    import twin.cli.schedule as command
    import twin.schedule.plant as plant
    from twin.cli import app

    seen: list[float] = []

    def scheduler(*_: Any, time_limit_s: float, **__: Any) -> Any:
        seen.append(time_limit_s)
        raise KeyboardInterrupt  # stop here: the limit is what this test looks at

    monkeypatch.setattr(command, "_LOADED", loaded)
    monkeypatch.setattr(plant, "schedule_plant", scheduler)
    baseline = str(Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml")
    CliRunner().invoke(app, ["schedule", baseline, "--time-limit", limit, "--no-store"])
    return seen[0]


def test_the_first_command_counts_its_limit_from_the_command_lines_start(
    monkeypatch: Any,
) -> None:
    # loaded 4 s ago (Python, the packages): of a 10 s limit, at most 6 s are left to schedule
    given = _limit_given(monkeypatch, [time.perf_counter() - 4], "10")
    assert 1.0 <= given <= 6.0


def test_a_later_command_in_the_same_process_gets_its_whole_limit(monkeypatch: Any) -> None:
    # a process that ran a command long ago (a test run, a script) gives a new one its whole
    # limit less what this command itself took to load the scenario; it once had a tenth left
    given = _limit_given(monkeypatch, [], "10")
    assert 8.0 <= given <= 10.0
