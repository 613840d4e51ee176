"""Capacity studies: many runs of a plant over a design of factor values, locally or on Dask.

A study file names a base scenario, the factors to vary (a path into the scenario and its values
or range), a design, the replications, horizon and warm-up, and the KPIs to report::

    name: PECVD sources and accumulator size
    scenario: ../scenarios/baseline.yaml
    factors:
      - {name: sources, path: "lines[0].stations[1].equipment.sources", values: [4, 5, 6]}
      - {name: accumulator_m, path: "lines[0].buffers[1].capacity_m", range: [50, 400], levels: 4}
    design: full_factorial            # or one_at_a_time, or {kind: latin_hypercube, samples: 20}
    replications: 30
    horizon: 30d
    warmup: 2d
    kpis: [output_m2_per_h, lines.INL1.wip_rolls]
    objective: output_m2_per_h

Every (design point, replication) is one task. Replication ``r`` of every design point runs with
the study's seed and ``r`` (DESIGN.md, randomness), so design points share common random numbers
and a result never depends on which worker ran it or in what order tasks finished.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stations import Duration, PositiveDuration
from twin.engine import run_replication
from twin.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_document,
    scenario_from_document,
    validation_problems,
    value_at,
)
from twin.store import Store, StoreError, TaskOutcome
from twin.study_results import StudyResult

Executor = Literal["local", "dask"]
Progress = Callable[[int, int], None]
"""Called with (tasks done, tasks in all) as each replication finishes."""

MAX_DESIGN_POINTS = 10_000
"""Most design points a study may have."""

OUTPUT_KPIS = (
    "output_m2_per_h",
    "output_m_per_h",
    "output_rolls_per_h",
    "good_m2_per_h",
    "yield",
    "first_pass_yield",
    "ah_per_h",
    "escapes_ppm",
    "escapes_per_1000_m2",
)
"""Output and quality KPIs, of the plant and of each line."""
PLANT_KPIS = (*OUTPUT_KPIS, "on_time_fraction", "weighted_tardiness_h")
"""Plant-wide KPIs, by the names ``ReplicationResult.metrics`` gives them after ``kpis.``."""
LINE_KPIS = (*OUTPUT_KPIS, "wip_rolls", "lead_time_h", "scrapped_m")
"""KPIs of each line, named ``lines.<line>.<kpi>``."""
_QUALITY = {"good_m2_per_h", "yield", "first_pass_yield", "ah_per_h", "escapes_ppm"}


def available_kpis(scenario: Scenario) -> list[str]:
    """Every KPI a study of ``scenario`` may report.

    Plant KPIs by their short name; ``lines.<line>.<kpi>``; ``stations.<station>.oee``;
    ``bottleneck.<station>`` (share of time it was the momentary bottleneck); and
    ``buffers.<buffer>.mean_level`` (rolls in a store, metres in an accumulator).
    """
    names = list(PLANT_KPIS)
    for line in scenario.lines:
        names += [f"lines.{line.id}.{kpi}" for kpi in LINE_KPIS]
    for line in scenario.lines:
        for station in line.stations:
            names += [f"stations.{station.id}.oee", f"bottleneck.{station.id}"]
    for line in scenario.lines:
        names += [f"buffers.{buffer.id}.mean_level" for buffer in line.buffers]
    return names


def default_kpis(scenario: Scenario) -> list[str]:
    """Plant output, good output, yield, weighted tardiness; each line's output, WIP, lead time."""
    quality = scenario.run.quality
    names = [
        k for k in ("output_m2_per_h", "good_m2_per_h", "yield") if quality or k not in _QUALITY
    ]
    names.append("weighted_tardiness_h")
    for line in scenario.lines:
        names += [
            f"lines.{line.id}.{kpi}" for kpi in ("output_m2_per_h", "wip_rolls", "lead_time_h")
        ]
    return names


