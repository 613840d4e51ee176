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

from twin.store.files import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    STORE_ENV,
    RunInfo,
    RunKind,
    RunStatus,
    StoreError,
    TaskOutcome,
    VariantInfo,
    default_path,
    document_key,
)
from twin.store.runs import Store

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "RunInfo",
    "RunKind",
    "RunStatus",
    "Store",
    "StoreError",
    "TaskOutcome",
    "VariantInfo",
    "default_path",
    "document_key",
]
