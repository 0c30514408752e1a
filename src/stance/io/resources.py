"""Files that travel with stance: the model manifest and the bundled sample clip.

In a checkout they are the repository's own ``models/manifest.json`` and ``sample_videos/``;
in an installed wheel they are package data under ``stance/data/`` (the wheel build copies
them there, see ``pyproject.toml``), so `stance analyze` with no path and the model
provisioning work the same after ``uv tool install`` or ``pipx install``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SAMPLE_NAME = "sample_right_weak.mp4"


@cache
def checkout_root() -> Path | None:
    """The repository this code runs from (a folder above it holding ``pyproject.toml`` and
    ``sample_videos/``), or None when stance is installed as a package."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "sample_videos").is_dir():
            return parent
    return None


def _package_data() -> Path:
    return Path(__file__).resolve().parents[1] / "data"  # stance/data, beside stance/io


def manifest_file() -> Path:
    """The model manifest: ``models/manifest.json`` of the checkout, else the packaged copy."""
    root = checkout_root()
    if root is not None and (root / "models" / "manifest.json").is_file():
        return root / "models" / "manifest.json"
    return _package_data() / "model_manifest.json"


def sample_clip() -> Path:
    """The bundled CC0 sample clip (`stance analyze` with no path)."""
    root = checkout_root()
    if root is not None and (root / "sample_videos" / SAMPLE_NAME).is_file():
        return root / "sample_videos" / SAMPLE_NAME
    return _package_data() / "sample_videos" / SAMPLE_NAME


def checkout_models() -> Path | None:
    """The checkout's ``models/`` folder (its ``cache/`` holds the models there), if any."""
    root = checkout_root()
    return root / "models" if root is not None and (root / "models").is_dir() else None
