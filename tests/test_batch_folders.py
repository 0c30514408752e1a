"""What a batch takes from its folders and what it leaves in its output folder (issue 22,
items 8, 10, 12, 13): hidden files skipped, unreadable folders said, one batch per --out,
and no absolute local path in anything meant to be shared."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE
from stance.batch.discover import discover
from stance.core.errors import BadInputError
from stance.core.lock import LOCK_NAME, FolderBusyError, folder_lock
from stance.history.store import HistoryStore
from stance.io.recording import file_sha256
from test_batch import FAST, _summary, batch
from test_cli import _assert_clean_failure, stance

APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 200


def _model() -> Path:
    from stance.io.models import ensure_model

    return ensure_model(None)


@pytest.mark.forged_json  # the clip results are checked here by hand
def test_a_shared_batch_folder_holds_no_local_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items 8 and 10: a Mac-copied folder (AppleDouble files, a hidden folder), a bad clip
    and --html: every file of the output names clips relative to the folder given and the
    model by its name; no absolute path of the input or the model."""
    src = tmp_path / "Patients" / "Jane Doe"
    (src / "visit1").mkdir(parents=True)
    (src / ".Trashes").mkdir()
    shutil.copy(SAMPLE, src / "visit1" / "IMG_1.MOV")
    (src / "visit1" / "._IMG_1.MOV").write_bytes(APPLE_DOUBLE)
    (src / "._bad.mp4").write_bytes(APPLE_DOUBLE)
    (src / ".Trashes" / "old.mp4").write_text("not a video\n" * 20)
    (src / "bad.mp4").write_text("this is not a video\n" * 20)
    model = _model()
    out = tmp_path / "out"
    res = batch(src, "--out", out, "--html", *FAST)
    assert res.returncode == 2, res.stderr  # bad.mp4 only
    assert "Traceback" not in res.stderr
    rows = {r["file"]: r for r in _summary(out)["clips"]}
    assert set(rows) == {"visit1/IMG_1.MOV", "bad.mp4"}  # no AppleDouble, no hidden folder
    assert rows["visit1/IMG_1.MOV"]["status"] == "ok"
    assert rows["bad.mp4"]["error"].startswith("bad.mp4")
    assert rows["visit1/IMG_1.MOV"]["result"].startswith("clips/")
    result = json.loads((out / rows["visit1/IMG_1.MOV"]["result"]).read_text())
    assert result["input"]["path"] == "visit1/IMG_1.MOV"
    assert result["model"]["path"] == model.name
    private = [str(tmp_path), str(tmp_path.resolve()), str(model.parent), str(model.resolve())]
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"summary.csv", "summary.json", "index.html"}
    for p in written:
        text = p.read_bytes().decode("utf-8", "replace")
        for local in private:
            assert local not in text, (p.name, local)
    assert not any(p.name.startswith("._") for p in (out / "clips").iterdir())
    # the folder still imports into a history with each clip's content, the clip not at
    # hand; another clip at the same relative path from where the import runs is not taken
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    other = tmp_path / "elsewhere"
    (other / "visit1").mkdir(parents=True)
    (other / "visit1" / "IMG_1.MOV").write_bytes(SAMPLE.read_bytes() + b"another clip")
    res = stance("history", "--import", out, "--person", "Jane", cwd=other)
    assert res.returncode == 0 and "Imported 1 test(s)" in res.stdout, res.stderr
    with HistoryStore() as store:
        (test,) = store.tests("Jane")
    assert test.content_sha256 == file_sha256(SAMPLE) == result["input"]["sha256"]


def test_a_model_path_is_recorded_by_its_name() -> None:
    from stance.pipeline import Settings
    from stance.report.document import settings_dict

    assert settings_dict(Settings(model="/home/jane/models/a.task"))["model"] == "a.task"
    assert settings_dict(Settings(model="pose_landmarker_full"))["model"] == "pose_landmarker_full"
    assert settings_dict(Settings())["model"] is None


def test_hidden_files_are_taken_only_when_named(tmp_path: Path) -> None:
    (tmp_path / ".hidden").mkdir()
    shutil.copy(SAMPLE, tmp_path / ".hidden" / "a.mp4")
    shutil.copy(SAMPLE, tmp_path / ".b.mp4")
    (tmp_path / "._c.mov").write_bytes(APPLE_DOUBLE)
    shutil.copy(SAMPLE, tmp_path / "d.mp4")
    assert [i.name for i in discover([tmp_path]).inputs] == ["d.mp4"]
    named = discover([tmp_path / "._c.mov", tmp_path / ".hidden"]).inputs
    assert [(i.name, i.explicit) for i in named] == [("._c.mov", True), ("a.mp4", False)]


