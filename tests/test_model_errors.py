"""Model problems as a user meets them on the command line: exit 4, one line that says what
to do, never a traceback (an unusable cache, a bundle that is not one, a directory)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import SAMPLE
from stance.io import models as models
from stance.io import task_bundle

NATIVE_MARKS = ("W0000", "E0000", "I0000", "Stack trace", "INFO: ", "WARNING: ", "ERROR: ")


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
    what to do, and none of the native libraries' log lines."""
    assert res.returncode == 4, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr + res.stdout
    text = " ".join(res.stderr.split())
    for w in words:
        assert w in text, res.stderr
    assert any(hint in text for hint in ("STANCE_MODEL_DIR", "--model", "stance models")), text
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("Error: ") and len(lines) <= 3, res.stderr
    assert not any(m in res.stderr for m in NATIVE_MARKS), res.stderr


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """garbage.task (right member names, garbage inside), swapped.task (the real models
    under each other's name: parses and loads, fails on the first frame), adir/."""
    d = tmp_path_factory.mktemp("bundles")
    with zipfile.ZipFile(io.BytesIO(models.ensure_model().read_bytes())) as z:
        det, lmk = (z.read(n) for n in task_bundle.TASK_MEMBERS)
    out = {}
    for name, members in (
        ("garbage", {n: b"not really a model " + n.encode() for n in task_bundle.TASK_MEMBERS}),
        ("swapped", {"pose_detector.tflite": lmk, "pose_landmarks_detector.tflite": det}),
    ):
        out[name] = d / f"{name}.task"
        with zipfile.ZipFile(out[name], "w") as z:
            for member, data in members.items():
                z.writestr(member, data)
    out["adir"] = d / "adir"
    out["adir"].mkdir()
    return out


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


def test_garbage_bundle_with_the_right_member_names(bundles: dict[str, Path]) -> None:
    words = ("garbage.task", "pose_detector.tflite is not a TFLite model")
    assert_model_error(stance("models", "verify", bundles["garbage"]), *words)
    assert_model_error(stance("analyze", SAMPLE, "-q", "--model", bundles["garbage"]), *words)


def test_bundle_mediapipe_cannot_run(bundles: dict[str, Path]) -> None:
    """Loads, fails on the first frame: verify runs it once; analyze stops with exit 4 and
    our line only (MediaPipe's own error lines and stack trace are not shown)."""
    res = stance("models", "verify", bundles["swapped"])
    assert_model_error(res, "MediaPipe cannot use", "swapped.task")
    res = stance("analyze", SAMPLE, "-q", "--model", bundles["swapped"])
    assert_model_error(res, "failed running the pose model", "swapped.task")


def test_model_option_names_a_directory(bundles: dict[str, Path]) -> None:
    for args in (("models", "verify"), ("analyze", SAMPLE, "-q", "--model")):
        res = stance(*args, bundles["adir"])
        assert_model_error(res, "adir is a directory")
        assert "does not exist" not in res.stderr


def test_verify_names_a_damaged_cached_model(tmp_path: Path) -> None:
    """A cached model whose bytes changed: listed as FAILED, then exit 4 with what to do."""
    real = models.ensure_model()
    damaged = bytearray(real.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / real.name).write_bytes(bytes(damaged))
    res = stance("models", "verify", model_dir=tmp_path)
    assert "FAILED" in res.stdout, res.stdout
    assert_model_error(res, "1 cached model fails", "fetch --force")