def kpi_values(
    metrics: dict[str, float], shares: dict[str, float], kpis: Sequence[str]
) -> dict[str, float]:
    """The study KPIs of one replication (NaN where the replication has no value)."""
    values = {}
    for kpi in kpis:
        if kpi.startswith("bottleneck."):
            values[kpi] = shares.get(kpi.removeprefix("bottleneck."), 0.0)
        else:
            key = kpi if "." in kpi else f"kpis.{kpi}"
            values[kpi] = float(metrics.get(key, math.nan))
    return values


# ------------------------------------------------------------------------------ specification
class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Factor(_Spec):
    """A value in the scenario to vary: its path, and its values or its range.

    A ``range`` is sampled by a Latin hypercube, or cut into ``levels`` evenly spaced values for
    the grid designs. A range whose bounds are both whole numbers gives whole numbers.
    """

    path: str = Field(
        min_length=1,
        description="Dotted path into the scenario, e.g. 'lines[0].stations[1].units'.",
    )
    name: str | None = Field(default=None, max_length=64, description="Column label (the path).")
    values: list[Any] | None = Field(default=None, min_length=1, max_length=1000)
    range: tuple[int | float, int | float] | None = Field(
        default=None, description="[low, high], both included."
    )
    levels: int | None = Field(
        default=None, ge=2, le=1000, description="Evenly spaced values of a range (grid designs)."
    )
    integer: bool | None = Field(
        default=None, description="Round sampled values (default: when both bounds are integers)."
    )

    @model_validator(mode="after")
    def _values_or_range(self) -> Factor:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or a range [low, high]")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("the range's low bound must be below its high bound")
        if self.levels is not None and self.range is None:
            raise ValueError("levels go with a range")
        return self

    @property
    def label(self) -> str:
        """The factor's column name: its name, or its path."""
        return self.name or self.path

    @property
    def whole(self) -> bool:
        """Whether sampled values are rounded to whole numbers."""
        if self.integer is not None:
            return self.integer
        return self.range is not None and all(isinstance(b, int) for b in self.range)

    def grid(self) -> list[Any]:
        """The values a grid design uses: the given values, or ``levels`` across the range."""
        if self.values is not None:
            return list(self.values)
        assert self.range is not None and self.levels is not None
        points = np.linspace(self.range[0], self.range[1], self.levels)
        return list(dict.fromkeys(self.convert(float(x)) for x in points))

    def convert(self, value: float) -> int | float:
        """A sampled value as the scenario takes it: rounded for a whole-number factor."""
        return math.floor(value + 0.5) if self.whole else value


class Design(_Spec):
    """How design points are made from the factors."""

    kind: Literal["full_factorial", "one_at_a_time", "latin_hypercube"] = Field(
        default="full_factorial",
        description="Every combination; each factor alone with the others at their base value; "
        "or a Latin hypercube sample of the ranges.",
    )
    samples: int | None = Field(default=None, ge=1, le=MAX_DESIGN_POINTS)
    seed: int | None = Field(default=None, ge=0, description="Sampling seed (the study's).")

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if (self.samples is not None) != (self.kind == "latin_hypercube"):
            raise ValueError("samples are needed by, and only by, a latin_hypercube design")
        return self


def design_points(
    factors: Sequence[Factor], design: Design, base: Sequence[Any], seed: int
) -> list[tuple[Any, ...]]:
    """The design points: one tuple of factor values each, in a fixed order.

    ``base`` holds each factor's value in the base scenario (for one-at-a-time designs).
    """
    if design.kind == "full_factorial":
        return list(itertools.product(*(factor.grid() for factor in factors)))
    if design.kind == "one_at_a_time":
        points = [tuple(base)]
        for index, factor in enumerate(factors):
            for value in factor.grid():
                point = (*base[:index], value, *base[index + 1 :])
                if point not in points:
                    points.append(point)
        return points
    assert design.samples is not None
    count = design.samples
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed if design.seed is None else design.seed, 17]))
    )
    columns = []
    for factor in factors:
        assert factor.range is not None
        low, high = factor.range
        if factor.whole:  # each whole number gets an equal share of [low - 1/2, high + 1/2)
            low, high = low - 0.5, high + 0.5
        strata = (rng.permutation(count) + rng.random(count)) / count
        values = [factor.convert(low + u * (high - low)) for u in strata]
        if factor.whole:
            values = [min(max(v, factor.range[0]), factor.range[1]) for v in values]
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else [()]


