"""The embedded store: every simulation, schedule and study, kept in one SQLite file.

No server to set up: the file is ``r2r-store.sqlite`` in the working directory unless
``$R2R_STORE`` or the caller names another. A run keeps its inputs (the full scenario document
and the seed) and its results; a study keeps its specification and each replication's KPIs, one
transaction per finished replication in WAL mode, so a study killed halfway (Ctrl-C, ``kill -9``)
loses no finished replication and can be resumed.

A file that is not an r2r store (another program's SQLite database, random bytes, a store from
a newer release) is refused with a :class:`StoreError` and never modified. The ``meta`` table
and ``PRAGMA user_version`` hold the schema version, so later releases can migrate old stores.

The file is the user's: whatever goes wrong with it is a :class:`StoreError` that names the path
and the reason, never a fault of r2r. A new store is built in a temporary file beside it and
linked into place whole, so a full disk leaves nothing behind and processes that open a missing
store at the same moment all find the same complete store. A full disk is called a full disk;
a damaged page or record is called damaged and the file is left as it was; a store that cannot
be written (a read-only file, folder or file system) can still be read, and is refused before
any work by a command that will write to it (``for_writing``).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel

from twin.engine import SimulationResult
from twin.scenario import InputError, Problem, Scenario

if TYPE_CHECKING:  # pandas is loaded only by the study results that need it
    from twin.study.results import StudyResult

STORE_ENV = "R2R_STORE"
"""Environment variable naming the store file (default ``./r2r-store.sqlite``)."""
SCHEMA_VERSION = 2
"""Version of the tables below; a store with a higher one was written by a newer release.

Version 2 added the ``variants`` table (scenario variants and their parents). A version-1 store
is read as it is (it has no variants) and gains the table, in one transaction, when its first
variant is kept.
"""
APPLICATION_ID = 0x52325254
"""``PRAGMA application_id`` of an r2r store: 'R2RT' in ASCII."""
_SQLITE_HEADER = b"SQLite format 3\x00"

_SIDE_FILES = ("-journal", "-wal", "-shm")
"""Files SQLite keeps beside a database while it is open."""
_LOW_SPACE_BYTES = 1 << 20
"""Free space below which an I/O error writing the store is taken for a full disk."""
_BUSY_TIMEOUT_S = 30
"""How long a connection waits for another process's lock before giving up."""
_ADVICE = "name another store with --store or $R2R_STORE"

T = TypeVar("T")
Doing = Literal["create", "open", "read", "write to"]

RunKind = Literal["simulation", "schedule", "study"]
RunStatus = Literal["running", "finished", "partial"]
_PREFIX: dict[str, str] = {"simulation": "s", "schedule": "sc", "study": "st"}
_VARIANT_PREFIX = "v"

