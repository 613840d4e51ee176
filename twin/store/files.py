"""The store file's constants, its schema, the records it returns and file-level helpers."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel

from twin.scenario import InputError, Problem

if TYPE_CHECKING:  # pandas is loaded only by the study results that need it
    pass

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
SQLITE_HEADER = b"SQLite format 3\x00"

SIDE_FILES = ("-journal", "-wal", "-shm")
"""Files SQLite keeps beside a database while it is open."""
LOW_SPACE_BYTES = 1 << 20
"""Free space below which an I/O error writing the store is taken for a full disk."""
BUSY_TIMEOUT_S = 30
"""How long a connection waits for another process's lock before giving up."""
ADVICE = "name another store with --store or $R2R_STORE"

T = TypeVar("T")
Doing = Literal["create", "open", "read", "write to"]

RunKind = Literal["simulation", "schedule", "study"]
RunStatus = Literal["running", "finished", "partial"]
RUN_PREFIX: dict[str, str] = {"simulation": "s", "schedule": "sc", "study": "st"}
VARIANT_PREFIX = "v"

VARIANT_TABLES = (
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

SCHEMA = """
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
""" + "".join(f"{statement};\n" for statement in VARIANT_TABLES)


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


def process_alive(pid: int | None) -> bool:
    """Whether the process ``pid`` (that began a run) is still running."""
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


def file_exists(path: Path) -> bool:
    """Whether ``path`` exists.

    An OS error other than 'no such file' (a file where a folder should be, no permission) is
    raised, with the OS's reason.
    """
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    return True


def initialise(path: Path) -> None:
    """Write the empty tables of a store into the (empty) file ``path``, to the disk."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = FULL")
        connection.executescript(
            f"PRAGMA application_id = {APPLICATION_ID};"
            f"PRAGMA user_version = {SCHEMA_VERSION};"
            "BEGIN;" + SCHEMA + "COMMIT;"
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


def publish(temporary: Path, path: Path) -> None:
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
        if not file_exists(path):
            os.rename(temporary, path)
    with suppress(OSError):  # the new name on the disk too, where the system allows it
        descriptor = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def write_obstacle(path: Path) -> str | None:
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


def may_read_without_journal(path: Path, error: sqlite3.Error) -> bool:
    """Whether a store that cannot be opened as usual may be read from its file alone."""
    cannot_share = error_code(error) in (
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
    )
    log = Path(f"{path}-wal")
    return cannot_share and (not log.exists() or log.stat().st_size == 0)


def error_code(error: sqlite3.Error) -> int | None:
    """SQLite's primary result code of an error (None for errors of Python's sqlite3 module)."""
    code: int | None = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def undecodable(error: sqlite3.Error) -> str | None:
    """The column whose stored text is not UTF-8, if that is what ``error`` says."""
    found = re.match(r"Could not decode to UTF-8 column '([^']*)'", str(error))
    return found.group(1) if found else None


def free_bytes(path: Path) -> int:
    """Free space on the file system of ``path`` (of its nearest existing folder)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return LOW_SPACE_BYTES


def size_text(count: int) -> str:
    """A number of bytes for people: ``0 bytes``, ``12.3 kB``, ``4.5 MB``."""
    if count < 1000:
        return f"{count} bytes"
    exponent = min(len(str(count)) - 1, 12) // 3
    return f"{count / 1000**exponent:.1f} {('kB', 'MB', 'GB', 'TB')[exponent - 1]}"


def json_object(text: str) -> dict[str, Any]:
    """A JSON object; anything else stored where one belongs is damage."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value