def _unlistable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """os.scandir of ``folder`` fails as an unreadable folder does for a user (the suite
    runs as root, which chmod 000 does not stop)."""
    real = os.scandir

    def scandir(path: os.PathLike[str] | str = ".") -> object:
        if Path(path).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_folders_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 13: the walker reports the folder it could not list; with nothing else found
    the error says so."""
    from stance.batch.runner import run_batch
    from stance.pipeline import Settings

    (tmp_path / "in" / "locked").mkdir(parents=True)
    shutil.copy(SAMPLE, tmp_path / "in" / "locked" / "a.mp4")
    (tmp_path / "in" / "open").mkdir()
    shutil.copy(SAMPLE, tmp_path / "in" / "open" / "b.mp4")
    _unlistable(monkeypatch, tmp_path / "in" / "locked")
    found = discover([tmp_path / "in"])
    assert [i.name for i in found.inputs] == ["open/b.mp4"]
    assert found.unreadable == [tmp_path / "in" / "locked"]
    with pytest.raises(BadInputError, match=r"No video files found .*1 folder\(s\) could not be"):
        run_batch([tmp_path / "in" / "locked"], tmp_path / "out", settings=Settings())
    assert not (tmp_path / "out" / "summary.csv").exists()


_UNLISTABLE_CLI = """
import os, sys
from pathlib import Path
locked, real = Path(sys.argv.pop(1)).resolve(), os.scandir
def scandir(path="."):
    if Path(path).resolve() == locked:
        raise PermissionError(13, "Permission denied", str(path))
    return real(path)
os.scandir = scandir
from stance.cli.main import app
app(prog_name="stance")
"""


def test_unreadable_folder_warning_through_the_cli(tmp_path: Path) -> None:
    """Item 13 as the command line says it: the batch runs the clips it could read, then
    one warning line names the folder it could not (simulated: the suite runs as root)."""
    locked = tmp_path / "in" / "locked"
    locked.mkdir(parents=True)
    shutil.copy(SAMPLE, locked / "a.mp4")
    (tmp_path / "in" / "notes.mp4").write_text("not a video\n" * 20)  # an error row, fast
    res = subprocess.run(
        [sys.executable, "-c", _UNLISTABLE_CLI, str(locked), "batch", str(tmp_path / "in"),
         "--out", str(tmp_path / "out"), "-q"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    one_line = res.stderr.replace("\n", "")
    assert f"Warning: 1 folder(s) could not be read: {locked}; the clips in them" in one_line
    assert [r["file"] for r in _summary(tmp_path / "out")["clips"]] == ["notes.mp4"]
    res = subprocess.run(
        [sys.executable, "-c", _UNLISTABLE_CLI, str(locked), "batch", str(locked),
         "--out", str(tmp_path / "out2")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    _assert_clean_failure(res, 2, "No video files found")
    assert f"1 folder(s) could not be read: {locked}" in res.stderr.replace("\n", "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder")
def test_unreadable_folder_warning_as_a_user_sees_it(tmp_path: Path) -> None:
    locked = tmp_path / "in" / "locked"
    locked.mkdir(parents=True)
    shutil.copy(SAMPLE, locked / "a.mp4")
    locked.chmod(0)
    try:
        res = batch(tmp_path / "in", "--out", tmp_path / "out")
        _assert_clean_failure(res, 2, "1 folder(s) could not be read")
        assert str(locked) in res.stderr.replace("\n", "")
    finally:
        locked.chmod(0o755)


def test_a_second_batch_on_one_out_stops_at_once(tmp_path: Path) -> None:
    """Item 12: while one batch holds --out, another stops with one line and exit 2,
    writing nothing there."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    shutil.copy(SAMPLE, src / "a.mp4")
    out.mkdir()
    with folder_lock(out, what="test"):
        res = batch(src, "--out", out, *FAST)
    _assert_clean_failure(res, 2, f"--out {out} is in use by another stance batch")
    assert f"(process {os.getpid()})" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["clips"]  # the holder's lock file gone
    assert not list((out / "clips").iterdir())


def test_the_lock_is_released_when_its_holder_dies(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path; from stance.core.lock import folder_lock\n"
        "with folder_lock(Path(sys.argv[1]), what='x'):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(FolderBusyError, match=f"process {holder.pid}"),
            folder_lock(tmp_path, what="x"),
        ):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with folder_lock(tmp_path, what="x") as lock:  # stale file, no stale lock
        assert lock.read_text().strip() == str(os.getpid())


def test_the_lock_file_is_gone_after_a_normal_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished batch leaves no hidden file in a folder meant to be shared; a lock taken
    just as the holder deleted its file is taken again on the new file."""
    with folder_lock(tmp_path, what="x") as lock:
        assert lock.exists()
    assert not (tmp_path / LOCK_NAME).exists()

    path = tmp_path / LOCK_NAME
    real_open = os.open
    calls: list[object] = []

    def open_then_lose_it(p: object, flags: int, mode: int = 0o777) -> int:
        fd = real_open(p, flags, mode)  # type: ignore[arg-type]
        if not calls:  # the first file is deleted (by its holder) just after we open it
            os.unlink(p)  # type: ignore[arg-type]
        calls.append(p)
        return fd

    monkeypatch.setattr(os, "open", open_then_lose_it)
    with folder_lock(tmp_path, what="x"):
        assert path.exists() and len(calls) == 2
    monkeypatch.undo()
    assert not path.exists()
