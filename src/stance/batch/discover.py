"""The inputs of a batch: the command line's files, folders and globs, expanded."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    """One input found from the command line; ``explicit`` when named, not found in a dir.

    ``name`` is how the batch's outputs (summary, index, result files) call it: its path
    relative to the folder given on the command line (for a named file, its file name; for
    a glob, relative to the glob's folder), never an absolute local path.
    """

    path: Path
    explicit: bool
    name: str


@dataclass(frozen=True)
class Discovery:
    """The inputs, in a stable order, and the folders that could not be read (skipped)."""

    inputs: list[Input]
    unreadable: list[Path] = field(default_factory=list)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _glob_base(spec: str) -> Path:
    """The folder a glob starts from: its leading parts without a wildcard."""
    parts = []
    for part in Path(spec).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def discover(specs: Sequence[str | Path]) -> Discovery:
    """Expand files, directories (recursively) and globs into inputs, in a stable order.

    Named files are always inputs (a missing one gets an error row); inside directories
    only files with a video extension or a video container signature are, and hidden
    files and folders (a name starting with ``.``, such as the ``._IMG_1.MOV`` AppleDouble
    files a Mac leaves beside copied clips) are skipped. A folder that cannot be listed is
    skipped and reported in `Discovery.unreadable`.
    """
    found: dict[Path, Input] = {}
    unreadable: list[Path] = []

    def add(path: Path, explicit: bool, name: str) -> None:
        key = path.resolve() if path.exists() else path.absolute()
        if key not in found or (explicit and not found[key].explicit):
            found[key] = Input(path, explicit, name)

    def walk(root: Path, base: Path) -> None:
        def unlisted(err: OSError) -> None:
            unreadable.append(Path(err.filename) if err.filename else root)

        hits = []
        for folder, dirs, files in os.walk(root, onerror=unlisted):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            hits += [Path(folder, f) for f in files if not f.startswith(".")]
        for p in sorted(hits):
            if p.is_file() and (p.suffix.lower() in VIDEO_EXTENSIONS or looks_like_video(p)):
                add(p, False, _relative(p, base))

    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            walk(path, path)
        elif path.exists() or not glob.has_magic(str(spec)):
            add(path, True, path.name)
        else:
            base = _glob_base(str(spec))
            for hit in sorted(glob.glob(str(spec), recursive=True)):
                p = Path(hit)
                if p.is_dir():
                    walk(p, base)
                else:
                    add(p, True, _relative(p, base))
    return Discovery(list(found.values()), sorted(set(unreadable)))
