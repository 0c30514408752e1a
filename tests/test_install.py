"""The package works installed as a tool, outside a checkout: the wheel carries its data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel built from this checkout installed."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (the README's set-up installs it)")
    work = tmp_path_factory.mktemp("install")
    dist = work / "dist"
    subprocess.run([uv, "build", "--wheel", "--out-dir", str(dist)], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    (wheel,) = dist.glob("stance-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "stance/data/model_manifest.json" in names
    assert "stance/data/sample_videos/sample_right_weak.mp4" in names
    for name in ("analysis", "batch_summary", "batch_failure", "history"):
        assert f"stance/schemas/{name}.schema.json" in names  # stance.schemas.load reads them
    venv = work / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, str(venv)], check=True,
                   capture_output=True)  # fmt: skip
    python = venv / "bin" / "python"
    res = subprocess.run([uv, "pip", "install", "--python", str(python), str(wheel)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    return venv


def _run(
    venv: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "stance"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip


def test_installed_tool_analyses_the_bundled_sample(installed: Path, tmp_path: Path) -> None:
    from stance.io.models import ensure_model

    model = ensure_model()  # the checkout's cached model: no second download in the test
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {**os.environ, "HOME": str(tmp_path / "home"), "STANCE_MODEL_DIR": str(model.parent),
           "STANCE_HOME": str(tmp_path / "history")}  # fmt: skip
    res = _run(installed, "analyze", "-q", cwd=empty, env=env)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert "RIGHT gluteus medius looks weak" in res.stdout
    res = _run(installed, "models", "list", cwd=empty, env=env)
    assert res.returncode == 0 and "pose_landmarker" in res.stdout, res.stderr
    code = "from stance import schemas; print(*(schemas.load(n)['$id'] for n in schemas.NAMES))"
    res = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=empty, env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert res.returncode == 0 and "urn:stance:schema:analysis" in res.stdout, res.stderr
    assert list(empty.iterdir()) == []  # nothing written where it was run


def test_installed_cache_is_the_users_cache_folder(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("STANCE_MODEL_DIR", "XDG_CACHE_HOME")}
    env["HOME"] = str(tmp_path)
    code = "from stance.io.models import cache_dir; " \
           "from stance.io.resources import checkout_root; " \
           "print(cache_dir()); print(checkout_root())"  # fmt: skip
    res = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    cache, root = res.stdout.split()
    assert Path(cache) == tmp_path / ".cache" / "stance" / "models"
    assert root == "None"