class StudySpec(_Spec):
    """A capacity study: base scenario, factors, design, replications, horizon and KPIs.

    In a study file ``scenario`` is a path (relative to the file) or the scenario inline; in
    Python it is a :class:`~twin.scenario.Scenario`. Unset run settings are the scenario's.
    """

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    scenario: Scenario
    factors: list[Factor] = Field(default=[], max_length=20)
    design: Design = Field(default_factory=Design)
    replications: int | None = Field(default=None, ge=1, le=10_000)
    horizon: PositiveDuration | None = None
    warmup: Duration | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    kpis: list[str] | None = Field(default=None, min_length=1, max_length=200)
    objective: str | None = Field(default=None, description="KPI that picks the best point.")
    maximise: bool | None = Field(default=None, description="Default: from the KPI's meaning.")

    @field_validator("design", mode="before")
    @classmethod
    def _design_by_name(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> StudySpec:
        problems = list(
            _check_study(
                self.scenario,
                list(enumerate(self.factors)),
                self.design,
                self.kpis,
                self.objective,
            )
        )
        if not 0 <= self.warmup_min < self.horizon_min:
            problems.append(Problem("warmup", "must be shorter than the horizon"))
        if problems:
            raise ScenarioError(problems)
        return self

    @property
    def run_replications(self) -> int:
        """Replications of each design point."""
        return self.replications or self.scenario.run.replications

    @property
    def run_seed(self) -> int:
        """The seed every design point runs with."""
        return self.scenario.run.seed if self.seed is None else self.seed

    @property
    def horizon_min(self) -> float:
        """Simulated time of each replication, minutes."""
        return self.horizon if self.horizon is not None else self.scenario.run.horizon

    @property
    def warmup_min(self) -> float:
        """Time discarded from statistics, minutes (at most half an overridden horizon)."""
        if self.warmup is not None:
            return self.warmup
        return min(self.scenario.run.warmup, self.horizon_min / 2)

    @property
    def kpi_names(self) -> list[str]:
        """The KPIs reported: those asked for, or :func:`default_kpis`."""
        return list(self.kpis) if self.kpis else default_kpis(self.scenario)

    @property
    def objective_kpi(self) -> str:
        """The KPI that picks the best design point (the first KPI unless given)."""
        return self.objective or self.kpi_names[0]

    def with_changes(self, changes: dict[str, Any]) -> StudySpec:
        """A checked copy with fields replaced, e.g. ``{"replications": 3, "horizon": "2d"}``."""
        return StudySpec.model_validate({**dict(self), **changes})

    def document(self) -> dict[str, Any]:
        """The JSON form, with the base scenario inline (what the store keeps)."""
        document: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return document


def _check_study(
    base: Scenario,
    factors: Sequence[tuple[int, Factor]],
    design: Design | None,
    kpis: Sequence[str] | None,
    objective: str | None,
) -> Iterator[Problem]:
    """Problems a study has against its base scenario: factor paths and values, KPIs, design."""
    document = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    labels: set[str] = set()
    for index, factor in factors:
        where = f"factors[{index}]"
        if factor.label in labels:
            yield Problem(f"{where}.name", f"{factor.label!r} names another factor too")
        labels.add(factor.label)
        try:
            value_at(document, factor.path)
        except (KeyError, IndexError, TypeError, ValueError):
            yield Problem(f"{where}.path", f"{factor.path!r} is not in the base scenario")
            continue
        if design is not None and design.kind == "latin_hypercube":
            if factor.range is None:
                yield Problem(where, "a latin_hypercube design needs a range [low, high]")
                continue
            tried = [(f"{where}.range[{i}]", factor.convert(b)) for i, b in enumerate(factor.range)]
        elif factor.range is not None and factor.levels is None:
            kind = design.kind if design else "grid"
            yield Problem(f"{where}.levels", f"is required for a range in a {kind} design")
            continue
        elif factor.values is not None:
            tried = [(f"{where}.values[{i}]", v) for i, v in enumerate(factor.values)]
        else:
            tried = [(f"{where}.range", v) for v in factor.grid()]
        for path, value in tried:
            try:
                base.with_changes({factor.path: value})
            except ScenarioError as error:
                for problem in error.problems:
                    yield Problem(path, str(problem))
    known = available_kpis(base)
    for index, kpi in enumerate(kpis or []):
        if kpi not in known:
            yield Problem(f"kpis[{index}]", f"unknown KPI {kpi!r}; known: {', '.join(known)}")
    chosen = list(kpis) if kpis else default_kpis(base)
    if objective is not None and objective not in chosen:
        yield Problem("objective", f"must be one of the study's KPIs ({', '.join(chosen)})")


def parse_study(text: str | bytes, source: str = "<study>") -> StudySpec:
    """Parse and check a study from YAML or JSON text; raise ScenarioError listing every problem.

    A relative scenario path is taken from the study file's folder (``source``), or from the
    working directory when the text comes from elsewhere.
    """
    try:
        document = parse_document(text)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], source) from None
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", "a study must be a mapping of fields")], source)
    problems: list[Problem] = []
    base = _base_scenario(document.get("scenario"), Path(source).parent, problems)
    try:
        return StudySpec.model_validate({**document, "scenario": base})
    except ScenarioError as error:
        problems += error.problems
    except ValidationError as error:
        found = validation_problems(error, document)
        problems += [p for p in found if base is not None or not p.path.startswith("scenario")]
        if base is not None:
            problems += _partial_problems(document, base)
    raise ScenarioError(problems, source)


