"""Safe file writes: output targets checked before any work, then written atomically.

Every file the tool writes goes to a temporary file beside its target and is renamed over it
on success: a reader (or a resumed batch) never sees a half-written file, and a failure
leaves nothing. Temporary names are short (at most ``TEMP_NAME_MAX`` bytes), so any target
name the file system accepts can be written.

`target_problem` and `same_file` say, before an analysis starts, why a target cannot be
written (a directory, a device, a folder that is a file or read-only, a name too long) and
whether two paths are one file (also through links), so a run never ends in a traceback
after its work, never overwrites its own input and never writes two outputs to one file.

Free space: `space_problem` compares the estimated sizes of a run's outputs (`SpaceNeed`)
with the free space of each file system they go to, before anything is written (creating an
empty probe file succeeds even on a full disk); a disk that fills up while writing
(``ENOSPC``, ``EDQUOT``) becomes `stance.core.errors.NoSpaceError` (`no_space_told`): one
line, exit 5, the temporary file removed.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.core.errors import NoSpaceError

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
    with no_space_told(target):
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


def existing_ancestor(folder: Path) -> Path:
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
    folder = existing_ancestor(path.parent)
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


# --------------------------------------------------------------------------- free space

NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
"""``OSError`` numbers that mean the disk (or the user's quota) is full."""

SPACE_MARGIN = 64 << 10
"""Bytes kept free beyond the estimated outputs (64 KiB: file-system blocks and metadata)."""

LOW_SPACE = 16 << 20
"""A file system with less free space than this (16 MiB) is taken to be the reason a writing
process stopped (the video encoder's pipe broke, `stance.io.video_writer`)."""


@dataclass(frozen=True)
class SpaceNeed:
    """An output a run will write: its option (``--json``), its path, its estimated size in
    bytes (see `stance.report.sizes`)."""

    option: str
    path: Path
    size: int


def errno_in_chain(err: BaseException, numbers: frozenset[int]) -> bool:
    """True when ``err``, or an exception it was raised from or during, is an ``OSError``
    whose ``errno`` is one of ``numbers`` (imageio-ffmpeg, for one, wraps a broken pipe)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in numbers:
            return True
        current = current.__cause__ or current.__context__
    return False


def free_space(folder: Path) -> int | None:
    """Free bytes (for this user) on the file system of ``folder`` (or the nearest existing
    folder above it); None when it cannot be told."""
    try:
        return int(shutil.disk_usage(existing_ancestor(folder)).free)
    except OSError:
        return None


def megabytes(size: float) -> str:
    """A byte count for people: ``340 KB``, ``1.2 MB``, ``12 MB``, ``3.4 GB``."""
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    if size >= 1e7:
        return f"{size / 1e6:.0f} MB"
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(size, 0) / 1e3:.0f} KB"


def no_space_message(target: Path) -> str:
    """One line: ``target`` could not be written because its disk is full."""
    free = free_space(Path(target).parent)
    left = f" ({megabytes(free)} free)" if free is not None else ""
    return (
        f"{target}: the disk is full{left}, so it was not written (nothing half-written is "
        "left). Free some space or write somewhere else, then run it again."
    )


@contextmanager
def no_space_told(target: Path) -> Iterator[None]:
    """Turn a full disk (``ENOSPC``/``EDQUOT``) met while writing ``target`` into
    `NoSpaceError` naming ``target`` (also one raised for an inner temporary file); other
    errors pass unchanged."""
    try:
        yield
    except NoSpaceError:
        raise NoSpaceError(no_space_message(target)) from None
    except OSError as err:
        if errno_in_chain(err, NO_SPACE_ERRNOS):
            raise NoSpaceError(no_space_message(target)) from None
        raise


def space_problem(needs: Sequence[SpaceNeed]) -> str | None:
    """Why the outputs ``needs`` do not fit (one line naming the folder, the free space, the
    space needed per option and what to do), or None when they do. Outputs on one file
    system are added up; ``SPACE_MARGIN`` is kept free on each."""
    groups: dict[int, list[SpaceNeed]] = {}
    folders: dict[int, Path] = {}
    for need in needs:
        folder = existing_ancestor(Path(need.path).parent)
        try:
            device = folder.stat().st_dev
        except OSError:
            continue
        groups.setdefault(device, []).append(need)
        folders.setdefault(device, folder)
    for device, group in groups.items():
        free = free_space(folders[device])
        total = sum(n.size for n in group) + SPACE_MARGIN
        if free is None or free >= total:
            continue
        each = ", ".join(f"{n.option} {megabytes(n.size)}" for n in group)
        return (
            f"Not enough free space in {folders[device]}: {megabytes(free)} free, about "
            f"{megabytes(total)} needed ({each}). Free some space or write somewhere else."
        )
    return None
