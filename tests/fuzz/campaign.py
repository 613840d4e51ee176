"""The fuzz campaign: ``make fuzz`` (``python -m tests.fuzz.campaign``), and its small profile.

Runs generated and mutated documents through the loaders and the CLI entry points on worker
processes, with a time limit per case, and prints the counts: cases, accepted, refused with
problems, violations, and the slowest case. Each violation is written to ``out/fuzz/`` with the
text that caused it, and the exit code is 1 if there was any.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz import mutations, properties

CASE_LIMIT_S = 10.0
"""A case that takes longer than this is a violation (issue 11: nothing slower than 10 s)."""
PROFILES: dict[str, dict[str, int]] = {
    "full": {"scenario": 20_000, "study": 5_000, "genealogy": 1_000, "cli": 300},
    "small": {"scenario": 300, "study": 120, "genealogy": 60, "cli": 24},
}


@dataclass
class Outcome:
    """What one case gave: its violations, whether its input was accepted, and its time."""

    target: str
    seed: int
    violations: list[str]
    accepted: bool
    seconds: float
    text: str = ""


class _Slow(BaseException):
    """The case's time is up (a BaseException, so that no ``except Exception`` swallows it)."""


def _alarm(_signal: int, _frame: object) -> None:
    raise _Slow


def _accepted(violations: list[str], accepted: bool) -> bool:
    return accepted and not violations


def run_case(target: str, seed: int) -> Outcome:
    """Generate case ``seed`` of ``target`` and check its properties, within the time limit."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT_S)
    started = time.perf_counter()
    text = ""
    accepted = False
    try:
        if target == "scenario":
            _, text, fmt = mutations.scenario_case(seed)
            violations = properties.scenario_violations(
                text, fmt, deep=True, schedule=seed % 40 == 0
            )
            accepted = _valid_scenario(text, fmt)
        elif target == "study":
            text = mutations.study_case(seed)
            violations = properties.study_violations(text)
        elif target == "genealogy":
            text = mutations.genealogy_case(seed)
            violations = properties.genealogy_violations(text)
        else:
            rng = random.Random(seed)
            command = list(properties.CLI_COMMANDS)[seed % len(properties.CLI_COMMANDS)]
            if command == "trace" and rng.random() < 0.5:
                text, suffix = mutations.genealogy_case(seed), ".json"
            else:
                _, text, fmt = mutations.scenario_case(seed)
                suffix = ".json" if fmt == "json" else ".yaml"
            violations = properties.cli_violations(text, suffix, command)
    except _Slow:
        violations = [f"slower than {CASE_LIMIT_S:g} s"]
    except Exception as error:  # a fault of the generator itself still counts, and shows
        violations = [f"case generation: {type(error).__name__}: {error}"]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return Outcome(target, seed, violations, accepted, time.perf_counter() - started, text)


def _valid_scenario(text: str, fmt: str) -> bool:
    from twin.scenario import InputError, parse_scenario

    try:
        parse_scenario(text, "json" if fmt == "json" else "yaml")
    except InputError:
        return False
    except Exception:
        return False
    return True


def _task(arguments: tuple[str, int]) -> Outcome:
    return run_case(*arguments)


@dataclass
class Summary:
    """Counts per target, the violations and the slowest case."""

    cases: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    failed: list[Outcome] = field(default_factory=list)
    slowest: Outcome | None = None

    def add(self, outcome: Outcome) -> None:
        """Count one finished case."""
        self.cases[outcome.target] += 1
        self.accepted[outcome.target] += outcome.accepted
        if outcome.violations:
            self.failed.append(outcome)
        if self.slowest is None or outcome.seconds > self.slowest.seconds:
            self.slowest = outcome

    def report(self) -> str:
        """The counts as lines a person reads."""
        lines = []
        for target, count in self.cases.items():
            bad = sum(1 for o in self.failed if o.target == target)
            extra = f", {self.accepted[target]} accepted" if target == "scenario" else ""
            lines.append(f"{target}: {count} cases{extra}, {bad} violations")
        if self.slowest is not None:
            lines.append(
                f"slowest: {self.slowest.target} case {self.slowest.seed}, "
                f"{self.slowest.seconds:.2f} s"
            )
        return "\n".join(lines)


def campaign(counts: dict[str, int], seed: int, workers: int) -> Iterator[Outcome]:
    """Every case of every target, as the workers finish them."""
    tasks = [(t, seed * 1_000_003 + k) for t, n in counts.items() for k in range(n)]
    if workers == 1:
        yield from (run_case(*task) for task in tasks)
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap_unordered(_task, tasks, chunksize=8)


def main(argv: list[str] | None = None) -> int:
    """Run the campaign; return 1 if any case broke a property."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out") / "fuzz")
    for target in PROFILES["full"]:
        parser.add_argument(f"--{target}", type=int, help=f"cases of {target} (profile's)")
    options = parser.parse_args(argv)
    counts = dict(PROFILES[options.profile])
    counts |= {t: getattr(options, t) for t in counts if getattr(options, t) is not None}
    mutations.genealogy_seed()  # once, before the workers fork
    summary = Summary()
    started = time.perf_counter()
    for outcome in campaign(counts, options.seed, options.workers):
        summary.add(outcome)
    options.out.mkdir(parents=True, exist_ok=True)
    for outcome in summary.failed:
        path = options.out / f"{outcome.target}-{outcome.seed}.txt"
        path.write_text("\n".join(outcome.violations) + "\n---\n" + outcome.text, encoding="utf-8")
    print(summary.report())
    print(f"{sum(summary.cases.values())} cases in {time.perf_counter() - started:.0f} s")
    for outcome in summary.failed[:20]:
        print(f"  {outcome.target} {outcome.seed}: {outcome.violations[0][:200]}")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