def _base_scenario(node: Any, folder: Path, problems: list[Problem]) -> Scenario | None:
    if node is None:
        problems.append(Problem("scenario", "is required (a scenario file, or one inline)"))
        return None
    try:
        if isinstance(node, str):
            path = Path(node)
            return load_scenario(path if path.is_absolute() else folder / path)
        return scenario_from_document(node)
    except ScenarioError as error:
        where = f"{error.source}: " if error.source else ""
        problems += [Problem("scenario", f"{where}{problem}") for problem in error.problems]
        return None


def _partial_problems(document: dict[str, Any], base: Scenario) -> list[Problem]:
    """Checks against the base scenario for the parts of a study that are well formed."""

    def valid(model: type[BaseModel], node: Any) -> Any:
        try:
            return model.model_validate(node)
        except (ValidationError, ScenarioError):
            return None

    raw = document.get("factors")
    factors = [(i, valid(Factor, f)) for i, f in enumerate(raw if isinstance(raw, list) else [])]
    design = document.get("design", "full_factorial")
    kpis = document.get("kpis")
    objective = document.get("objective")
    return list(
        _check_study(
            base,
            [(i, f) for i, f in factors if f is not None],
            valid(Design, {"kind": design} if isinstance(design, str) else design),
            kpis if isinstance(kpis, list) and all(isinstance(k, str) for k in kpis) else None,
            objective if isinstance(objective, str) else None,
        )
    )


def load_study(path: str | Path) -> StudySpec:
    """Load and check a study file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as error:
        problem = Problem("", f"cannot read the file: {error.strerror}")
        raise ScenarioError([problem], str(path)) from None
    return parse_study(text, str(path))


# ------------------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class Batch:
    """What every worker needs, sent once per worker: the design points' scenarios and settings."""

    token: str
    documents: tuple[str, ...]
    kpis: tuple[str, ...]
    seed: int
    horizon_min: float
    warmup_min: float


@dataclass(frozen=True)
class StudyPlan:
    """A checked study made concrete: its design points, their scenarios and its tasks."""

    spec: StudySpec
    points: list[dict[str, Any]]
    batch: Batch

    @classmethod
    def of(cls, spec: StudySpec) -> StudyPlan:
        """Make the design points; raise ScenarioError for a combination that is no scenario."""
        document = spec.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        base = [value_at(document, factor.path) for factor in spec.factors]
        values = design_points(spec.factors, spec.design, base, spec.run_seed)
        if len(values) > MAX_DESIGN_POINTS:
            raise ScenarioError(
                [Problem("design", f"has {len(values):,} points; at most {MAX_DESIGN_POINTS:,}")]
            )
        points, documents, problems = [], [], []
        for index, point in enumerate(values):
            changes = {
                factor.path: value for factor, value in zip(spec.factors, point, strict=True)
            }
            points.append({f.label: v for f, v in zip(spec.factors, point, strict=True)})
            try:
                scenario = spec.scenario.with_changes(changes)
            except ScenarioError as error:
                at = ", ".join(f"{f.label}={v!r}" for f, v in zip(spec.factors, point, strict=True))
                problems += [
                    Problem(f"design point {index} ({at})", str(p)) for p in error.problems
                ]
                continue
            documents.append(scenario.model_dump_json(by_alias=True, exclude_none=True))
        if problems:
            raise ScenarioError(problems)
        key = json.dumps(spec.document(), sort_keys=True, separators=(",", ":"))
        batch = Batch(
            token=hashlib.sha256(key.encode("utf-8")).hexdigest(),
            documents=tuple(documents),
            kpis=tuple(spec.kpi_names),
            seed=spec.run_seed,
            horizon_min=spec.horizon_min,
            warmup_min=spec.warmup_min,
        )
        return cls(spec, points, batch)

    @property
    def key(self) -> str:
        """A digest of the specification: a study resumes only under the same one."""
        return self.batch.token

    @property
    def tasks_total(self) -> int:
        """Design points × replications."""
        return len(self.points) * self.spec.run_replications

    def tasks(self) -> list[tuple[int, int]]:
        """Every (design point, replication), replication by replication across the points."""
        replications = range(self.spec.run_replications)
        return [(point, r) for r in replications for point in range(len(self.points))]

    def document(self) -> dict[str, Any]:
        """What the store needs to rebuild a :class:`StudyResult` without the engine."""
        spec = self.spec
        return {
            "factors": [factor.label for factor in spec.factors],
            "kpis": spec.kpi_names,
            "points": self.points,
            "objective": spec.objective_kpi,
            "maximise": spec.maximise,
            "design": spec.design.kind,
            "replications": spec.run_replications,
            "seed": spec.run_seed,
            "horizon_min": spec.horizon_min,
            "warmup_min": spec.warmup_min,
        }


# -------------------------------------------------------------------------------- execution
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
    result, shares = run_replication(
        scenario,
        replication,
        seed=batch.seed,
        horizon_min=batch.horizon_min,
        warmup_min=batch.warmup_min,
    )
    return TaskOutcome(
        point=point,
        replication=replication,
        kpis=kpi_values(result.metrics, shares, batch.kpis),
        bottleneck=dict(shares),
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


def _run_local(batch: Batch, tasks: list[tuple[int, int]], workers: int) -> Iterator[TaskOutcome]:
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


def _run_dask(
    batch: Batch, tasks: list[tuple[int, int]], workers: int, address: str | None
) -> Iterator[TaskOutcome]:
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
            outcomes = _run_dask(plan.batch, tasks, size, address)
        else:
            outcomes = _run_local(plan.batch, tasks, size)
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


__all__ = [
    "Design",
    "Factor",
    "StudyInterrupted",
    "StudyPlan",
    "StudyResult",
    "StudySpec",
    "available_kpis",
    "default_kpis",
    "design_points",
    "load_study",
    "parse_study",
    "run_study",
]
