"""Pose model provisioning: find, download, build and verify PoseLandmarker `.task` bundles.

Two ways to get a model, both recorded in ``models/manifest.json``:

* ``official``: Google's ``.task`` bundle, downloaded by URL. Where the manifest pins a
  SHA-256 it is enforced; where it does not, the first verified download is pinned in the
  cache's ``lock.json`` and every later use is checked against that pin.
* ``built``: made offline from the BlazePose ``.tflite`` files inside the mediapipe 0.10.21
  wheel on the package index: the wheel is fetched through the index's simple API,
  checked against its SHA-256, the two models are read out of it (checked too), given
  image-input metadata and zipped as a ``.task`` bundle that current mediapipe loads.

Every download goes to a temporary file beside its target and is renamed only after it
verified, so a failure leaves nothing behind.

This module is the cache and the public calls (`status`, `fetch`, `ensure_model`); getting
the bytes is `stance.io.model_build`, checking a bundle `stance.io.task_bundle`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.core.atomic import atomic_path
from stance.core.errors import ModelError
from stance.io.model_build import (
    DEFAULT_INDEX_URL,
    ProgressFn,
    build_from_index,
    download_verified,
)
from stance.io.recording import file_sha256
from stance.io.resources import checkout_models, manifest_file
from stance.io.task_bundle import check_task_file, task_file_problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the manifest."""

    name: str
    kind: str  # "official" | "built"
    description: str
    filename: str
    url: str | None = None
    sha256: str | None = None
    wheel: dict[str, str] | None = None
    members: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class ModelStatus:
    """What ``stance models list`` shows for one model."""

    spec: ModelSpec
    path: Path
    present: bool
    verified: bool
    detail: str


# --------------------------------------------------------------------------- manifest


def manifest_path() -> Path:
    """The manifest: the repository's ``models/manifest.json``, else the packaged copy."""
    return manifest_file()


def load_manifest(path: Path | None = None) -> tuple[str, dict[str, ModelSpec]]:
    """Read the manifest: (default model name, specs by name)."""
    path = path or manifest_path()
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelError(f"Cannot read the model manifest {path}: {err}") from err
    specs = {
        m["name"]: ModelSpec(
            name=m["name"],
            kind=m["kind"],
            description=m.get("description", ""),
            filename=m["filename"],
            url=m.get("url"),
            sha256=m.get("sha256"),
            wheel=m.get("wheel"),
            members=m.get("members"),
        )
        for m in raw["models"]
    }
    return raw.get("default", next(iter(specs))), specs


