"""Where a study's tasks run: in this process, a local process pool, or a Dask cluster.

A task is one (design point, replication); its result never depends on which worker ran it.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Generator, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from typing import Literal

from twin.engine import run_replication
from twin.scenario import Problem, Scenario, ScenarioError, scenario_from_document
from twin.store import TaskOutcome
from twin.study.kpis import kpi_values
from twin.study.plan import Batch

_SCENARIOS: dict[str, dict[int, Scenario]] = {}
"""Each worker's validated design-point scenarios, for the batch it last ran."""
_POOL_BATCH: dict[str, Batch] = {}
"""The batch a local pool worker was started with."""


def _scenario(batch: Batch, point: int) -> Scenario:
    if batch.token not in _SCENARIOS:
        _SCENARIOS.clear()
        _SCENARIOS[batch.token] = {}
    scenarios = _SCENARIOS[batch.token]
    if point not in scenarios:
        scenarios[point] = scenario_from_document(json.loads(batch.documents[point]))
    return scenarios[point]


def replicate(batch: Batch, point: int, replication: int) -> TaskOutcome:
    """Run one task: replication ``replication`` of design point ``point``."""
    scenario = _scenario(batch, point)
    started = time.perf_counter()
    record = run_replication(scenario, batch.options, replication)
    return TaskOutcome(
        point=point,
        replication=replication,
        kpis=kpi_values(record.flatten(), record.bottleneck, batch.kpis),
        bottleneck=dict(record.bottleneck),
        seconds=time.perf_counter() - started,
    )


def _start_pool_worker(batch: Batch) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool on Ctrl-C
    _POOL_BATCH["batch"] = batch
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (killed with ``kill -9``, say)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _replicate_in_pool(task: tuple[int, int]) -> TaskOutcome:
    return replicate(_POOL_BATCH["batch"], *task)


def _start_method() -> Literal["fork", "spawn"]:
    """How pool workers start: forked where that is safe, else as fresh interpreters.

    A forked worker starts at once with everything imported; a spawned one first imports the
    twin (about a second), which costs a short study much of its speed-up. Fork is safe only
    on Linux and from a process with a single thread (a thread holding a lock at the fork
    would leave that lock held forever in the worker).
    """
    single = threading.active_count() == 1
    return "fork" if sys.platform == "linux" and single else "spawn"


@contextmanager
def _without_main_script() -> Iterator[None]:
    """Start worker processes without running this process's main script again in them.

    A spawned worker first runs the parent's ``__main__`` file: a user's script without a
    ``__main__`` guard, or the dashboard's page, would run once more in every worker. Workers
    need nothing from it (a task is a function of this module), so while they start,
    ``__main__`` is an empty module.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def run_local(
    batch: Batch, tasks: list[tuple[int, int]], workers: int
) -> Generator[TaskOutcome, None, None]:
    """Run tasks in this process (one worker) or a pool of fresh processes, as they finish.

    Pool workers ignore Ctrl-C: the parent cancels what has not started and stops the pool.
    """
    if workers == 1 or len(tasks) == 1:
        for point, replication in tasks:
            yield replicate(batch, point, replication)
        return
    pool = ProcessPoolExecutor(
        min(workers, len(tasks)),
        mp_context=multiprocessing.get_context(_start_method()),
        initializer=_start_pool_worker,
        initargs=(batch,),
    )
    with _without_main_script():  # workers start as tasks are submitted
        futures = [pool.submit(_replicate_in_pool, task) for task in tasks]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def run_dask(
    batch: Batch, tasks: list[tuple[int, int]], workers: int, address: str | None
) -> Generator[TaskOutcome, None, None]:
    """Run tasks on a Dask cluster: the one at ``address``, or a LocalCluster of ``workers``."""
    from dask import distributed

    with ExitStack() as stack:
        try:
            if address is None:
                with _without_main_script():  # the cluster starts its workers here
                    cluster = distributed.LocalCluster(
                        n_workers=min(workers, len(tasks)),
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                stack.enter_context(cluster)
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(address, timeout="20s"))
        except OSError as error:
            problem = Problem("address", f"cannot reach a Dask scheduler at {address}: {error}")
            raise ScenarioError([problem]) from None
        shared = client.scatter(batch, broadcast=True)
        futures = [
            client.submit(
                replicate,
                shared,
                point,
                replication,
                key=f"r2r-{batch.token}-{point}-{replication}",
            )
            for point, replication in tasks
        ]
        try:
            for future in distributed.as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
