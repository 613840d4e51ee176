"""``r2r schedule`` keeps its limits: the whole command within its time, and a schedule for any
book the rules can schedule (exit 0), run as a user runs it, in a fresh process.

The wall-time bound is the one the command promises: at most the limit + 10 % + 5 s (the 5 s
cover starting Python and loading the scenario).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = 2.0
BOUND_S = LIMIT_S * 1.1 + 5.0


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
    """``r2r schedule PATH --time-limit 2 --no-store`` and its wall time (killed past the bound)."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "twin", "schedule", str(path), "--time-limit", str(LIMIT_S),
         "--no-store"],
        capture_output=True,
        text=True,
        timeout=BOUND_S + 30,
        cwd=ROOT,
    )  # fmt: skip
    return done, time.perf_counter() - began


def test_a_book_too_large_is_refused_within_the_time_limit(tmp_path: Path) -> None:
    # 1 m rolls: the baseline's 190,900 m become ~190,900 roll jobs. The command used to run for
    # minutes and hundreds of MB; it now says why it will not, and exits 2 (input to put right):
    # the scenario refuses more than 100,000 rolls, the scheduler more than 4,000 roll jobs
    # (40 m rolls: about 4,800).
    for length, message in ((1, "190,900 rolls of 1 m"), (40, "roll jobs of 40 m")):
        done, wall = schedule(baseline_with(tmp_path, roll_length_m=length))
        assert wall <= BOUND_S, f"took {wall:.1f} s"
        assert done.returncode == 2, done.stdout + done.stderr
        assert message in done.stdout + done.stderr


def test_a_book_no_schedule_can_meet_still_gets_one_within_the_time_limit(
    tmp_path: Path,
) -> None:
    # Every order due at t = 0 and released then: every order is late whatever the schedule,
    # and all release at once (the rules used to overfill the stores, CP-SAT found nothing in
    # time, and the command exited 1). Now: a schedule, labelled with how it was made, exit 0.
    done, wall = schedule(baseline_with(tmp_path, due_at_zero=True))
    assert wall <= BOUND_S, f"took {wall:.1f} s"
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.splitlines()[1].strip()
    assert summary.startswith(("CP-SAT", "dispatching rule")), summary
    assert "cannot be on time" in done.stderr
