"""A full disk: outputs that will not fit are refused before anything is written, and a disk
that fills up while writing ends in one line with exit 5 (`NoSpaceError`), nothing
half-written and no temporary file left (issue 22, item 2)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from typer.testing import CliRunner

from conftest import SAMPLE
from stance.cli.main import app
from stance.core.atomic import SpaceNeed, space_problem
from stance.core.errors import NoSpaceError

runner = CliRunner()


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def _free(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    """Every disk reports ``free`` bytes free."""
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: _Usage(1 << 40, 1 << 40, free))


@pytest.fixture
def stub_analysis(monkeypatch: pytest.MonkeyPatch, analysed: Callable[..., Any]) -> None:
    """`stance analyze` takes the sample's analysis (computed once per session)."""
    result = analysed(SAMPLE)
    monkeypatch.setattr("stance.pipeline.analyze", lambda *_a, **_k: result)


def _one_clean_line(res: Any, words: str) -> None:
    assert res.exit_code == NoSpaceError.exit_code == 5, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    error = " ".join(res.output[res.output.index("Error:") :].split())
    assert words in error, res.output
    assert error.count("Error:") == 1


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_outputs_on_one_disk_are_added_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    needs = [SpaceNeed("--json", tmp_path / "r.json", 30_000)]
    needs.append(SpaceNeed("--html", tmp_path / "sub" / "r.html", 4_000_000))
    _free(monkeypatch, 5_000_000)
    assert space_problem(needs) is None
    _free(monkeypatch, 100 << 10)
    assert space_problem(needs[:1]) is None  # 100 KiB free: a JSON fits
    problem = space_problem(needs)
    assert problem is not None
    assert problem.startswith(f"Not enough free space in {tmp_path}: 102 KB free")
    assert "--json 30 KB, --html 4.0 MB" in problem


def test_a_full_disk_is_refused_before_the_analysis(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """100 KiB free, --json and --html asked: one line, exit 5, before any pose inference,
    and nothing written (the JSON was written, then a traceback)."""
    _free(monkeypatch, 100 << 10)

    def no_analysis(*_a: Any, **_k: Any) -> None:
        raise AssertionError("the analysis ran")

    monkeypatch.setattr("stance.pipeline.analyze", no_analysis)
    json_out, html_out = tmp_path / "r.json", tmp_path / "r.html"
    res = runner.invoke(
        app, ["analyze", str(SAMPLE), "--json", str(json_out), "--html", str(html_out)]
    )
    _one_clean_line(res, "Not enough free space in")
    assert "--html 4.2 MB" in res.output
    assert _left(tmp_path) == []


def test_the_annotated_video_is_estimated_from_frames_size_and_bitrate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The sample: 160 frames of 480x854 at 0.25 bits per pixel, about 2.1 MB."""
    _free(monkeypatch, 1 << 20)
    monkeypatch.setattr("stance.pipeline.analyze", lambda *_a, **_k: None)
    res = runner.invoke(app, ["analyze", str(SAMPLE), "--annotated", str(tmp_path / "a.mp4")])
    _one_clean_line(res, "--annotated 2.1 MB")
    assert _left(tmp_path) == []


@pytest.mark.usefixtures("stub_analysis")
def test_disk_full_while_writing_the_html_keeps_the_json_and_leaves_no_part(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The check passed, then the disk filled up half-way through the HTML page."""
    write_bytes = Path.write_bytes

    def filling(self: Path, data: Any) -> int:
        if ".r.html." in self.name:
            write_bytes(self, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", filling)
    json_out, html_out = tmp_path / "r.json", tmp_path / "r.html"
    res = runner.invoke(
        app, ["analyze", str(SAMPLE), "--json", str(json_out), "--html", str(html_out), "-q"]
    )
    _one_clean_line(res, f"{html_out}: the disk is full")
    assert _left(tmp_path) == ["r.json"]  # whole, written before; no hidden temporary file
    assert json.loads(json_out.read_text())["verdict"]["outcome"] == "right"


def _broken_encoder(after: int) -> Callable[..., Generator[None, Any, None]]:
    """A stand-in for imageio-ffmpeg's ``write_frames`` whose ffmpeg dies after ``after``
    frames (it creates its output first, as ffmpeg does): a broken pipe, wrapped as imageio
    wraps it."""

    def write_frames(path: str, *_a: Any, **_k: Any) -> Generator[None, Any, None]:
        Path(path).write_bytes(b"\0" * 1000)
        n = 0
        while True:
            frame = yield
            if frame is None:
                continue
            n += 1
            if n > after:
                try:
                    raise BrokenPipeError(errno.EPIPE, "Broken pipe")
                except BrokenPipeError as err:
                    raise OSError(f"{err}\n\nFFMPEG COMMAND: ...") from None

    return write_frames


@pytest.mark.usefixtures("stub_analysis")
@pytest.mark.parametrize(
    ("free", "code", "words"),
    [(0, 5, "the disk is full"), (1 << 40, 1, "the video encoder (ffmpeg) stopped")],
)
def test_the_video_encoder_stopping_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, free: int, code: int, words: str
) -> None:
    """ffmpeg's pipe breaks half-way (a BrokenPipeError traceback before): with the disk full
    it is the full disk, exit 5; otherwise the encoder stopped, exit 1; nothing left."""
    import imageio_ffmpeg

    monkeypatch.setattr("stance.cli.common.check_space", lambda _needs: None)
    _free(monkeypatch, free)
    monkeypatch.setattr(imageio_ffmpeg, "write_frames", _broken_encoder(after=5))
    out = tmp_path / "a.mp4"
    res = runner.invoke(app, ["analyze", str(SAMPLE), "--annotated", str(out), "-q"])
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    assert words in " ".join(res.output.split())
    assert _left(tmp_path) == []


# --------------------------------------------------------------------------- a real full disk


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256-KiB tmpfs, smaller than the sample's annotated video (0.6 MB); needs root and a
    system that lets it mount one (skipped otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.usefixtures("stub_analysis")
def test_a_real_disk_filling_up_during_the_annotated_video(
    monkeypatch: pytest.MonkeyPatch, tiny_disk: Path
) -> None:
    """The estimate let through (as a wrong estimate would): ffmpeg meets ENOSPC on a real
    256-KiB disk; one line, exit 5, the disk left empty (no partial, no hidden temp file)."""
    monkeypatch.setattr("stance.report.sizes.VIDEO_BITS_PER_PIXEL", 0.0)
    monkeypatch.setattr("stance.report.sizes.VIDEO_BASE", 0)
    out = tiny_disk / "a.mp4"
    res = runner.invoke(app, ["analyze", str(SAMPLE), "--annotated", str(out), "-q"])
    _one_clean_line(res, f"{out}: the disk is full")
    assert _left(tiny_disk) == []


def test_a_full_disk_no_command_caught_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The program's last guard (`stance.cli.entry`): ENOSPC from anywhere, exit 5."""
    from stance.cli import entry, signals

    target = tmp_path / "history.sqlite"

    def full(**_k: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(signals, "install", lambda: None)
    monkeypatch.setattr("stance.cli.main.app", full)
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 5
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith(f"Error: {target}: the disk is full") and "Traceback" not in err
