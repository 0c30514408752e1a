"""What identifies a clip's result, and what its files are called.

A result stores `batch_key` (the clip's content hash and `settings_hash`), so ``--resume``
reuses it only for the same clip analysed the same way; `result_stem` names its files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

from stance import __version__
from stance.core.atomic import NAME_MAX_FALLBACK
from stance.pipeline import Settings


def settings_hash(settings: Settings) -> str:
    """A hash of everything that changes a result: the settings and the tool version."""
    doc = {"version": __version__, "settings": dataclasses.asdict(settings)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def batch_key(content: str, settings: Settings) -> str:
    """The key stored in each result: same input content and same settings."""
    return hashlib.sha256(f"{content}:{settings_hash(settings)}".encode()).hexdigest()[:32]


NAME_RESERVE = 40
"""Bytes of the file-name limit kept free in a result's name: margin for the temporary name
of the atomic writer (`stance.core.atomic`, at most ``TEMP_NAME_MAX`` bytes whatever the name)
and for file systems that count differently."""

NAME_HASH = 12
"""Hex digits of the sha256 of a clip's full name kept in a shortened result name."""


def result_stem(stem: str, content: str, limit: int = NAME_MAX_FALLBACK) -> str:
    """The name, without extension, of a clip's result files (``clips/*.json``, its
    ``.html`` report, ``failed/*.json``): ``<clip name>-<10 hex of its content hash>``.

    When that with the longest extension (``.html``) would not leave `NAME_RESERVE` bytes of
    the file-name ``limit`` (bytes, as the file system counts them), the clip's name is cut
    (between characters) and the sha256 of the full name added,
    ``<start of name>~<12 hex>-<10 hex>``, so two long names that start alike never share a
    result file.
    """
    tag = content[:10]
    room = limit - NAME_RESERVE - len(".html")
    plain = f"{stem}-{tag}"
    if len(os.fsencode(plain)) <= room:
        return plain
    tail = f"~{hashlib.sha256(os.fsencode(stem)).hexdigest()[:NAME_HASH]}-{tag}"
    keep = max(0, room - len(tail))
    cut = stem[:keep]  # a character is at least one byte
    while cut and len(os.fsencode(cut)) > keep:
        cut = cut[:-1]
    return cut + tail
