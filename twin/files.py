"""Files the user names: one reader for every input file, one check and writer for every output.

Inputs (scenarios, studies, genealogies, schedules, plant states, order books, event logs) are
read by :func:`read_input` only: it opens the path without following it into a device or a pipe,
accepts a regular file and nothing else, and reads at most its size cap plus one byte, so neither
``/dev/zero`` nor a 10 GB file can hold the tool. A file is never quoted back: callers that fail
to parse it report where, not what.

Outputs are checked by :func:`check_output` before any work starts (the folder exists or can be
made, the path is not a folder, not one of the inputs, not the store) and written by
:func:`write_output`, which replaces a regular file atomically (a crash or a full disk leaves the
old file or none, never half a file). A write that fails raises :class:`OutputError` with the path
and the operating system's reason; it is the user's to fix (exit code 2), and the caller has kept
its results before writing.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from twin.problems import InputError, Problem

MB = 1_000_000


class FileError(InputError):
    """A file the user named that cannot be read or written; the message says why."""


class OutputError(FileError):
    """An output path that cannot be written, found before the work or at the write."""


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    if error.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if error.errno == errno.EROFS:
        return "the file system is read-only"
    return (error.strerror or str(error)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _size(limit: int) -> str:
    return f"{limit / MB:g} MB" if limit >= MB else f"{limit:,} bytes"


def read_input(path: str | Path, *, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`FileError` (with the path as its source) for a missing or unreadable file, a
    folder, a device or pipe, or a file larger than ``limit`` bytes.
    """
    source = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENOENT:
            message = f"cannot read the {what}: no such file"
        else:
            message = f"cannot read the {what}: {_reason(error)}"
        raise FileError([Problem("", message)], source) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise FileError([Problem("", f"is {_kind(mode)}; a {what} must be a file")], source)
        os.set_blocking(descriptor, True)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        problem = Problem("", f"cannot read the {what}: {_reason(error)}")
        raise FileError([problem], source) from None
    finally:
        os.close(descriptor)
    if left <= 0:
        problem = Problem("", f"the {what} is larger than {_size(limit)}, the most accepted")
        raise FileError([problem], source)
    return b"".join(chunks)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(
    path: str | Path,
    option: str,
    *,
    inputs: Iterable[str | Path] = (),
    store: str | Path | None = None,
    folder: bool = False,
) -> Path:
    """Check, before any work, that ``path`` (given as ``option``) can take the output.

    A file output must not be a folder, a pipe or a socket, nor one of the ``inputs``, nor the
    store (or its journal files); a ``folder`` output must not be a file. The first folder that
    exists on the way must be writable (missing ones are made at the write). Returns the path.
    """
    target = Path(path)

    def refuse(message: str) -> OutputError:
        return OutputError([Problem(option, f"{target}: {message}")])

    try:
        mode = target.stat().st_mode if target.exists() or target.is_symlink() else None
    except OSError as error:
        raise refuse(f"cannot be used: {_reason(error)}") from None
    if mode is not None:
        if folder and not stat.S_ISDIR(mode):
            raise refuse("is a file; this option takes a folder")
        if not folder and stat.S_ISDIR(mode):
            raise refuse("is a folder; give a file name")
        if not folder and (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            raise refuse(f"is {_kind(mode)}; give a file name")
        if not os.access(target, os.W_OK):
            raise refuse("is not writable (permission denied)")
    for source in inputs:
        if _same(target, Path(source)) or target.resolve() == Path(source).resolve():
            raise refuse("is an input of this command; writing it would destroy it")
    if store is not None:
        base = Path(store)
        for name in (base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal")):
            if _same(target, name) or target.resolve() == name.resolve():
                raise refuse("is the store; choose another file")
    ancestor = target if folder and mode is not None else target.parent
    while not ancestor.exists():
        if ancestor.is_symlink():  # a dangling link: where would it go?
            raise refuse(f"its folder {ancestor} is a broken link")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise refuse(f"{ancestor} is a file, so no folder can be made there")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise refuse(f"cannot write in {ancestor} (permission denied)")
    return target


def write_output(path: str | Path, content: bytes | str, option: str = "") -> Path:
    """Write ``content`` to ``path``: atomically for a file, directly for a device.

    Missing folders are made. Raises :class:`OutputError` naming the path and the reason.
    """
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if target.exists() and not target.is_file():
            with open(target, "wb") as stream:  # a device such as /dev/null or /dev/stdout
                stream.write(data)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        where = option or "output"
        raise OutputError([Problem(where, f"{target}: cannot write: {_reason(error)}")]) from None
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["FileError", "OutputError", "check_output", "read_input", "write_output"]
