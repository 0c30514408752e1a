"""When was a clip recorded, and which file is it: the facts a test history is keyed on.

The date of a test is, in this order: the date the user gives (``--date``), the recording's
creation time from the container (the ``mvhd`` box of an MP4/MOV/3GP, which phones and
cameras fill in; UTC), the file's modification time, or the time of the analysis.
The content hash is the SHA-256 of the whole file, streamed.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from stance.core.errors import BadInputError

_MP4_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)
_CONTAINERS = {b"moov", b"trak", b"mdia"}  # boxes that hold other boxes, on the way to mvhd


class DateSource(str, Enum):
    """Where a test's date came from."""

    OPTION = "option"  # --date
    CONTAINER = "container"  # the recording's creation time in its metadata
    FILE = "file"  # the file's modification time
    NOW = "now"  # the time of the analysis (a camera session)


@dataclass(frozen=True)
class Recording:
    """Which recording a test was made from.

    Attributes:
        sha256: hex SHA-256 of the whole file (None for a camera session not recorded).
        recorded_at: when it was recorded (timezone-aware).
        date_source: where ``recorded_at`` came from.
    """

    sha256: str | None
    recorded_at: datetime
    date_source: DateSource


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a whole file, read in 1 MiB pieces.

    Every byte counts, so a clip changed anywhere (damaged in the middle, re-encoded, same
    size and modification time or not) is a different clip: `stance batch --resume` analyses
    it again and the history keeps it apart. Hashing reads at disk speed (about 0.1 s for
    50 MB), negligible next to decoding and pose inference (seconds per clip).
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_date(text: str, *, what: str = "--date", naive_is_local: bool = True) -> datetime:
    """A date: ISO 8601, a date or a date and time (``2026-11-03``, ``2026-11-03T18:30``,
    with or without an offset; ``Z`` = UTC). Without an offset it is local time (``--date``),
    or, with ``naive_is_local=False`` (a stored record, whose zone cannot be guessed), refused.
    The one date parser of the history: ``--date`` and ``stance history --import`` use it.

    Raises:
        BadInputError: not such a date (the message starts with ``what``).
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not read "Z"
        raw = raw[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise BadInputError(
            f"{what} {text!r} is not a date: give it as YYYY-MM-DD or YYYY-MM-DDTHH:MM."
        ) from None
    if when.tzinfo is not None:
        return when
    if not naive_is_local:
        raise BadInputError(
            f"{what} {text!r} has no time-zone offset: add one, e.g. {when.isoformat()}+02:00 "
            "(or Z for UTC)."
        )
    return when.astimezone()


def mp4_creation_time(path: Path) -> datetime | None:
    """The creation time in an ISO-BMFF file's movie header (MP4, MOV, 3GP), or None when
    the file has none (not such a file, no ``mvhd`` box, or the field left at zero)."""
    try:
        with Path(path).open("rb") as f:
            f.seek(0, 2)
            seconds = _find_mvhd_time(f, 0, f.tell())
    except (OSError, struct.error):
        return None
    if not seconds:
        return None
    when = _MP4_EPOCH + timedelta(seconds=seconds)
    return when if when.year >= 1990 else None  # zero-ish values from cameras without clocks


def _find_mvhd_time(f: BinaryIO, start: int, end: int) -> int | None:
    """Walk the boxes in [start, end) down to ``mvhd``; its creation time in seconds."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", f.read(8))
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            return None
        if kind == b"mvhd":
            version = f.read(4)[0]
            fmt = ">Q" if version == 1 else ">I"
            (created,) = struct.unpack(fmt, f.read(struct.calcsize(fmt)))
            return int(created)
        if kind in _CONTAINERS:
            return _find_mvhd_time(f, pos + header, pos + size)
        pos += size
    return None


def recording_of(path: Path | None, *, date: datetime | None = None) -> Recording:
    """The `Recording` of a clip (``path`` None: a camera session, dated now); ``date``
    (from ``--date``) wins over what the file says."""
    now = datetime.now().astimezone()
    if path is None:
        return Recording(None, date or now, DateSource.OPTION if date else DateSource.NOW)
    sha = file_sha256(path)
    if date is not None:
        return Recording(sha, date, DateSource.OPTION)
    created = mp4_creation_time(path)
    if created is not None:
        return Recording(sha, created, DateSource.CONTAINER)
    mtime = datetime.fromtimestamp(Path(path).stat().st_mtime).astimezone()
    return Recording(sha, mtime, DateSource.FILE)
