"""Reading a file the user names: a regular file only, never more than a size cap + 1 byte.

A stand-in for the project's one safe reader (issue 11): same rules, so that it can be swapped for
it. Nothing here ever echoes a file's contents; callers that cannot parse what they read say so
without quoting it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from twin.scenario import InputError, Problem

MAX_LOG_BYTES = 2_000_000_000
"""Largest event log read, bytes (a million-row CSV is about 100 MB)."""
MAX_CONFIG_BYTES = 1_000_000
"""Largest column map read, bytes."""


class LogFileError(InputError):
    """A file that cannot be read at all: missing, not a regular file, too large."""


def read_limited(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, refusing it once more than ``limit`` are read."""
    where = str(path)
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
        descriptor = os.open(path, flags)
    except OSError as error:
        raise LogFileError(
            [Problem("", f"cannot read the file: {error.strerror}")], where
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise LogFileError([Problem("", "is not a regular file")], where)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise LogFileError([Problem("", f"the file is larger than {limit:,} bytes")], where)
    return data
