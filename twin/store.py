"""The embedded store: every simulation, schedule and study, kept in one SQLite file.

No server to set up: the file is ``r2r-store.sqlite`` in the working directory unless
``$R2R_STORE`` or the caller names another. A run keeps its inputs (the full scenario document
and the seed) and its results; a study keeps its specification and each replication's KPIs, one
transaction per finished replication in WAL mode, so a study killed halfway (Ctrl-C, ``kill -9``)
loses no finished replication and can be resumed.

A file that is not an r2r store (another program's SQLite database, random bytes, a store from
a newer release) is refused with a :class:`StoreError` and never modified. The ``meta`` table
and ``PRAGMA user_version`` hold the schema version, so later releases can migrate old stores.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from twin.engine import SimulationResult
from twin.scenario import InputError, Problem, Scenario

if TYPE_CHECKING:  # pandas is loaded only by the study results that need it
    from twin.study.results import StudyResult

STORE_ENV = "R2R_STORE"
"""Environment variable naming the store file (default ``./r2r-store.sqlite``)."""
SCHEMA_VERSION = 1
"""Version of the tables below; a store with a higher one was written by a newer release."""
APPLICATION_ID = 0x52325254
"""``PRAGMA application_id`` of an r2r store: 'R2RT' in ASCII."""
_SQLITE_HEADER = b"SQLite format 3\x00"

RunKind = Literal["simulation", "schedule", "study"]
RunStatus = Literal["running", "finished", "partial"]
_PREFIX: dict[str, str] = {"simulation": "s", "schedule": "sc", "study": "st"}

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    scenario TEXT NOT NULL,
    created TEXT NOT NULL,
    status TEXT NOT NULL,
    pid INTEGER,
    tasks_total INTEGER NOT NULL,
    seed INTEGER,
    scenario_document TEXT NOT NULL,
    spec TEXT,
    spec_key TEXT,
    plan TEXT,
    result TEXT
);
CREATE INDEX runs_spec_key ON runs (spec_key);
CREATE TABLE replications (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    kpis TEXT NOT NULL,
    bottleneck TEXT NOT NULL,
    seconds REAL NOT NULL,
    written TEXT NOT NULL,
    PRIMARY KEY (run_id, point, replication)
);
"""


@dataclass(frozen=True)
class TaskOutcome:
    """One finished (design point, replication): its KPIs and each station's bottleneck share."""

    point: int
    replication: int
    kpis: dict[str, float]
    bottleneck: dict[str, float]
    seconds: float
    """Wall time of the replication on its worker."""


