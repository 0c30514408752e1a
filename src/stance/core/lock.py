"""One writer per folder: an exclusive lock that the operating system releases.

`folder_lock` takes a non-blocking exclusive lock on ``FOLDER/.stance.lock`` (``flock`` on
POSIX, ``msvcrt.locking`` on Windows) for as long as the ``with`` block runs. The lock
belongs to the open file, so it is released when the process ends however it ends (Ctrl-C,
``kill -9``, a crash): a lock file left behind never blocks the next run. It holds the process
id of the holder, which the refusal names. On a normal exit the holder deletes the file while
still holding it, so a finished batch leaves no hidden file in a folder meant to be shared; a
process that locked the file just as it was deleted sees that the path no longer leads to its
file and starts again, so two runs never hold two different files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from stance.core.errors import BadInputError

LOCK_NAME = ".stance.lock"


class FolderBusyError(BadInputError):
    """Another stance process holds the folder's lock (exit code 2, as bad usage)."""


def _try_lock(fd: int) -> bool:
    """Lock the open file ``fd`` exclusively without waiting; False when another holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def folder_lock(folder: Path, *, what: str) -> Iterator[Path]:
    """Hold ``folder``'s lock for the ``with`` block; yields the lock file.

    Raises:
        FolderBusyError: another process holds it: "<what> is in use by another stance
            batch (process N): wait for it to end, or give another folder."
        BadInputError: the lock file cannot be made.
    """
    path = Path(folder) / LOCK_NAME
    fd = _acquire(path, what)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        # deleted while still held (module docstring); Windows cannot delete an open file,
        # and a file left behind blocks nobody
        with suppress(OSError):
            path.unlink()
        os.close(fd)  # releases the lock


def _acquire(path: Path, what: str) -> int:
    """An open file descriptor of ``path``, exclusively locked, that ``path`` still leads to."""
    for _ in range(20):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise BadInputError(f"{what}: cannot create {path} ({err.strerror or err}).") from None
        if not _try_lock(fd):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            by = f" (process {holder})" if holder.isdigit() else ""
            raise FolderBusyError(
                f"{what} is in use by another stance batch{by}: wait for it to end, or give "
                "another --out."
            )
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except OSError:
            same = False
        if same or sys.platform == "win32":
            return fd
        os.close(fd)  # the holder deleted it as we locked it: lock the new one
    raise BadInputError(f"{what}: cannot lock {path} (it keeps being replaced).")
