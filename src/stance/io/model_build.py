"""Getting a model's bytes: a verified download, or the offline build from the mediapipe wheel.

``built`` models are made from the BlazePose ``.tflite`` files inside the mediapipe 0.10.21
wheel on the package index: the wheel is fetched through the index's simple API, checked
against its SHA-256, the two models are read out of it (checked too), given image-input
metadata and zipped as a ``.task`` bundle that current mediapipe loads. Nothing here writes a
file: `stance.io.models` puts the bytes into the cache atomically and pins their checksum.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stance.core.errors import ModelError
from stance.vision.native import url_opener

if TYPE_CHECKING:
    from stance.io.models import ModelSpec

DEFAULT_INDEX_URL = "https://pypi.org/simple"

ProgressFn = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None) while downloading."""


def fetch_bytes(url: str, *, timeout_s: float, progress: ProgressFn | None = None) -> bytes:
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


def download_verified(
    url: str, *, sha256: str | None, timeout_s: float = 60.0, progress: ProgressFn | None = None
) -> bytes:
    """The bytes at ``url``, checked against ``sha256`` when given (ModelError otherwise)."""
    data = fetch_bytes(url, timeout_s=timeout_s, progress=progress)
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256.lower():
        raise ModelError(
            f"Checksum mismatch for {url}: expected SHA-256 {sha256}, got {digest}. "
            "Nothing was saved; the file may be corrupt or replaced upstream."
        )
    return data


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


def build_from_index(spec: ModelSpec, *, index_url: str, progress: ProgressFn | None) -> bytes:
    """The ``.task`` bundle of a ``built`` manifest entry: its wheel fetched from the index at
    ``index_url`` and checked, then `build_task_bundle`."""
    if not spec.wheel:
        raise ModelError(f"Manifest entry {spec.name} has no wheel to build from.")
    url, index_sha = find_wheel_url(
        spec.wheel["package"], spec.wheel["filename"], index_url=index_url
    )
    expected = spec.wheel["sha256"]
    if index_sha and index_sha != expected:
        raise ModelError(f"The index lists SHA-256 {index_sha} for {url}, expected {expected}.")
    wheel = fetch_bytes(url, timeout_s=300.0, progress=progress)
    digest = hashlib.sha256(wheel).hexdigest()
    if digest != expected:
        raise ModelError(f"Checksum mismatch for {url}: expected {expected}, got {digest}.")
    return build_task_bundle(wheel, spec)
