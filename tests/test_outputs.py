"""Output targets are checked before any work: nothing is overwritten that should not be, and
a target that cannot be written is one line and exit 2, never a traceback after the analysis.
Inputs that lead nowhere (loops, dangling links) and still images are named for what they are.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE
from stance.core.atomic import same_file, target_problem, write_atomic
from test_cli import _assert_clean_failure, stance


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A copy of the sample clip whose bytes a test can check afterwards."""
    path = tmp_path / "x.mp4"
    path.write_bytes(SAMPLE.read_bytes())
    return path


@pytest.mark.parametrize("option", ["--json", "--csv", "--html", "--annotated"])
def test_an_output_never_overwrites_the_input(clip: Path, option: str) -> None:
    before = clip.read_bytes()
    (clip.parent / "link.mp4").symlink_to(clip.name)
    os.link(clip, clip.parent / "hard.mp4")
    for target in (clip, clip.parent / "link.mp4", clip.parent / "hard.mp4"):
        res = stance("analyze", clip, option, target, "-q")
        _assert_clean_failure(res, 2, "is the video being analysed")
    assert clip.read_bytes() == before


def test_two_outputs_cannot_share_a_file(clip: Path) -> None:
    out = clip.parent / "out.json"
    res = stance("analyze", clip, "--json", out, "--csv", out, "-q")
    _assert_clean_failure(res, 2, "both write to")
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "afile" / "r.json", "is a file, not a folder"),
        (lambda d: Path("/dev/null"), "not a regular file"),
        (lambda d: d / "loop", "loop"),
        (lambda d: d / ("a" * 251 + ".json"), "bytes long"),
        (lambda d: d, "is a directory"),
    ],
    ids=["folder-is-a-file", "device", "link-loop", "name-too-long", "directory"],
)
def test_unusable_targets_fail_before_the_analysis(clip: Path, make, words: str) -> None:
    d = clip.parent
    (d / "afile").write_text("x")
    (d / "loop").symlink_to("loop")
    res = stance("analyze", clip, "--json", make(d), "-q")
    _assert_clean_failure(res, 2, words)
    assert "Analysing" not in res.stdout + res.stderr
    assert sorted(p.name for p in d.iterdir()) == ["afile", "loop", "x.mp4"]  # nothing written


def test_a_read_only_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*_a: object, **_k: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:  # root writes anywhere: there, simulate a read-only mount
        ro.chmod(0o555)
        assert target_problem(ro / "r.json", "--json") is not None
        ro.chmod(0o755)
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    problem = target_problem(ro / "r.json", "--json")
    assert problem is not None and "read-only" in problem and str(ro) in problem


def test_new_folders_are_fine(tmp_path: Path) -> None:
    assert target_problem(tmp_path / "a" / "b" / "r.json", "--json") is None
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_the_longest_allowed_name_can_be_written(tmp_path: Path) -> None:
    from stance.io.video_writer import H264Writer

    name = "n" * 251 + ".csv"  # 255 bytes: the temporary name beside it must be shorter
    assert target_problem(tmp_path / name, "--csv") is None
    write_atomic("a,b\n", tmp_path / name)
    assert (tmp_path / name).read_text() == "a,b\n"
    video = tmp_path / ("v" * 251 + ".mp4")
    with H264Writer(video, 10.0) as w:
        for _ in range(3):
            w.write(np.zeros((64, 64, 3), np.uint8))
    assert video.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, video.name])


def test_same_file_sees_through_links(tmp_path: Path) -> None:
    a = tmp_path / "a.mp4"
    a.write_bytes(b"x")
    (tmp_path / "s.mp4").symlink_to(a)
    os.link(a, tmp_path / "h.mp4")
    assert same_file(a, tmp_path / "s.mp4") and same_file(a, tmp_path / "h.mp4")
    assert same_file(tmp_path / "new.json", tmp_path / "sub" / ".." / "new.json")
    assert not same_file(a, tmp_path / "new.json")


def test_inputs_that_lead_nowhere_say_why(tmp_path: Path) -> None:
    (tmp_path / "loop.mp4").symlink_to("loop.mp4")
    (tmp_path / "dangling.mp4").symlink_to("gone.mp4")
    (tmp_path / "afile").write_text("x")
    _assert_clean_failure(stance("analyze", tmp_path / "loop.mp4"), 2, "loop")
    _assert_clean_failure(stance("analyze", tmp_path / "dangling.mp4"), 2, "gone.mp4, which")
    _assert_clean_failure(stance("analyze", tmp_path / "afile" / "x.mp4"), 2, "is a file")


@pytest.mark.parametrize(("ext", "kind"), [(".jpg", "JPEG"), (".png", "PNG"), (".bmp", "BMP")])
def test_still_images_are_refused_as_such(tmp_path: Path, ext: str, kind: str) -> None:
    import cv2

    image = tmp_path / f"photo{ext}"
    assert cv2.imwrite(str(image), np.full((240, 320, 3), 120, np.uint8))
    renamed = tmp_path / "photo.mp4"
    renamed.write_bytes(image.read_bytes())
    json_out = tmp_path / "r.json"
    for path in (image, renamed):
        res = stance("analyze", path, "--json", json_out)
        _assert_clean_failure(res, 2, f"still image ({kind})")
    assert not json_out.exists()


@pytest.mark.parametrize("n_frames", [1, 5])
def test_clips_too_short_for_a_test_are_told_so(tmp_path: Path, n_frames: int) -> None:
    from test_cli import _blank_clip

    clip = _blank_clip(tmp_path / "short.mp4", n=n_frames)  # 10 frames per second
    json_out = tmp_path / "r.json"
    res = stance("analyze", clip, "--json", json_out)
    _assert_clean_failure(res, 2, "needs at least 3 s")
    assert f"only {n_frames / 10:.1f} s long" in res.stderr
    assert not json_out.exists()


def test_a_file_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    name = os.fsdecode(b"bad\xff.mp4")  # OpenCV crashed (segfault) on such a name
    (tmp_path / name).write_bytes(SAMPLE.read_bytes())
    res = stance("analyze", tmp_path / name, "-q")
    _assert_clean_failure(res, 2, "not valid UTF-8")
