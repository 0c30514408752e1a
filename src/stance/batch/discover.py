"""The inputs of a batch: the command line's files, folders and globs, expanded."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stance.io.file_kind import looks_like_video

VIDEO_EXTENSIONS = frozenset(
    [
        ".mp4",
        ".m4v",
        ".mov",
        ".qt",
        ".3gp",
        ".3g2",
        ".mkv",
        ".webm",
        ".avi",
        ".ts",
        ".mts",
        ".m2ts",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".ogv",
    ]
)
"""Files with these extensions are analysed (and get a row) even when they hold no video."""


@dataclass(frozen=True)
class Input:
    """One input found from the command line; ``explicit`` when named, not found in a dir."""

    path: Path
    explicit: bool


def discover(specs: Sequence[str | Path]) -> list[Input]:
    """Expand files, directories (recursively) and globs into inputs, in a stable order.

    Named files are always inputs (a missing one gets an error row); inside directories
    only files with a video extension or a video container signature are.
    """
    found: dict[Path, Input] = {}

    def add(path: Path, explicit: bool) -> None:
        key = path.resolve() if path.exists() else path.absolute()
        if key not in found or explicit:
            found[key] = Input(path, explicit or found.get(key, Input(path, False)).explicit)

    def walk(root: Path) -> None:
        for p in sorted(root.rglob("*")):
            if p.is_file() and (p.suffix.lower() in VIDEO_EXTENSIONS or looks_like_video(p)):
                add(p, False)

    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            walk(path)
        elif path.exists() or not glob.has_magic(str(spec)):
            add(path, True)
        else:
            for hit in sorted(glob.glob(str(spec), recursive=True)):
                p = Path(hit)
                if p.is_dir():
                    walk(p)
                else:
                    add(p, True)
    return list(found.values())
