"""One writer per folder: an exclusive lock that the operating system releases.

`folder_lock` takes a non-blocking exclusive lock on ``FOLDER/.stance.lock`` (``flock`` on
POSIX, ``msvcrt.locking`` on Windows) for as long as the ``with`` block runs. The lock
belongs to the open file, so it is released when the process ends however it ends (Ctrl-C,
``kill -9``, a crash): a lock file left behind never blocks the next run. The file itself
stays (deleting it would let two runs lock two different files); it holds the process id
of the holder, which the refusal names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise BadInputError(f"{what}: cannot create {path} ({err.strerror or err}).") from None
    try:
        if not _try_lock(fd):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            by = f" (process {holder})" if holder.isdigit() else ""
            raise FolderBusyError(
                f"{what} is in use by another stance batch{by}: wait for it to end, or give "
                "another --out."
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock
