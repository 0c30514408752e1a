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

from stance.core.errors import ModelError
from stance.io import model_build, task_bundle
from stance.io import models as models
from stance.io.models import ModelSpec


def _fake_task_bytes() -> bytes:
    """A zip with the right member names and garbage inside."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in task_bundle.TASK_MEMBERS:
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
    url, got = model_build.find_wheel_url(
        "mediapipe", "mediapipe-0.10.21-x.whl", index_url=server + "/html"
    )
    assert url == server + "/files/mediapipe-0.10.21-x.whl" and got == sha
    url, got = model_build.find_wheel_url(
        "mediapipe", "mediapipe-0.10.21-x.whl", index_url=server + "/json"
    )
    assert url == server + "/files/w.whl" and got == sha
    with pytest.raises(ModelError, match="does not list"):
        model_build.find_wheel_url("mediapipe", "other.whl", index_url=server + "/html")


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


# --------------------------------------------------------------------------- bundle check


def _tflite(*, version: int = 3, subgraphs: int = 1, identifier: bool = True) -> bytes:
    """A minimal TFLite model flatbuffer written with the flatbuffers library and the TFLite
    schema bundled with mediapipe (independent of stance's reader)."""
    import flatbuffers
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    b = flatbuffers.Builder(0)
    subs = []
    for _ in range(subgraphs):
        tfl.SubGraphStart(b)
        subs.append(tfl.SubGraphEnd(b))
    tfl.ModelStartSubgraphsVector(b, len(subs))
    for sub in reversed(subs):
        b.PrependUOffsetTRelative(sub)
    sub_vec = b.EndVector()
    data = b.CreateByteVector(bytes(range(64)))
    tfl.BufferStart(b)
    tfl.BufferAddData(b, data)
    buf = tfl.BufferEnd(b)
    tfl.ModelStartBuffersVector(b, 1)
    b.PrependUOffsetTRelative(buf)
    buf_vec = b.EndVector()
    tfl.ModelStart(b)
    tfl.ModelAddVersion(b, version)
    tfl.ModelAddSubgraphs(b, sub_vec)
    tfl.ModelAddBuffers(b, buf_vec)
    b.Finish(tfl.ModelEnd(b), file_identifier=b"TFL3" if identifier else None)
    return bytes(b.Output())


def _bundle(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_tflite_reader_accepts_models_and_names_what_is_wrong(real_task: bytes) -> None:
    assert task_bundle.tflite_problem(_tflite()) is None
    assert "schema version 2" in str(task_bundle.tflite_problem(_tflite(version=2)))
    assert "no subgraphs" in str(task_bundle.tflite_problem(_tflite(subgraphs=0)))
    assert "identifier" in str(task_bundle.tflite_problem(_tflite(identifier=False)))
    assert "identifier" in str(task_bundle.tflite_problem(b"not really a model at all"))
    assert "too short" in str(task_bundle.tflite_problem(b"\x1c\x00"))
    with zipfile.ZipFile(io.BytesIO(real_task)) as z:
        for name in task_bundle.TASK_MEMBERS:
            model = z.read(name)
            assert task_bundle.tflite_problem(model) is None
            # The header alone, zeros after it, and every truncation (the weights sit at
            # the end) are refused.
            assert task_bundle.tflite_problem(model[:8] + bytes(200)) is not None
            for keep in (0.5, 0.9, 0.999):
                assert task_bundle.tflite_problem(model[: int(len(model) * keep)]) is not None, keep


def test_garbage_with_the_right_member_names_is_not_a_bundle(tmp_path: Path) -> None:
    fake = {n: b"not really a model " + n.encode() for n in task_bundle.TASK_MEMBERS}
    bad = _bundle(tmp_path / "bad.task", fake)
    with pytest.raises(ModelError, match=r"pose_detector\.tflite is not a TFLite model"):
        models.check_task_file(bad)
    with pytest.raises(ModelError, match="not a TFLite model"):
        models.ensure_model(bad)


def test_bundle_that_parses_but_mediapipe_cannot_use(tmp_path: Path, real_task: bytes) -> None:
    """Sound flatbuffers MediaPipe will not run: a minimal model, and the two real models
    swapped (it loads, then fails on the first frame). Only the load check catches them."""
    minimal = _bundle(tmp_path / "minimal.task", {n: _tflite() for n in task_bundle.TASK_MEMBERS})
    models.check_task_file(minimal)  # the structure is fine
    with pytest.raises(ModelError, match="MediaPipe cannot use"):
        models.check_task_file(minimal, load=True)
    with zipfile.ZipFile(io.BytesIO(real_task)) as z:
        det, lmk = (z.read(n) for n in task_bundle.TASK_MEMBERS)
    swapped = _bundle(
        tmp_path / "swapped.task",
        {"pose_detector.tflite": lmk, "pose_landmarks_detector.tflite": det},
    )
    models.check_task_file(swapped)
    with pytest.raises(ModelError, match="MediaPipe cannot use"):
        models.check_task_file(swapped, load=True)
    good = tmp_path / "good.task"
    good.write_bytes(real_task)
    models.check_task_file(good, load=True)


def test_pose_estimator_turns_mediapipe_failures_into_model_errors(
    tmp_path: Path, real_task: bytes
) -> None:
    import numpy as np

    from stance.vision.landmarker import PoseEstimator

    minimal = _bundle(tmp_path / "minimal.task", {n: _tflite() for n in task_bundle.TASK_MEMBERS})
    with pytest.raises(ModelError, match=r"cannot load the pose model .*minimal\.task"):
        PoseEstimator(minimal)
    with zipfile.ZipFile(io.BytesIO(real_task)) as z:
        det, lmk = (z.read(n) for n in task_bundle.TASK_MEMBERS)
    swapped = _bundle(
        tmp_path / "swapped.task",
        {"pose_detector.tflite": lmk, "pose_landmarks_detector.tflite": det},
    )
    with (
        pytest.raises(ModelError, match=r"failed running the pose model .*swapped\.task"),
        PoseEstimator(swapped) as est,
    ):
        est.detect(np.zeros((256, 256, 3), np.uint8), 0.0)


def test_a_directory_is_not_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "models_here").mkdir()
    with pytest.raises(ModelError, match="is a directory"):
        models.check_task_file(tmp_path / "models_here")
    with pytest.raises(ModelError, match="is a directory"):
        models.ensure_model(tmp_path / "models_here")
    monkeypatch.chdir(tmp_path)  # a bare name that is a directory here is a path, too
    with pytest.raises(ModelError, match="is a directory"):
        models.ensure_model("models_here")


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
