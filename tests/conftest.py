"""Shared fixtures: where ../shared is, and a cache of whole-clip analyses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FOOTAGE = SHARED / "footage"
AVATAR = SHARED / "avatar"
SAMPLE = REPO / "sample_videos" / "sample_right_weak.mp4"


def footage(name: str) -> Path:
    """Path of a real footage clip; skips the test where ../shared/footage is absent."""
    path = FOOTAGE / name
    if not path.exists():
        pytest.skip(f"{path} is absent (real footage lives in ../shared/footage)")
    return path


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``footage`` is skipped where ../shared/footage is absent."""
    if item.get_closest_marker("footage") is not None and not FOOTAGE.is_dir():
        pytest.skip(f"{FOOTAGE} is absent (real footage lives in ../shared/footage)")


_CACHE: dict[tuple[Any, ...], Any] = {}


@pytest.fixture(scope="session")
def analysed() -> Callable[..., Any]:
    """analysed(path, **settings) -> Analysis, computed once per session per arguments."""
    from stance.pipeline import Settings, analyze

    def run(path: Path, **kw: Any) -> Any:
        key = (str(path), tuple(sorted(kw.items())))
        if key not in _CACHE:
            _CACHE[key] = analyze(path, settings=Settings(**kw))
        return _CACHE[key]

    return run