_VARIANTS = (
    """CREATE TABLE IF NOT EXISTS variants (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent TEXT REFERENCES variants (id),
    created TEXT NOT NULL,
    document TEXT NOT NULL,
    document_key TEXT NOT NULL,
    changes TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS variants_document_key ON variants (document_key)",
)
"""Schema 2: scenario variants, each with its parent (None for a root) and the changes asked."""

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
""" + "".join(f"{statement};\n" for statement in _VARIANTS)


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


class VariantInfo(BaseModel):
    """A scenario kept in the store's tree: a root (no parent) or a variant of its parent."""

    id: str
    name: str
    parent: str | None
    created: dt.datetime
    changes: dict[str, Any]
    """The values set by path when it was derived from its parent (empty for a root)."""


def document_key(document: dict[str, Any]) -> str:
    """A scenario document's fingerprint: two documents with the same content share it."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def _exists(path: Path) -> bool:
    """Whether ``path`` exists.

    An OS error other than 'no such file' (a file where a folder should be, no permission) is
    raised, with the OS's reason.
    """
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    return True


def _initialise(path: Path) -> None:
    """Write the empty tables of a store into the (empty) file ``path``, to the disk."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = FULL")
        connection.executescript(
            f"PRAGMA application_id = {APPLICATION_ID};"
            f"PRAGMA user_version = {SCHEMA_VERSION};"
            "BEGIN;" + _SCHEMA + "COMMIT;"
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
    finally:
        connection.close()  # the last connection folds the write-ahead log into the file
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _publish(temporary: Path, path: Path) -> None:
    """Put the finished store ``temporary`` in place at ``path``, unless a store is there already.

    A hard link never replaces a file, so of several processes creating the same store at once
    one wins and the others open its store. File systems without hard links get a rename.
    """
    try:
        os.link(temporary, path)
    except FileExistsError:
        return  # another process made the store first: use that one
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        if not _exists(path):
            os.rename(temporary, path)
    with suppress(OSError):  # the new name on the disk too, where the system allows it
        descriptor = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_obstacle(path: Path) -> str | None:
    """Why this process cannot write the store ``path`` (or None): the OS's reason, by file."""
    folder = path.parent
    for target, what in ((path, "the file"), (folder, "its folder")):
        if target.exists() and not os.access(target, os.W_OK):
            try:
                read_only = bool(os.statvfs(target).f_flag & os.ST_RDONLY)
            except (AttributeError, OSError):  # no statvfs (Windows)
                read_only = False
            reason = os.strerror(errno.EROFS if read_only else errno.EACCES)
            where = "" if what == "the file" else ", where SQLite keeps the store's journal"
            return f"{what} is not writable ({reason}){where}"
    return None


def _may_read_without_journal(path: Path, error: sqlite3.Error) -> bool:
    """Whether a store that cannot be opened as usual may be read from its file alone."""
    cannot_share = _code(error) in (
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
    )
    log = Path(f"{path}-wal")
    return cannot_share and (not log.exists() or log.stat().st_size == 0)


def _code(error: sqlite3.Error) -> int | None:
    """SQLite's primary result code of an error (None for errors of Python's sqlite3 module)."""
    code: int | None = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _undecodable(error: sqlite3.Error) -> str | None:
    """The column whose stored text is not UTF-8, if that is what ``error`` says."""
    found = re.match(r"Could not decode to UTF-8 column '([^']*)'", str(error))
    return found.group(1) if found else None


def _free_bytes(path: Path) -> int:
    """Free space on the file system of ``path`` (of its nearest existing folder)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return _LOW_SPACE_BYTES


def _size(count: int) -> str:
    """A number of bytes for people: ``0 bytes``, ``12.3 kB``, ``4.5 MB``."""
    if count < 1000:
        return f"{count} bytes"
    exponent = min(len(str(count)) - 1, 12) // 3
    return f"{count / 1000**exponent:.1f} {('kB', 'MB', 'GB', 'TB')[exponent - 1]}"


class Store:
    """An r2r store file: runs, studies and their replications.

    Opening a missing file creates a store there; opening anything else that is not an r2r store
    raises :class:`StoreError` and leaves the file as it was. A store that cannot be written is
    opened to be read (:attr:`writable` is false, and keeping a run raises :class:`StoreError`);
    ``for_writing=True`` refuses it at once, and a damaged one, so that a command finds out
    before its work rather than after. A store may be shared by threads.
    """

    def __init__(self, path: str | Path | None = None, *, for_writing: bool = False) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.writable = False
        """Whether runs can be kept in this store (else it can only be read)."""
        self._unwritable: StoreError | None = None  # why keeping a run here is refused
        self._lock = threading.Lock()
        self._connection = self._open(for_writing)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # --- opening ---------------------------------------------------------------------------
    def _refuse(self, why: str) -> StoreError:
        return StoreError(f"{self.path} is not an r2r store: {why}; it was left untouched")

    def _damaged(self, detail: str) -> StoreError:
        return StoreError(
            f"{self.path} is damaged ({detail}); it was left untouched: restore it from a "
            f"backup, or {_ADVICE}"
        )

    def _open(self, for_writing: bool) -> sqlite3.Connection:
        try:
            exists = _exists(self.path)
            if not exists:
                self._create()
            self._check_header()
        except OSError as error:
            raise self._failure(error, "open") from None
        obstacle = _write_obstacle(self.path)
        if obstacle is not None:
            self._unwritable = self._read_only(obstacle)
            if for_writing:
                raise self._unwritable
        try:
            return self._connect_checked(for_writing)
        except sqlite3.Error as error:
            if for_writing or not _may_read_without_journal(self.path, error):
                raise self._failure(error, "open") from None
            failure = self._failure(error, "write to")
        # The store cannot be opened the usual way (a full disk, a read-only folder: SQLite
        # cannot make its shared-memory file), but no process is writing it (there is no
        # write-ahead log), so the file alone holds every committed run: read that.
        self._unwritable = StoreError(str(failure))
        try:
            return self._connect_checked(False, immutable=True)
        except sqlite3.Error as error:
            raise self._failure(error, "open") from None

    def _connect_checked(self, for_writing: bool, immutable: bool = False) -> sqlite3.Connection:
        """A connection to a store this release can read (checked), set up to write if it may."""
        writable = self._unwritable is None and not immutable
        uri = self.path.resolve().as_uri() + ("" if writable else "?mode=ro")
        uri += "&immutable=1" if immutable else ""
        connection = sqlite3.connect(
            uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
        )
        try:
            self._check_contents(connection, quick_check=for_writing)
            if writable:
                mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":  # every store this release makes is in WAL mode already
                    connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            connection.close()
            raise
        self.writable = writable
        return connection

    def _create(self) -> None:
        """Make a new store: built whole in a temporary file beside it, then linked into place."""
        folder = self.path.parent
        temporary = folder / f".{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}.new"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except OSError as error:
            raise self._failure(error, "create") from None
        try:
            _initialise(temporary)
            _publish(temporary, self.path)
        except (OSError, sqlite3.Error) as error:
            raise self._failure(error, "create") from None
        finally:
            for leftover in (temporary, *(Path(f"{temporary}{s}") for s in _SIDE_FILES)):
                with suppress(OSError):
                    leftover.unlink(missing_ok=True)

    def _check_header(self) -> None:
        """Refuse, without writing a byte, a file that is not an SQLite database."""
        if not self.path.is_file():
            raise self._refuse("it is not a file")
        with self.path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        if header != _SQLITE_HEADER:
            raise self._refuse("it is not an SQLite database (corrupted, or another kind of file)")

    def _check_contents(self, connection: sqlite3.Connection, *, quick_check: bool) -> None:
        """Refuse a database that is not a store this release can read, or (to write) damaged."""
        try:
            application = connection.execute("PRAGMA application_id").fetchone()[0]
            if application != APPLICATION_ID:
                raise self._refuse("it is an SQLite database of another application")
            row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'")
            version = int(row.fetchone()[0])
            connection.execute("SELECT count(*) FROM runs").fetchone()
        except sqlite3.DatabaseError as error:
            if _code(error) in (sqlite3.SQLITE_ERROR, None):  # no meta table: not ours
                raise self._refuse(f"it has no r2r tables ({error})") from None
            raise
        except (TypeError, ValueError) as error:
            raise self._refuse(f"its schema version cannot be read ({error})") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer r2r (store schema {version}; this release "
                f"reads up to {SCHEMA_VERSION}); upgrade r2r to open it"
            )
        if version < 1:
            raise StoreError(
                f"{self.path} has store schema {version}, which this release cannot migrate"
            )
        if quick_check:  # a command that writes finds a damaged page before its work, not after
            verdict = [row[0] for row in connection.execute("PRAGMA quick_check(1)")]
            if verdict != ["ok"]:
                raise self._damaged(f"integrity check: {verdict[0] if verdict else 'no answer'}")

    # --- what went wrong ---------------------------------------------------------------------
    def _read_only(self, why: str) -> StoreError:
        return StoreError(f"the store {self.path} is read-only: {why}; {_ADVICE}")

    def _failure(self, error: OSError | sqlite3.Error, doing: Doing) -> BaseException:
        """The :class:`StoreError` an OS or SQLite error on the file stands for.

        An error that says nothing about the file (a mistake in r2r's SQL) is returned as it is.
        """
        if isinstance(error, StoreError):
            return error
        if isinstance(error, OSError):
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                return StoreError(self._full(doing))
            folders = [str(folder) for folder in self.path.parents]
            where = f" ({error.filename})" if str(error.filename) in folders else ""
            reason = error.strerror or str(error)
            return StoreError(f"cannot {doing} the store {self.path}: {reason}{where}")
        code = _code(error)
        if code == sqlite3.SQLITE_FULL or (
            code == sqlite3.SQLITE_IOERR
            and (
                getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_IOERR_SHMSIZE
                or _free_bytes(self.path) < _LOW_SPACE_BYTES
            )
        ):
            return StoreError(self._full(doing))
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return self._damaged(str(error))
        if _undecodable(error) is not None:
            return self._damaged(f"a stored {_undecodable(error)} is not valid text")
        if code == sqlite3.SQLITE_READONLY:
            return self._read_only(_write_obstacle(self.path) or str(error))
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"cannot {doing} the store {self.path}: another process kept it locked for "
                f"{_BUSY_TIMEOUT_S} s; try again"
            )
        if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            why = _write_obstacle(self.path) if code != sqlite3.SQLITE_IOERR else None
            return StoreError(f"cannot {doing} the store {self.path}: {why or error}")
        return error

    def _full(self, doing: Doing) -> str:
        kept = {
            "create": "no file was left behind",
            "open": "the store was not changed",
            "read": "the store was not changed",
            "write to": "everything stored before is kept",
        }[doing]
        free = _free_bytes(self.path)
        return (
            f"cannot {doing} the store {self.path}: the disk is full ({_size(free)} free); "
            f"free some space and run again ({kept})"
        )

    def _decode(self, run_id: str, what: str, text: str, parse: Callable[[str], T]) -> T:
        """A stored text parsed, or a :class:`StoreError` saying the record is damaged."""
        try:
            return parse(text)
        except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
            detail = str(error).splitlines()[0][:200]
            raise self._damaged(f"the stored {what} of {run_id} cannot be read: {detail}") from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed whole or not at all, even if the process is killed."""
        if not self.writable:
            raise StoreError(str(self._unwritable or self._read_only("it was opened to be read")))
        with self._lock:
            connection = self._connection
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:  # SQLite rolls back by itself on a full disk
                    with suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._failure(error, "write to") from None
                raise

    def _query(
        self, sql: str, parameters: tuple[Any, ...] = (), about: str | None = None
    ) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cursor = self._connection.execute(sql, parameters)
                cursor.row_factory = sqlite3.Row
                return cursor.fetchall()
            except sqlite3.Error as error:
                column = _undecodable(error)
                if about is not None and column is not None:
                    detail = f"the stored {column} of {about} is not valid text"
                    raise self._damaged(detail) from None
                raise self._failure(error, "read") from None

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
        for statement in _VARIANTS:
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
            variant_id = f"{_VARIANT_PREFIX}-{cursor.lastrowid:04d}"
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
                changes=self._decode(row["id"], "changes", row["changes"], _json_object),
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
        document: dict[str, Any] = self._decode(variant_id, "scenario", text, _json_object)
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
        if status == "running" and not _alive(row["pid"]):
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
                **self._decode(run_id, "replication KPIs", row["kpis"], _json_object),
            }
            for row in rows
        ]

    def schedule(self, run_id: str) -> dict[str, Any]:
        """The document of a stored schedule."""
        run_id = self.resolve(run_id)
        text = self._result(run_id, "schedule") or "{}"
        document: dict[str, Any] = self._decode(run_id, "schedule", text, _json_object)
        return document

    def study_spec(self, run_id: str) -> dict[str, Any]:
        """The specification a study was started with (its base scenario inline)."""
        run_id = self.resolve(run_id)
        row = self._row(run_id, "kind, spec")
        if row["kind"] != "study":
            raise StoreError(f"{run_id} is a {row['kind']}, not a study")
        spec: dict[str, Any] = self._decode(run_id, "specification", row["spec"], _json_object)
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
                kpis=self._decode(run_id, "replication KPIs", r["kpis"], _json_object),
                bottleneck=self._decode(run_id, "bottleneck shares", r["bottleneck"], _json_object),
                seconds=r["seconds"],
            )
            for r in rows
        ]
        plan = self._decode(run_id, "design", row["plan"], _json_object)
        try:
            return StudyResult.from_plan(run_id, row["name"], plan, outcomes)
        except (KeyError, TypeError, ValueError) as error:  # a design that does not fit its rows
            raise self._damaged(f"the stored design of {run_id} cannot be read: {error}") from None


def _json_object(text: str) -> dict[str, Any]:
    """A JSON object; anything else stored where one belongs is damage."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value
