"""Model problems as a user meets them on the command line: exit 4, one line that says what
to do, never a traceback (an unusable model cache)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE


def stance(*args: str | Path, model_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if model_dir is not None:
        env["STANCE_MODEL_DIR"] = str(model_dir)
    return subprocess.run(
        [sys.executable, "-m", "stance", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_model_error(res: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 4, no traceback, one message on stderr (rich may wrap it) naming ``words`` and
    what to do."""
    assert res.returncode == 4, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr + res.stdout
    text = " ".join(res.stderr.split())
    for w in words:
        assert w in text, res.stderr
    assert any(hint in text for hint in ("STANCE_MODEL_DIR", "--model", "stance models")), text
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("Error: ") and len(lines) <= 3, res.stderr


@pytest.fixture()
def afile(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a directory")
    return path


@pytest.mark.parametrize(
    "args",
    [("analyze", SAMPLE, "-q"), ("models", "fetch"), ("models", "list"), ("models", "verify")],
)
def test_cache_is_a_regular_file(afile: Path, args: tuple[str | Path, ...]) -> None:
    assert_model_error(stance(*args, model_dir=afile), str(afile), "is a file", "STANCE_MODEL_DIR")
    assert afile.read_text() == "not a directory"


@pytest.mark.parametrize("args", [("analyze", SAMPLE, "-q"), ("models", "fetch")])
def test_cache_under_a_regular_file(afile: Path, args: tuple[str | Path, ...]) -> None:
    res = stance(*args, model_dir=afile / "models")
    assert_model_error(res, "cannot be created", f"{afile} is a file")


def test_cache_is_a_broken_link(tmp_path: Path) -> None:
    link = tmp_path / "cache"
    link.symlink_to(tmp_path / "gone")
    assert_model_error(stance("analyze", SAMPLE, "-q", model_dir=link), "broken link")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_cache_is_a_read_only_empty_directory(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert_model_error(stance("analyze", SAMPLE, "-q", model_dir=ro), "not writable")
    finally:
        ro.chmod(0o755)
