"""The store file opened, checked and written in transactions: what every store does."""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.store.files import (
    ADVICE,
    APPLICATION_ID,
    BUSY_TIMEOUT_S,
    LOW_SPACE_BYTES,
    SCHEMA_VERSION,
    SIDE_FILES,
    SQLITE_HEADER,
    Doing,
    StoreError,
    T,
    default_path,
    error_code,
    file_exists,
    free_bytes,
    initialise,
    may_read_without_journal,
    publish,
    size_text,
    undecodable,
    write_obstacle,
)

if TYPE_CHECKING:  # pandas is loaded only by the study results that need it
    pass


class StoreFile:
    """An r2r store file opened for reading or writing, with its checks and transactions.

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
            f"backup, or {ADVICE}"
        )

    def _open(self, for_writing: bool) -> sqlite3.Connection:
        try:
            exists = file_exists(self.path)
            if not exists:
                self._create()
            self._check_header()
        except OSError as error:
            raise self._failure(error, "open") from None
        obstacle = write_obstacle(self.path)
        if obstacle is not None:
            self._unwritable = self._read_only(obstacle)
            if for_writing:
                raise self._unwritable
        try:
            return self._connect_checked(for_writing)
        except sqlite3.Error as error:
            if for_writing or not may_read_without_journal(self.path, error):
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
            uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
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
            initialise(temporary)
            publish(temporary, self.path)
        except (OSError, sqlite3.Error) as error:
            raise self._failure(error, "create") from None
        finally:
            for leftover in (temporary, *(Path(f"{temporary}{s}") for s in SIDE_FILES)):
                with suppress(OSError):
                    leftover.unlink(missing_ok=True)

    def _check_header(self) -> None:
        """Refuse, without writing a byte, a file that is not an SQLite database."""
        if not self.path.is_file():
            raise self._refuse("it is not a file")
        with self.path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
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
            if error_code(error) in (sqlite3.SQLITE_ERROR, None):  # no meta table: not ours
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
        return StoreError(f"the store {self.path} is read-only: {why}; {ADVICE}")

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
        code = error_code(error)
        if code == sqlite3.SQLITE_FULL or (
            code == sqlite3.SQLITE_IOERR
            and (
                getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_IOERR_SHMSIZE
                or free_bytes(self.path) < LOW_SPACE_BYTES
            )
        ):
            return StoreError(self._full(doing))
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return self._damaged(str(error))
        if undecodable(error) is not None:
            return self._damaged(f"a stored {undecodable(error)} is not valid text")
        if code == sqlite3.SQLITE_READONLY:
            return self._read_only(write_obstacle(self.path) or str(error))
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"cannot {doing} the store {self.path}: another process kept it locked for "
                f"{BUSY_TIMEOUT_S} s; try again"
            )
        if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            why = write_obstacle(self.path) if code != sqlite3.SQLITE_IOERR else None
            return StoreError(f"cannot {doing} the store {self.path}: {why or error}")
        return error

    def _full(self, doing: Doing) -> str:
        kept = {
            "create": "no file was left behind",
            "open": "the store was not changed",
            "read": "the store was not changed",
            "write to": "everything stored before is kept",
        }[doing]
        free = free_bytes(self.path)
        return (
            f"cannot {doing} the store {self.path}: the disk is full ({size_text(free)} free); "
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
                column = undecodable(error)
                if about is not None and column is not None:
                    detail = f"the stored {column} of {about} is not valid text"
                    raise self._damaged(detail) from None
                raise self._failure(error, "read") from None

    def close(self) -> None:
        """Close the file (a closed store cannot be used again)."""
        with self._lock:
            self._connection.close()
