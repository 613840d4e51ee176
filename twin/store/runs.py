"""Runs, studies and variants kept in and read from a store file."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any

from twin.engine import SimulationResult
from twin.scenario import Scenario
from twin.store.connection import StoreFile
from twin.store.files import (
    RUN_PREFIX,
    SCHEMA_VERSION,
    VARIANT_PREFIX,
    VARIANT_TABLES,
    RunInfo,
    RunKind,
    RunStatus,
    StoreError,
    TaskOutcome,
    VariantInfo,
    document_key,
    json_object,
    process_alive,
)

if TYPE_CHECKING:  # pandas is loaded only by the study results that need it
    from twin.study.results import StudyResult


class Store(StoreFile):
    """An r2r store: runs, studies, their replications and scenario variants (see the package)."""

    # --- writing ---------------------------------------------------------------------------
    def _insert(
        self,
        kind: RunKind,
        name: str,
        scenario: Scenario,
        *,
        status: RunStatus,
        tasks_total: int,
        seed: int | None,
        result: str | None = None,
        spec: str | None = None,
        spec_key: str | None = None,
        plan: str | None = None,
    ) -> str:
        document = scenario.model_dump_json(by_alias=True, exclude_none=True)
        created = dt.datetime.now(dt.UTC).isoformat()
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO runs (id, kind, name, scenario, created, status, pid, tasks_total, "
                "seed, scenario_document, spec, spec_key, plan, result) "
                "VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    name,
                    scenario.name,
                    created,
                    status,
                    os.getpid(),
                    tasks_total,
                    seed,
                    document,
                    spec,
                    spec_key,
                    plan,
                    result,
                ),
            )
            run_id = f"{RUN_PREFIX[kind]}-{cursor.lastrowid:04d}"
            connection.execute("UPDATE runs SET id = ? WHERE seq = ?", (run_id, cursor.lastrowid))
        return run_id

    def save_simulation(
        self, scenario: Scenario, result: SimulationResult, *, label: str | None = None
    ) -> str:
        """Keep a simulation run (its scenario, seed and summary results); return its id."""
        run_id = self.begin_simulation(
            scenario, replications=result.replications, seed=result.seed, label=label
        )
        self.finish_simulation(run_id, result)
        return run_id

    def begin_simulation(
        self, scenario: Scenario, *, replications: int, seed: int, label: str | None = None
    ) -> str:
        """Start keeping a simulation run; return its id.

        :meth:`add_replication` then keeps each replication as it finishes (design point 0),
        and :meth:`finish_simulation` the summary.
        """
        return self._insert(
            "simulation",
            label or scenario.name,
            scenario,
            status="running",
            tasks_total=replications,
            seed=seed,
        )

    def finish_simulation(self, run_id: str, result: SimulationResult) -> None:
        """Keep a simulation run's summary results and mark it finished."""
        summary = result.model_dump_json(exclude={"events", "buffer_events", "rolls", "snapshot"})
        with self._transaction() as connection:
            connection.execute(
                "UPDATE runs SET status = 'finished', result = ? WHERE id = ?", (summary, run_id)
            )

    def save_schedule(
        self, scenario: Scenario, schedule: dict[str, Any], *, label: str | None = None
    ) -> str:
        """Keep a schedule (a JSON-able schedule document) with its scenario; return its id."""
        return self._insert(
            "schedule",
            label or scenario.name,
            scenario,
            status="finished",
            tasks_total=1,
            seed=None,
            result=json.dumps(schedule),
        )

    def create_study(
        self,
        scenario: Scenario,
        name: str,
        *,
        spec: dict[str, Any],
        spec_key: str,
        plan: dict[str, Any],
        tasks_total: int,
        seed: int,
    ) -> str:
        """Start a study: its specification, base scenario and design; return its id."""
        return self._insert(
            "study",
            name,
            scenario,
            status="running",
            tasks_total=tasks_total,
            seed=seed,
            spec=json.dumps(spec),
            spec_key=spec_key,
            plan=json.dumps(plan),
        )

    def add_replication(self, run_id: str, outcome: TaskOutcome) -> None:
        """Keep one finished (design point, replication) of a run, in its own transaction."""
        written = dt.datetime.now(dt.UTC).isoformat()
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO replications VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    outcome.point,
                    outcome.replication,
                    json.dumps(outcome.kpis),
                    json.dumps(outcome.bottleneck),
                    outcome.seconds,
                    written,
                ),
            )

    def set_status(self, run_id: str, status: RunStatus) -> None:
        """Mark a run running (by this process), finished or partial."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE runs SET status = ?, pid = ? WHERE id = ?", (status, os.getpid(), run_id)
            )

    def finish_study(self, run_id: str, summary: str) -> None:
        """Mark a study finished and keep its summary table (JSON records)."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE runs SET status = 'finished', result = ? WHERE id = ?", (summary, run_id)
            )

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Bring a version-1 store to this release's schema, inside the caller's transaction.

        Killed or out of space halfway, the transaction rolls back and the store stays a
        version-1 store, as readable as before.
        """
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        for statement in VARIANT_TABLES:
            connection.execute(statement)
        connection.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
        )
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def save_variant(
        self,
        scenario: Scenario,
        *,
        name: str | None = None,
        parent: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> str:
        """Keep a scenario in the tree, as a variant of ``parent`` (or a root); return its id.

        ``changes`` are the values set by path to derive it from its parent.
        """
        document = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        if parent is not None:
            parent = self._variant_row(parent, "id")["id"]
        created = dt.datetime.now(dt.UTC).isoformat()
        with self._transaction() as connection:
            self._migrate(connection)
            cursor = connection.execute(
                "INSERT INTO variants (id, name, parent, created, document, document_key, "
                "changes) VALUES ('', ?, ?, ?, ?, ?, ?)",
                (
                    name or scenario.name,
                    parent,
                    created,
                    json.dumps(document),
                    document_key(document),
                    json.dumps(changes or {}, default=str),
                ),
            )
            variant_id = f"{VARIANT_PREFIX}-{cursor.lastrowid:04d}"
            connection.execute(
                "UPDATE variants SET id = ? WHERE seq = ?", (variant_id, cursor.lastrowid)
            )
        return variant_id

    def _has_variants_table(self) -> bool:
        rows = self._query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                           ("variants",))  # fmt: skip
        return bool(rows)

    def variants(self) -> list[VariantInfo]:
        """Every scenario of the tree, oldest first (a store of schema 1 has none)."""
        if not self._has_variants_table():
            return []
        rows = self._query(
            "SELECT id, name, parent, created, changes FROM variants ORDER BY seq", (), "a variant"
        )
        return [
            VariantInfo(
                id=row["id"],
                name=row["name"],
                parent=row["parent"],
                created=self._decode(
                    row["id"], "record", row["created"], dt.datetime.fromisoformat
                ),
                changes=self._decode(row["id"], "changes", row["changes"], json_object),
            )
            for row in rows
        ]

    def _variant_row(self, variant_id: str, columns: str) -> sqlite3.Row:
        rows = (
            self._query(f"SELECT {columns} FROM variants WHERE id = ?", (variant_id,), variant_id)
            if self._has_variants_table()
            else []
        )
        if not rows:
            raise StoreError(f"no scenario variant {variant_id!r} in {self.path}")
        return rows[0]

    def variant_document(self, variant_id: str) -> dict[str, Any]:
        """The full scenario document of a variant (or root) of the tree."""
        text = self._variant_row(variant_id, "document")["document"]
        document: dict[str, Any] = self._decode(variant_id, "scenario", text, json_object)
        return document

    def find_variant(self, scenario: Scenario) -> str | None:
        """The oldest scenario of the tree with exactly this content, if any."""
        if not self._has_variants_table():
            return None
        document = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        rows = self._query(
            "SELECT id FROM variants WHERE document_key = ? ORDER BY seq LIMIT 1",
            (document_key(document),),
        )
        return rows[0]["id"] if rows else None

    def delete(self, run_id: str) -> None:
        """Remove a run or study and its replications."""
        run_id = self.resolve(run_id)
        with self._transaction() as connection:
            connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    # --- reading ---------------------------------------------------------------------------
    def resolve(self, run_id: str) -> str:
        """The full id of a run given by its id, its number (``7``) or an unambiguous prefix."""
        rows = self._query("SELECT id, seq FROM runs")
        ids = {row["id"] for row in rows}
        if run_id in ids:
            return run_id
        if run_id.isdigit():
            matches = [row["id"] for row in rows if row["seq"] == int(run_id)]
        else:
            matches = [i for i in ids if i.startswith(run_id)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise StoreError(
                f"{run_id!r} is ambiguous in {self.path}: {', '.join(sorted(matches))}"
            )
        raise StoreError(f"no run {run_id!r} in {self.path} (r2r runs lists them)")

    def _row(self, run_id: str, columns: str) -> sqlite3.Row:
        run_id = self.resolve(run_id)
        return self._query(f"SELECT {columns} FROM runs WHERE id = ?", (run_id,), run_id)[0]

    def runs(self, kind: str | None = None) -> list[RunInfo]:
        """Every stored run and study (or those of one kind), newest first."""
        rows = self._query(
            "SELECT r.id, r.kind, r.name, r.scenario, r.created, r.status, r.pid, r.tasks_total, "
            "r.result IS NOT NULL AS has_result, "
            "(SELECT count(*) FROM replications p WHERE p.run_id = r.id) AS done "
            "FROM runs r WHERE ? IS NULL OR kind = ? ORDER BY seq DESC",
            (kind, kind),
            "a run",
        )
        return [self._info(row) for row in rows]

    def info(self, run_id: str) -> RunInfo:
        """What the store knows of one run or study."""
        run_id = self.resolve(run_id)
        return next(info for info in self.runs() if info.id == run_id)

    def _info(self, row: sqlite3.Row) -> RunInfo:
        status = row["status"]
        if status == "running" and not process_alive(row["pid"]):
            status = "partial"  # its process was killed
        finished_whole = row["kind"] != "study" and row["has_result"]
        done = row["tasks_total"] if finished_whole else row["done"]

        def parse(created: str) -> RunInfo:
            return RunInfo(
                id=row["id"],
                kind=row["kind"],
                name=row["name"],
                scenario=row["scenario"],
                created=dt.datetime.fromisoformat(created),
                status=status,
                tasks_done=done,
                tasks_total=row["tasks_total"],
            )

        return self._decode(row["id"], "record", row["created"], parse)

    def scenario_document(self, run_id: str) -> dict[str, Any]:
        """The full scenario document a run or study was made from."""
        run_id = self.resolve(run_id)
        text = self._row(run_id, "scenario_document")[0]
        document: dict[str, Any] = self._decode(run_id, "scenario", text, json.loads)
        return document

    def seed(self, run_id: str) -> int | None:
        """The random seed of a run or study (None for a schedule)."""
        seed: int | None = self._row(run_id, "seed")[0]
        return seed

    def _result(self, run_id: str, kind: RunKind) -> str | None:
        row = self._row(run_id, "kind, result")
        if row["kind"] != kind:
            raise StoreError(f"{self.resolve(run_id)} is a {row['kind']}, not a {kind}")
        text: str | None = row["result"]
        return text

    def simulation(self, run_id: str) -> SimulationResult:
        """The results of a stored simulation run."""
        run_id = self.resolve(run_id)
        text = self._result(run_id, "simulation")
        if text is None:
            done = len(self.replication_kpis(run_id))
            raise StoreError(
                f"{run_id} stopped before it finished: it keeps {done} "
                "replications' KPIs (r2r export) but no summary"
            )
        return self._decode(run_id, "result", text, SimulationResult.model_validate_json)

    def replication_kpis(self, run_id: str) -> list[dict[str, float]]:
        """Each replication kept for a simulation run: its number and KPIs, in order."""
        run_id = self.resolve(run_id)
        rows = self._query(
            "SELECT replication, kpis FROM replications WHERE run_id = ? ORDER BY replication",
            (run_id,),
            run_id,
        )
        return [
            {
                "replication": row["replication"],
                **self._decode(run_id, "replication KPIs", row["kpis"], json_object),
            }
            for row in rows
        ]

    def schedule(self, run_id: str) -> dict[str, Any]:
        """The document of a stored schedule."""
        run_id = self.resolve(run_id)
        text = self._result(run_id, "schedule") or "{}"
        document: dict[str, Any] = self._decode(run_id, "schedule", text, json_object)
        return document

    def study_spec(self, run_id: str) -> dict[str, Any]:
        """The specification a study was started with (its base scenario inline)."""
        run_id = self.resolve(run_id)
        row = self._row(run_id, "kind, spec")
        if row["kind"] != "study":
            raise StoreError(f"{run_id} is a {row['kind']}, not a study")
        spec: dict[str, Any] = self._decode(run_id, "specification", row["spec"], json_object)
        return spec

    def find_study(self, spec_key: str) -> str | None:
        """The newest study with this specification key, if any."""
        rows = self._query(
            "SELECT id FROM runs WHERE kind = 'study' AND spec_key = ? ORDER BY seq DESC LIMIT 1",
            (spec_key,),
        )
        return rows[0]["id"] if rows else None

    def spec_key(self, run_id: str) -> str | None:
        """The specification key a study was stored under."""
        key: str | None = self._row(run_id, "spec_key")[0]
        return key

    def done_tasks(self, run_id: str) -> set[tuple[int, int]]:
        """The (design point, replication) pairs of a study that are stored."""
        rows = self._query(
            "SELECT point, replication FROM replications WHERE run_id = ?", (run_id,)
        )
        return {(row["point"], row["replication"]) for row in rows}

    def study(self, run_id: str) -> StudyResult:
        """A study's results so far: its design points, replications and summary table."""
        from twin.study.results import StudyResult

        run_id = self.resolve(run_id)
        row = self._row(run_id, "kind, name, plan, tasks_total")
        if row["kind"] != "study":
            raise StoreError(f"{run_id} is a {row['kind']}, not a study")
        rows = self._query(
            "SELECT point, replication, kpis, bottleneck, seconds FROM replications "
            "WHERE run_id = ? ORDER BY point, replication",
            (run_id,),
            run_id,
        )
        outcomes = [
            TaskOutcome(
                point=r["point"],
                replication=r["replication"],
                kpis=self._decode(run_id, "replication KPIs", r["kpis"], json_object),
                bottleneck=self._decode(run_id, "bottleneck shares", r["bottleneck"], json_object),
                seconds=r["seconds"],
            )
            for r in rows
        ]
        plan = self._decode(run_id, "design", row["plan"], json_object)
        try:
            return StudyResult.from_plan(run_id, row["name"], plan, outcomes)
        except (KeyError, TypeError, ValueError) as error:  # a design that does not fit its rows
            raise self._damaged(f"the stored design of {run_id} cannot be read: {error}") from None
