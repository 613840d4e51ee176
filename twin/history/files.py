"""Reading the files the history commands take, through the project's one safe reader.

:func:`twin.files.read_input` opens regular files only and reads at most the cap plus one byte;
nothing here quotes a file back. :class:`LogFileError` is a file that was read but is no event log.
"""

from __future__ import annotations

from twin.files import FileError

MAX_LOG_BYTES = 2_000_000_000
"""Largest event log read, bytes (a million-row CSV is about 50-100 MB)."""
MAX_CONFIG_BYTES = 1_000_000
"""Largest column map read, bytes."""


class LogFileError(FileError):
    """A file that cannot be used as an event log at all: unreadable, or not a log."""
