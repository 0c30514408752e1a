"""Model provisioning: downloads against a local HTTP server, builds, verification."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from stance import models
from stance.errors import ModelError
from stance.models import ModelSpec


def _fake_task_bytes() -> bytes:
    """A zip with the right member names and garbage inside."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in models.TASK_MEMBERS:
            z.writestr(name, b"not really a model " + name.encode())
    return buf.getvalue()


@pytest.fixture(scope="module")
def real_task() -> bytes:
    """The bytes of a real PoseLandmarker bundle (the provisioned default model)."""
    return models.ensure_model().read_bytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    """A throw-away HTTP server on 127.0.0.1; set routes on `_Handler.routes`."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        _Handler.routes = {}


def _official(url: str, sha: str | None) -> ModelSpec:
    return ModelSpec(
        name="test_official",
        kind="official",
        description="",
        filename="test.task",
        url=url,
        sha256=sha,
    )


def test_download_verifies_checksum_and_pins(server: str, tmp_path: Path, real_task: bytes) -> None:
    body = real_task
    _Handler.routes = {"/m.task": body}
    sha = hashlib.sha256(body).hexdigest()
    path = models.fetch(_official(server + "/m.task", sha), directory=tmp_path)
    assert path.read_bytes() == body
    assert models.status(_official(server + "/m.task", sha), tmp_path).verified
    # Unpinned specs are pinned on first download and checked against the pin later.
    spec = _official(server + "/m.task", None)
    assert models.status(spec, tmp_path).verified  # lock.json recorded the digest
    path.write_bytes(body + b"tampered")
    assert not models.status(spec, tmp_path).verified


def test_checksum_mismatch_leaves_nothing(server: str, tmp_path: Path) -> None:
    _Handler.routes = {"/m.task": _fake_task_bytes()}
    with pytest.raises(ModelError, match="Checksum mismatch"):
        models.fetch(_official(server + "/m.task", "0" * 64), directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_http_error_leaves_nothing_and_says_what(server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="HTTP 404"):
        models.fetch(_official(server + "/missing.task", None), directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_host_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot reach"):
        models.download("http://127.0.0.1:9/m.task", tmp_path / "m.task", sha256=None, timeout_s=2)
    assert list(tmp_path.iterdir()) == []


def test_download_that_is_not_a_task_bundle_is_rejected(server: str, tmp_path: Path) -> None:
    _Handler.routes = {"/m.task": b"<html>captive portal</html>"}
    with pytest.raises(ModelError, match="not a PoseLandmarker"):
        models.fetch(_official(server + "/m.task", None), directory=tmp_path)
    assert not (tmp_path / "test.task").exists()


def test_find_wheel_url_reads_html_and_json_indexes(server: str) -> None:
    sha = "ab" * 32
    html = f'<a href="/files/mediapipe-0.10.21-x.whl#sha256={sha}">w</a>'.encode()
    json_page = (
        b'{"files": [{"filename": "mediapipe-0.10.21-x.whl", "url": "/files/w.whl",'
        b' "hashes": {"sha256": "' + sha.encode() + b'"}}]}'
    )
    _Handler.routes = {"/html/mediapipe/": html, "/json/mediapipe/": json_page}
    url, got = models.find_wheel_url(
        "mediapipe", "mediapipe-0.10.21-x.whl", index_url=server + "/html"
    )
    assert url == server + "/files/mediapipe-0.10.21-x.whl" and got == sha
    url, got = models.find_wheel_url(
        "mediapipe", "mediapipe-0.10.21-x.whl", index_url=server + "/json"
    )
    assert url == server + "/files/w.whl" and got == sha
    with pytest.raises(ModelError, match="does not list"):
        models.find_wheel_url("mediapipe", "other.whl", index_url=server + "/html")


def test_built_model_rejects_a_wheel_with_wrong_checksum(server: str, tmp_path: Path) -> None:
    _, specs = models.load_manifest()
    spec = specs["built_full"]
    assert spec.wheel is not None
    fname = spec.wheel["filename"]
    _Handler.routes = {
        "/simple/mediapipe/": f'<a href="/w/{fname}">w</a>'.encode(),
        f"/w/{fname}": b"a fake wheel",
    }
    with pytest.raises(ModelError, match="Checksum mismatch"):
        models.fetch(spec, directory=tmp_path, index_url=server + "/simple")
    assert list(tmp_path.iterdir()) == []


def test_explicit_task_path_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.task"
    bad.write_text("hello")
    with pytest.raises(ModelError, match="not a PoseLandmarker"):
        models.ensure_model(bad)
    with pytest.raises(ModelError, match="does not exist"):
        models.ensure_model(tmp_path / "missing.task")
    with pytest.raises(ModelError, match="Unknown model"):
        models.ensure_model("no_such_model", directory=tmp_path)


def test_default_model_is_provisioned_and_verified() -> None:
    """The real provisioning path (cached after the first run): a verified .task bundle."""
    path = models.ensure_model()
    models.check_task_file(path)
    _, specs = models.load_manifest()
    spec = next(s for s in specs.values() if s.filename == path.name)
    assert models.status(spec).verified


# --------------------------------------------------------------------------- cache errors


def test_cache_that_is_a_file_or_under_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    spec = _official("http://127.0.0.1:9/m.task", None)  # never reached
    for directory, words in ((afile, "is a file"), (afile / "sub", "cannot be created")):
        assert words in str(models.cache_problem(directory))
        for call in (
            lambda d=directory: models.check_cache(d),
            lambda d=directory: models.ensure_model(directory=d),
            lambda d=directory: models.fetch(spec, directory=d),
        ):
            with pytest.raises(ModelError, match=words):
                call()
    assert afile.read_text() == "x"


def test_cache_that_is_a_broken_link(tmp_path: Path) -> None:
    link = tmp_path / "cache"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(ModelError, match="broken link"):
        models.ensure_model(directory=link)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_empty_cache(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ModelError, match="not writable"):
            models.ensure_model(directory=ro)
    finally:
        ro.chmod(0o755)


def test_what_is_in_the_way_inside_the_cache(server: str, tmp_path: Path, real_task: bytes) -> None:
    _Handler.routes = {"/m.task": real_task}
    spec = _official(server + "/m.task", None)
    (tmp_path / spec.filename).mkdir()  # a directory where the model goes
    with pytest.raises(ModelError, match="in the way"):
        models.fetch(spec, directory=tmp_path)
    (tmp_path / spec.filename).rmdir()
    (tmp_path / "lock.json").mkdir()  # the pin cannot be written: nothing is kept
    with pytest.raises(ModelError, match=r"Cannot write .*lock\.json"):
        models.fetch(spec, directory=tmp_path)
    assert not (tmp_path / spec.filename).exists()


def test_malformed_lock_pins_nothing(server: str, tmp_path: Path, real_task: bytes) -> None:
    _Handler.routes = {"/m.task": real_task}
    spec = _official(server + "/m.task", None)
    for text in ("[1, 2]", "{not json", "\xff\xfe"):
        (tmp_path / "lock.json").write_bytes(text.encode("latin-1"))
        (tmp_path / spec.filename).write_bytes(real_task)
        assert models.status(spec, tmp_path).detail == "present but has no checksum pin"
    (tmp_path / spec.filename).unlink()
    assert models.fetch(spec, directory=tmp_path).read_bytes() == real_task
    assert models.status(spec, tmp_path).verified
