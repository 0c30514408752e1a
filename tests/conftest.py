"""Shared fixtures: where ../shared is, a cache of whole-clip analyses, and a check that
every stance JSON document a test writes satisfies its JSON Schema."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator
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


# --------------------------------------------------------------------------- JSON Schemas

_SKIP_DIRS = frozenset({".git", "__pycache__", "node_modules", "site-packages"})
_seen: dict[Path, tuple[int, int]] = {}  # JSON file -> (mtime_ns, size) when last looked at
_shared: list[Path] = []  # tmp_path_factory folders of the current module: looked at again
_shared_module: list[Any] = [None]
_known: set[str] = set()  # the folders in pytest's base temporary folder after the last test


def _json_files(root: Path) -> Generator[Path, None, None]:
    """The *.json files under ``root``, not looking into virtual environments."""
    for top, dirs, files in os.walk(root):
        if "pyvenv.cfg" in files:
            dirs.clear()
            continue
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        for f in files:
            if f.endswith(".json"):
                yield Path(top, f)


def _changed(roots: list[Path]) -> list[Path]:
    """The JSON files under ``roots`` new or changed since last looked at (now marked seen)."""
    out = []
    for path in (p for r in roots for p in _json_files(r)):
        try:
            st = path.stat()
        except OSError:
            continue
        stamp = (st.st_mtime_ns, st.st_size)
        if _seen.get(path) != stamp:
            _seen[path] = stamp
            out.append(path)
    return out


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    rep = yield
    if rep.when == "call":
        item.stash[_CALL_FAILED] = rep.failed
    return rep


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _written_json_satisfies_its_schema(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Generator[None, None, None]:
    """After each test: every JSON file it wrote under pytest's temporary folders (its
    ``tmp_path``, and ``tmp_path_factory`` folders made during this module) that carries a
    stance ``schema`` string must satisfy that JSON Schema (`tests.schema_check`).

    A test that writes an invalid or forged document on purpose is marked ``forged_json``;
    what it wrote is then not checked (also not by later tests of the module)."""
    base = tmp_path_factory.getbasetemp()
    module = request.node.module
    if _shared_module[0] is not module:
        _shared_module[0] = module
        _shared.clear()
    yield
    own = re.sub(r"[\W]", "_", request.node.name)[:30]
    now = set(os.listdir(base))
    # with those of module fixtures set up for it; not the "...current" links to them
    new = [p for d in now - _known if (p := base / d).is_dir() and not p.is_symlink()]
    _known.update(now)
    for d in new:
        if d.name.rstrip("0123456789") != own:  # not its tmp_path
            _shared.append(d)
    changed = _changed([*new, *_shared])
    if request.node.get_closest_marker("forged_json") or request.node.stash.get(
        _CALL_FAILED, False
    ):
        return
    from schema_check import file_problems

    bad = {p: found for p in changed if (found := file_problems(p))}
    if bad:
        lines = [
            f"{p}:\n    " + "\n    ".join(f[:300] for f in found[:10]) for p, found in bad.items()
        ]
        pytest.fail(
            "JSON written by this test does not satisfy its JSON Schema (stance.schemas; mark "
            "the test forged_json if that is on purpose):\n" + "\n".join(lines),
            pytrace=False,
        )
