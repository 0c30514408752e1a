"""Safe file writes: output targets checked before any work, then written atomically.

Every file the tool writes goes to a temporary file beside its target and is renamed over it
on success: a reader (or a resumed batch) never sees a half-written file, and a failure
leaves nothing. Temporary names are short (at most ``TEMP_NAME_MAX`` bytes), so any target
name the file system accepts can be written.

`target_problem` and `same_file` say, before an analysis starts, why a target cannot be
written (a directory, a device, a folder that is a file or read-only, a name too long) and
whether two paths are one file (also through links), so a run never ends in a traceback
after its work, never overwrites its own input and never writes two outputs to one file.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TEMP_NAME_MAX = 64
"""Longest temporary file name (bytes): a dot, at most 32 characters of the target's name,
a dot, 8 random characters and a suffix of up to 16."""

NAME_MAX_FALLBACK = 255
"""File-name limit (bytes) where the file system does not say (Linux, macOS, Windows: 255)."""


def temp_beside(target: Path, *, suffix: str = ".tmp") -> Path:
    """Create an empty, unique temporary file beside ``target`` (its folder is made if
    missing) and return its path. The name is short: ``.<start of name>.<random><suffix>``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    start = os.fsencode(target.name)[:32].decode("utf-8", "ignore") or "tmp"
    fd, name = tempfile.mkstemp(prefix=f".{start}.", suffix=suffix[:16], dir=target.parent)
    os.close(fd)
    return Path(name)


def move_into_place(tmp: Path, target: Path) -> None:
    """Rename a finished temporary file (from `temp_beside`) over ``target``, mode 0644: the
    one commit step of every atomic write (`atomic_path`, and streamed writers such as
    `stance.io.video_writer.H264Writer` that keep their temporary file open across calls)."""
    Path(tmp).chmod(0o644)
    os.replace(tmp, target)


@contextmanager
def atomic_path(target: Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` when the block
    succeeds (mode 0644), delete it when it fails."""
    target = Path(target)
    tmp = temp_beside(target, suffix=suffix)
    try:
        yield tmp
        move_into_place(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(data: str | bytes, path: Path) -> None:
    """Write text (UTF-8) or bytes to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def strict_json(doc: Any) -> str:
    """``doc`` as strict JSON text (indented, newline-terminated): NaN and infinities become
    ``null`` (strict readers reject bare ``NaN``), paths and other objects their string."""

    def clean(x: Any) -> Any:
        if isinstance(x, float):
            return x if math.isfinite(x) else None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(doc), indent=2, default=str, allow_nan=False) + "\n"


def name_max(folder: Path) -> int:
    """The longest file name (bytes) the file system of ``folder`` accepts."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX_FALLBACK


def _existing_ancestor(folder: Path) -> Path:
    """``folder`` or the nearest folder above it that exists (what a write would create in)."""
    folder = Path(os.path.abspath(folder))
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    return folder


def target_problem(path: Path, option: str) -> str | None:
    """Why ``path`` cannot take a file written for ``option`` (one line saying what to do),
    or None when it can.

    Refused: a directory, anything that is not a regular file (a device such as /dev/null, a
    pipe, a socket: the atomic rename would replace it), a symbolic-link loop, a name longer
    than the file system's limit, and a folder that is a file or cannot be written (checked
    by creating and removing a temporary file there, so a read-only mount is caught even
    for root). A missing folder is fine when it can be created.
    """
    shown = f"{option} {path}"
    try:
        st = path.stat()
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
            st = None  # a new file or a dangling link (the rename replaces the link); a
            # folder on the way that is a file, or a name too long, is named below
        elif err.errno == errno.ELOOP:
            return f"{shown}: a symbolic link that points to itself (a loop): give a file name."
        else:
            return f"{shown}: cannot be used ({err.strerror}): give another file name."
    if st is not None and stat.S_ISDIR(st.st_mode):
        return f"{shown} is a directory: give a file name."
    if st is not None and not stat.S_ISREG(st.st_mode):
        return f"{shown} is not a regular file (a device, pipe or socket): give a file name."
    folder = _existing_ancestor(path.parent)
    if not folder.is_dir():
        return f"{shown}: {folder} is a file, not a folder: give a path in a folder."
    limit = name_max(folder)
    size = len(os.fsencode(path.name))
    if size > limit:
        return (
            f"{shown}: the file name is {size} bytes long, more than the {limit} this file "
            "system allows: give a shorter name."
        )
    problem = unwritable(folder)
    if problem is not None:
        return f"{shown}: the folder {folder} is {problem}: write somewhere else."
    return None


def unwritable(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` ("read-only (...)", "not writable (...)"),
    or None when they can: found by creating and removing a temporary file there, so a
    read-only mount is caught even for root."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".stance-probe.", dir=folder)
    except OSError as err:
        why = "read-only" if err.errno == errno.EROFS else "not writable"
        return f"{why} ({err.strerror or err})"
    os.close(fd)
    os.unlink(probe)
    return None


def same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` are one file: the same inode where both exist (hard and
    symbolic links included), else the same path once links and ``..`` are resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
