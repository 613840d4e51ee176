"""A checked study made concrete: design points, their scenarios, the tasks and their batch."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from twin.engine import RunOptions
from twin.scenario import Problem, ScenarioError, value_at
from twin.study.spec import MAX_DESIGN_POINTS, Factor, StudySpec, design_points


def base_value(factor: Factor, document: Any) -> Any:
    """A factor's value in the base scenario (a one-at-a-time design holds it there).

    A value at several paths is taken from the first; a factor of named levels is at its first
    level.
    """
    if factor.named_levels is not None:
        return factor.named_levels[0].name
    return value_at(document, factor.targets[0])


@dataclass(frozen=True)
class Batch:
    """What every worker needs, sent once per worker: the design points' scenarios and settings."""

    token: str
    documents: tuple[str, ...]
    kpis: tuple[str, ...]
    options: RunOptions
    """How every task runs (its replication number aside)."""


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
        base = [base_value(factor, document) for factor in spec.factors]
        values = design_points(spec.factors, spec.design, base, spec.run_seed)
        if len(values) > MAX_DESIGN_POINTS:
            raise ScenarioError(
                [Problem("design", f"has {len(values):,} points; at most {MAX_DESIGN_POINTS:,}")]
            )
        points, documents, problems = [], [], []
        for index, point in enumerate(values):
            changes: dict[str, Any] = {}
            for factor, value in zip(spec.factors, point, strict=True):
                changes |= factor.changes(value)
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
            options=spec.options(),
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