class StoreError(InputError):
    """A store file that cannot be used, or a run that is not in it; the message says which."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem("", message)])
        self.args = (message,)

    def __str__(self) -> str:
        return self.problems[0].message


class RunInfo(BaseModel):
    """One stored run or study, as ``r2r runs`` lists it."""

    id: str
    kind: RunKind
    name: str
    scenario: str
    created: dt.datetime
    status: RunStatus
    tasks_done: int
    tasks_total: int


def default_path() -> Path:
    """The store file: ``$R2R_STORE`` if set, else ``r2r-store.sqlite`` in the working directory."""
    return Path(os.environ.get(STORE_ENV) or Path.cwd() / "r2r-store.sqlite")


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """An r2r store file: runs, studies and their replications.

    Opening a missing file creates a store there; opening anything else that is not an r2r store
    raises :class:`StoreError` and leaves the file as it was. A store may be shared by threads.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.Lock()
        self._connection = self._open()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # --- opening ---------------------------------------------------------------------------
    def _refuse(self, why: str) -> StoreError:
        return StoreError(f"{self.path} is not an r2r store: {why}; it was left untouched")

    def _open(self) -> sqlite3.Connection:
        if self.path.exists():
            self._check_file()
            connection = self._connect()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._connect()
            with connection:
                connection.executescript(
                    f"PRAGMA application_id = {APPLICATION_ID};"
                    f"PRAGMA user_version = {SCHEMA_VERSION};" + _SCHEMA
                )
                connection.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("application", "r2r"),
                        ("created", dt.datetime.now(dt.UTC).isoformat()),
                    ],
                )
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)

    def _check_file(self) -> None:
        """Refuse, without writing a byte, a file that is not a store this release can read."""
        if not self.path.is_file():
            raise self._refuse("it is not a file")
        with self.path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        if header != _SQLITE_HEADER:
            raise self._refuse("it is not an SQLite database (corrupted, or another kind of file)")
        try:
            probe = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                application = probe.execute("PRAGMA application_id").fetchone()[0]
                if application != APPLICATION_ID:
                    raise self._refuse("it is an SQLite database of another application")
                row = probe.execute("SELECT value FROM meta WHERE key = 'schema_version'")
                version = int(row.fetchone()[0])
                probe.execute("SELECT count(*) FROM runs").fetchone()
            finally:
                probe.close()
        except (sqlite3.DatabaseError, TypeError, ValueError) as error:
            raise self._refuse(f"the database is damaged ({error})") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer r2r (store schema {version}; this release "
                f"reads up to {SCHEMA_VERSION}); upgrade r2r to open it"
            )
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has store schema {version}, which this release cannot migrate"
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed whole or not at all, even if the process is killed."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._connection.execute(sql, parameters)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    def close(self) -> None:
        """Close the file (a closed store cannot be used again)."""
        with self._lock:
            self._connection.close()

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
            run_id = f"{_PREFIX[kind]}-{cursor.lastrowid:04d}"
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
        summary = result.model_dump_json(exclude={"events", "rolls"})
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
        return self._query(f"SELECT {columns} FROM runs WHERE id = ?", (self.resolve(run_id),))[0]

    def runs(self, kind: str | None = None) -> list[RunInfo]:
        """Every stored run and study (or those of one kind), newest first."""
        rows = self._query(
            "SELECT r.*, (SELECT count(*) FROM replications p WHERE p.run_id = r.id) AS done "
            "FROM runs r WHERE ? IS NULL OR kind = ? ORDER BY seq DESC",
            (kind, kind),
        )
        return [self._info(row) for row in rows]

    def info(self, run_id: str) -> RunInfo:
        """What the store knows of one run or study."""
        run_id = self.resolve(run_id)
        return next(info for info in self.runs() if info.id == run_id)

    @staticmethod
    def _info(row: sqlite3.Row) -> RunInfo:
        status = row["status"]
        if status == "running" and not _alive(row["pid"]):
            status = "partial"  # its process was killed
        finished_whole = row["kind"] != "study" and row["result"] is not None
        done = row["tasks_total"] if finished_whole else row["done"]
        return RunInfo(
            id=row["id"],
            kind=row["kind"],
            name=row["name"],
            scenario=row["scenario"],
            created=dt.datetime.fromisoformat(row["created"]),
            status=status,
            tasks_done=done,
            tasks_total=row["tasks_total"],
        )

    def scenario_document(self, run_id: str) -> dict[str, Any]:
        """The full scenario document a run or study was made from."""
        document: dict[str, Any] = json.loads(self._row(run_id, "scenario_document")[0])
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
        text = self._result(run_id, "simulation")
        if text is None:
            done = len(self.replication_kpis(run_id))
            raise StoreError(
                f"{self.resolve(run_id)} stopped before it finished: it keeps {done} "
                "replications' KPIs (r2r export) but no summary"
            )
        return SimulationResult.model_validate_json(text)

    def replication_kpis(self, run_id: str) -> list[dict[str, float]]:
        """Each replication kept for a simulation run: its number and KPIs, in order."""
        rows = self._query(
            "SELECT replication, kpis FROM replications WHERE run_id = ? ORDER BY replication",
            (self.resolve(run_id),),
        )
        return [{"replication": row["replication"], **json.loads(row["kpis"])} for row in rows]

    def schedule(self, run_id: str) -> dict[str, Any]:
        """The document of a stored schedule."""
        document: dict[str, Any] = json.loads(self._result(run_id, "schedule") or "{}")
        return document

    def study_spec(self, run_id: str) -> dict[str, Any]:
        """The specification a study was started with (its base scenario inline)."""
        row = self._row(run_id, "kind, spec")
        if row["kind"] != "study":
            raise StoreError(f"{self.resolve(run_id)} is a {row['kind']}, not a study")
        spec: dict[str, Any] = json.loads(row["spec"])
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
        )
        outcomes = [
            TaskOutcome(
                point=r["point"],
                replication=r["replication"],
                kpis=json.loads(r["kpis"]),
                bottleneck=json.loads(r["bottleneck"]),
                seconds=r["seconds"],
            )
            for r in rows
        ]
        return StudyResult.from_plan(run_id, row["name"], json.loads(row["plan"]), outcomes)
