"""Running a study: tasks to an executor, each finished replication into the store."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import closing
from typing import Literal

from twin.extras import require
from twin.store import Store, StoreError
from twin.study.plan import StudyPlan
from twin.study.results import StudyResult
from twin.study.spec import StudySpec
from twin.study.workers import run_dask, run_local

Executor = Literal["local", "dask"]
Progress = Callable[[int, int], None]
"""Called with (tasks done, tasks in all) as each replication finishes."""


class StudyInterrupted(KeyboardInterrupt):
    """A study stopped by Ctrl-C: its finished replications are stored; resume it later."""

    def __init__(self, study_id: str, done: int, total: int) -> None:
        super().__init__(f"study {study_id} interrupted after {done} of {total} tasks")
        self.study_id = study_id
        self.done = done
        self.total = total


def _study_id(store: Store, plan: StudyPlan, resume: bool | str) -> str:
    spec = plan.spec
    if resume is False:
        return store.create_study(
            spec.scenario,
            spec.name,
            spec=spec.document(),
            spec_key=plan.key,
            plan=plan.document(),
            tasks_total=plan.tasks_total,
            seed=spec.run_seed,
        )
    study_id = store.find_study(plan.key) if resume is True else store.resolve(resume)
    if study_id is None:
        raise StoreError(
            f"no study {spec.name!r} with this specification in {store.path} to resume; "
            "run it without resume"
        )
    if store.spec_key(study_id) != plan.key:
        raise StoreError(
            f"{study_id} was run with another specification (scenario, factors, design, "
            "replications, horizon or KPIs differ), so it cannot be resumed with this one"
        )
    if store.info(study_id).status == "running":
        raise StoreError(f"{study_id} is still running in another process")
    return study_id


def run_study(
    spec: StudySpec,
    *,
    store: Store | None = None,
    executor: Executor = "local",
    workers: int | None = None,
    address: str | None = None,
    resume: bool | str = False,
    progress: Progress | None = None,
) -> StudyResult:
    """Run a study (or, with ``resume``, only its missing tasks) and return its results.

    ``executor`` is ``"local"`` (a process pool of ``workers``, default one per core) or
    ``"dask"`` (the scheduler at ``address``, or a LocalCluster of ``workers``). Each finished
    replication is stored at once. ``resume=True`` continues the newest stored study with the
    same specification, ``resume="st-0003"`` that study. On Ctrl-C the finished replications stay
    stored and :class:`StudyInterrupted` (a KeyboardInterrupt) says which study to resume.
    """
    if executor not in ("local", "dask"):
        raise ValueError(f"unknown executor {executor!r}; use 'local' or 'dask'")
    if executor == "dask":
        require("distributed", "dask", "the Dask executor")
    store = store if store is not None else Store()
    plan = StudyPlan.of(spec)
    study_id = _study_id(store, plan, resume)
    done = store.done_tasks(study_id)
    tasks = [task for task in plan.tasks() if task not in done]
    count, total = len(done), plan.tasks_total
    if progress is not None:
        progress(count, total)
    if tasks:
        store.set_status(study_id, "running")
        size = workers or os.cpu_count() or 1
        if executor == "dask":
            outcomes = run_dask(plan.batch, tasks, size, address)
        else:
            outcomes = run_local(plan.batch, tasks, size)
        try:
            with closing(outcomes):
                for outcome in outcomes:
                    store.add_replication(study_id, outcome)
                    count += 1
                    if progress is not None:
                        progress(count, total)
        except KeyboardInterrupt:
            store.set_status(study_id, "partial")
            raise StudyInterrupted(study_id, count, total) from None
        except BaseException:
            store.set_status(study_id, "partial")
            raise
    result = store.study(study_id)
    store.finish_study(study_id, result.table.reset_index().to_json(orient="records"))
    return result
