"""Loading benchmarks (issue 11): 5 MB documents accepted or refused in at most 2 s, and the
baseline loaded at least 5x faster than before YAML was parsed once with libyaml.

``python benchmarks/bench_loading.py [--against COMMIT]`` checks COMMIT (default 0d17700, the
last commit that parsed twice with the pure-Python parser) out in a temporary worktree and
times ``load_scenario`` on the baseline there and here, alternating fresh processes, so both
see the same machine. Figures are medians of the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE = ROOT / "scenarios" / "baseline.yaml"
LIMIT_S = 2.0
FIVE_MB = 5_000_000

CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from twin.scenario import load_scenario
load_scenario({path!r})
started = time.perf_counter()
for _ in range({loads}):
    load_scenario({path!r})
print((time.perf_counter() - started) / {loads})
"""


def _load_time(root: Path, path: Path, loads: int) -> float:
    code = CHILD.format(root=str(root), path=str(path), loads=loads)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env, cwd=root
    )
    return float(done.stdout.strip().splitlines()[-1])


def five_mb_documents(folder: Path) -> dict[str, Path]:
    """Four documents of about 5 MB: accepted, and refused three ways."""
    document = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    template = document["orders"][0]
    cases: dict[str, str] = {}
    # 20 000 orders (the most a book may hold) and comments up to 5 MB: accepted
    document["orders"] = [dict(template, id=f"SO-{i:05d}") for i in range(20_000)]
    text = yaml.safe_dump(document, sort_keys=False)
    padding = "# " + "notes from the planning meeting " * 3 + "\n"
    cases["accepted: 20 000 orders and comments"] = text + padding * (
        (FIVE_MB - len(text)) // len(padding)
    )
    # more orders than values allowed: refused while it is read
    document["orders"] = [dict(template, id=f"SO-{i:06d}") for i in range(62_000)]
    cases["refused: 62 000 orders"] = yaml.safe_dump(document, sort_keys=False)[:FIVE_MB]
    cases["refused: one 5 MB description"] = "name: x\ndescription: " + "a" * (FIVE_MB - 30) + "\n"
    rng = random.Random(1)
    cases["refused: 5 MB of random bytes"] = "".join(
        rng.choice("abc: -[]{}\n\t'\"&*!") for _ in range(FIVE_MB)
    )
    paths = {}
    for index, (name, content) in enumerate(cases.items()):
        path = folder / f"case{index}.yaml"
        path.write_text(content, encoding="utf-8")
        paths[name] = path
    return paths


def _time_case(path: Path) -> tuple[float, str]:
    from twin.scenario import ScenarioError, load_scenario

    started = time.perf_counter()
    try:
        load_scenario(path)
        verdict = "accepted"
    except ScenarioError as error:
        verdict = f"refused: {error.problems[0].message[:70]}"
    return time.perf_counter() - started, verdict


def main() -> int:
    """Print the figures; return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", default="0d17700")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    missed = False
    with tempfile.TemporaryDirectory() as folder:
        for name, path in five_mb_documents(Path(folder)).items():
            seconds, verdict = _time_case(path)
            size = path.stat().st_size / 1e6
            ok = seconds <= LIMIT_S
            missed |= not ok
            print(
                f"{name} ({size:.1f} MB): {seconds:.2f} s, {verdict} [{'ok' if ok else 'MISSED'}]"
            )
        old = Path(folder) / "old"
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "-q",
                "--detach",
                str(old),
                options.against,
            ],
            check=True,
        )
        try:
            before, after = [], []
            for _ in range(options.runs):
                before.append(_load_time(old, BASELINE, 20))
                after.append(_load_time(ROOT, BASELINE, 20))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True
            )
    ratio = statistics.median(before) / statistics.median(after)
    print(
        f"baseline load: {statistics.median(after) * 1000:.1f} ms now, "
        f"{statistics.median(before) * 1000:.1f} ms at {options.against}: {ratio:.1f}x faster "
        f"(target 5x) [{'ok' if ratio >= 5 else 'MISSED'}]"
    )
    print(json.dumps({"before_s": before, "after_s": after}))
    return 1 if missed or ratio < 5 else 0


if __name__ == "__main__":
    sys.exit(main())