def cache_dir() -> Path:
    """Where models are kept: ``$STANCE_MODEL_DIR``, else ``models/cache`` of a (writable)
    checkout, else the user's cache folder (``~/.cache/stance/models`` on Linux,
    ``~/Library/Caches/stance/models`` on macOS, ``%LOCALAPPDATA%\\stance\\Cache\\models``
    on Windows)."""
    env = os.environ.get("STANCE_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    repo = checkout_models()
    if repo is not None and os.access(repo, os.W_OK):
        return repo / "cache"
    from platformdirs import user_cache_path

    return user_cache_path("stance", appauthor=False) / "models"


def _lock_path(directory: Path) -> Path:
    return directory / "lock.json"


def _read_lock(directory: Path) -> dict[str, str]:
    """The checksum pins; an unreadable or malformed ``lock.json`` pins nothing."""
    try:
        data = json.loads(_lock_path(directory).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def _pin(directory: Path, filename: str, sha256: str) -> None:
    lock = _read_lock(directory)
    lock[filename] = sha256
    _write(_lock_path(directory), (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode())


def _write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically; an OS error becomes a ModelError."""
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    except OSError as err:
        raise ModelError(f"Cannot write {target} ({err.strerror or err}): {_CACHE_HINT}") from err


_CACHE_HINT = "set STANCE_MODEL_DIR to a writable directory, or pass --model PATH to a .task file."


def cache_problem(directory: Path) -> str | None:
    """Why the model cache ``directory`` cannot be read, as words that follow its path
    ("is a file, not a directory"); None when it can be read, or when it does not exist
    yet and nothing stops it from being created."""
    if directory.is_symlink() and not directory.exists():
        return "is a broken link"
    if directory.exists():
        if not directory.is_dir():
            return "is a file, not a directory"
        if not os.access(directory, os.R_OK | os.X_OK):
            return "cannot be read (permission denied)"
        return None
    for parent in directory.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"cannot be created: {parent} is a file"
            break
    return None


def check_cache(directory: Path | None = None) -> Path:
    """The cache directory, if it can be read (it need not exist yet).

    Raises:
        ModelError: it is a file, lies under a file, is a broken link or cannot be read.
    """
    directory = directory or cache_dir()
    problem = cache_problem(directory)
    if problem is not None:
        raise ModelError(f"The model cache {directory} {problem}: {_CACHE_HINT}")
    return directory


def prepare_cache(directory: Path | None = None) -> Path:
    """The cache directory, created if needed, once a file could be written in it.

    Raises:
        ModelError: as `check_cache`, or it cannot be created or written (read-only,
            permission denied, disk full).
    """
    directory = check_cache(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ModelError(
            f"The model cache {directory} is not writable ({err.strerror or err}): {_CACHE_HINT}"
        ) from err
    return directory


# --------------------------------------------------------------------------- download


def download(
    url: str,
    target: Path,
    *,
    sha256: str | None,
    timeout_s: float = 60.0,
    progress: ProgressFn | None = None,
) -> str:
    """Download ``url`` to ``target``, verifying ``sha256`` when given.

    Returns the SHA-256 of what was written. On any failure nothing is left at ``target``
    (nor beside it) and ModelError says what went wrong.
    """
    data = download_verified(url, sha256=sha256, timeout_s=timeout_s, progress=progress)
    _write(target, data)
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- public API


def status(spec: ModelSpec, directory: Path | None = None, *, load: bool = False) -> ModelStatus:
    """Is this model in the cache, and does it match its checksum or pin? With ``load``
    MediaPipe must also load it (see `task_file_problem`)."""
    directory = directory or cache_dir()
    path = directory / spec.filename
    if not path.exists() and not path.is_symlink():
        return ModelStatus(spec, path, False, False, "not downloaded")
    expected = spec.sha256 or _read_lock(directory).get(spec.filename)
    problem = task_file_problem(path)
    if problem is not None:
        return ModelStatus(spec, path, True, False, problem)
    digest = file_sha256(path)
    if expected is None:
        return ModelStatus(spec, path, True, False, "present but has no checksum pin")
    if digest != expected:
        return ModelStatus(spec, path, True, False, f"checksum mismatch (got {digest[:12]}...)")
    if load:
        problem = task_file_problem(path, load=True)
        if problem is not None:
            return ModelStatus(spec, path, True, False, problem)
    return ModelStatus(spec, path, True, True, f"sha256 {digest[:12]}... ok")


def fetch(
    spec: ModelSpec,
    *,
    directory: Path | None = None,
    index_url: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> Path:
    """Download (official) or build (built) one model into the cache and pin its checksum.

    Raises:
        ModelError: the cache cannot be used (`prepare_cache`) or something in its way, the
            download or build failed, or the result is not a bundle MediaPipe loads.
    """
    directory = check_cache(directory)
    current = status(spec, directory)
    if current.verified and not force:
        return current.path
    prepare_cache(directory)
    target = directory / spec.filename
    if target.is_dir() or (target.exists() and not target.is_file()):
        raise ModelError(
            f"Cannot save the model: {target} is in the way (not a regular file); "
            "remove it, or set STANCE_MODEL_DIR to another directory."
        )
    if spec.kind == "official":
        if not spec.url:
            raise ModelError(f"Manifest entry {spec.name} has no URL.")
        digest = download(spec.url, target, sha256=spec.sha256, progress=progress)
    elif spec.kind == "built":
        index = index_url or os.environ.get("UV_INDEX_URL") or DEFAULT_INDEX_URL
        bundle = build_from_index(spec, index_url=index, progress=progress)
        _write(target, bundle)
        digest = hashlib.sha256(bundle).hexdigest()
    else:
        raise ModelError(f"Unknown model kind {spec.kind!r} in the manifest.")
    problem = task_file_problem(target, load=True)
    if problem is not None:
        target.unlink(missing_ok=True)
        raise ModelError(f"The {spec.name} model was not saved: {problem}.")
    try:
        _pin(directory, spec.filename, digest)
    except ModelError:
        target.unlink(missing_ok=True)  # an unpinned copy would never verify
        raise
    log.info("model %s ready at %s", spec.name, target)
    return target


def _is_path(model: str | Path, names: dict[str, ModelSpec]) -> bool:
    text = str(model)
    if Path(text).suffix == ".task" or os.sep in text or (os.altsep and os.altsep in text):
        return True
    return text not in names and Path(text).expanduser().exists()


def ensure_model(
    model: str | Path | None = None,
    *,
    directory: Path | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """The path of a usable ``.task`` file, provisioning one on first use.

    ``model`` may be a path to any PoseLandmarker ``.task`` file, a manifest name, or None
    for the default: the first verified model in the cache, else the official model
    (downloaded), else the offline build.

    Raises:
        ModelError: the path is not a usable bundle, the name is unknown, the cache cannot
            be used (a file, under a file, not writable: one message saying so), or no model
            could be downloaded or built.
    """
    default, specs = load_manifest()
    if model is not None and _is_path(model, specs):
        path = Path(model).expanduser()
        check_task_file(path)
        return path
    directory = check_cache(directory)
    if model is not None:
        if str(model) not in specs:
            raise ModelError(
                f"Unknown model {model!r}. Choose one of: {', '.join(specs)}, or pass a .task path."
            )
        return fetch(specs[str(model)], directory=directory, progress=progress)
    order = [specs[default]] + [s for s in specs.values() if s.name != default]
    for spec in order:
        if status(spec, directory).verified:
            return directory / spec.filename
    prepare_cache(directory)  # one clear message, before any download
    errors = []
    for spec in (specs[default], *[s for s in specs.values() if s.kind == "built"]):
        try:
            return fetch(spec, directory=directory, progress=progress)
        except ModelError as err:
            log.info("could not provision %s: %s", spec.name, err)
            errors.append(f"{spec.name}: {err}")
    raise ModelError(
        "No pose model could be provisioned. "
        + " | ".join(errors)
        + " Connect to the internet once (package index or Google's model storage), "
        "or pass --model PATH to a PoseLandmarker .task file."
    )
