"""Study benchmarks (issue 6): 100 plant-month runs on 1 and 2 local workers and on Dask.

The baseline plant, 4 design points (PC2 coaters 2 or 3 × INL1 accumulator 50 or 400 m) × 25
replications of 30 days. Prints the wall time with 1 and 2 local workers and the speed-up, the
Dask LocalCluster's time (cluster start included) and its overhead against the local pool, and
the store's write time per replication. Figures are times and ratios, not asserts: on a shared
machine they move with the load. Each run is a fresh process, as a command would be. Run with
``make bench`` or ``python benchmarks/bench_study.py``; ``--child`` is the internal mode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin import Factor, Store, StudySpec, load_scenario, run_study  # noqa: E402
from twin.store import TaskOutcome  # noqa: E402

WRITES = 200


def spec() -> StudySpec:
    """100 plant-months: 2 × 2 design points × 25 replications."""
    return StudySpec(
        name="bench: 100 plant-months",
        scenario=load_scenario(ROOT / "scenarios" / "baseline.yaml"),
        factors=[
            Factor(name="PC2_units", path="lines[1].stations[1].units", values=[2, 3]),
            Factor(name="ACC2_m", path="lines[0].buffers[1].capacity_m", values=[50, 400]),
        ],
        replications=25,
        horizon="30d",
    )


def child(folder: str, executor: str, workers: int) -> None:
    """Run the study once in this fresh process; print its wall time and first result as JSON."""
    store = Store(Path(folder) / f"{executor}-{workers}.sqlite")
    marks: list[float] = []
    started = time.perf_counter()
    run_study(
        spec(),
        store=store,
        executor="dask" if executor == "dask" else "local",
        workers=workers,
        progress=lambda done, total: marks.append(time.perf_counter() - started),
    )
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "first_s": marks[1]}))


def timed(folder: Path, name: str, executor: str, workers: int) -> tuple[float, float]:
    """Wall time of the study in a fresh process (no warm caches), and after its first task, s."""
    command = [sys.executable, __file__, "--child", str(folder), executor, str(workers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    print(
        f"  {name:<30} {figures['wall_s']:6.1f} s  (first replication after "
        f"{figures['first_s']:.1f} s)"
    )
    return float(figures["wall_s"]), float(figures["wall_s"] - figures["first_s"])


def store_write_ms(folder: Path, kpis: dict[str, float], shares: dict[str, float]) -> float:
    """Mean time to keep one replication (its own committed transaction), ms."""
    store = Store(folder / "writes.sqlite")
    study = spec()
    study_id = store.create_study(
        study.scenario, "writes", spec={}, spec_key="", plan={}, tasks_total=WRITES, seed=1
    )
    started = time.perf_counter()
    for replication in range(WRITES):
        store.add_replication(study_id, TaskOutcome(0, replication, kpis, shares, 0.0))
    return (time.perf_counter() - started) / WRITES * 1000


def main() -> None:
    """Run the three executors on the same study and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print("== 100 plant-month replications of the baseline (4 design points × 25)")
        print(f"  {os.cpu_count()} cores; load average before: {load}")
        one, _ = timed(where, "local, 1 worker", "local", 1)
        two, two_running = timed(where, "local, 2 workers", "local", 2)
        dask, dask_running = timed(where, "dask LocalCluster, 2 workers", "dask", 2)
        replication_s = one / 100
        print(f"  speed-up 2 workers / 1:      {one / two:.2f}×  (target ≥ 1.8×)")
        print(f"  Dask overhead vs local pool: {(dask / two - 1) * 100:+.1f} %  (target ≤ 15 %)")
        running = (dask_running / two_running - 1) * 100
        print(f"    after the first replication: {running:+.1f} % (without the cluster's start)")
        store = Store(where / "local-1.sqlite")
        result = store.study("st-0001")
        kpis = {k: float(v) for k, v in result.replications.iloc[0][result.kpis].items()}
        shares = {f"S{i}": 0.1 for i in range(15)}
        write = store_write_ms(where, kpis, shares)
        print(
            f"  store write per replication: {write:.2f} ms = "
            f"{write / 1000 / replication_s * 100:.2f} % of a replication ({replication_s:.2f} s)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
