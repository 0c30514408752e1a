"""Tests for videotools (and stance.io.ffmpeg): ffmpeg variants of a synthetic pattern clip."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from stance.core.errors import BadInputError
from stance.io.ffmpeg import FfmpegError, ffmpeg_exe, run_ffmpeg
from stance.io.source import iter_frames, probe_video
from videotools import (
    make_pattern_clip,
    make_variant,
    make_vfr_clip,
    pattern_image,
    read_pattern_index,
)

W, H, FPS, N = 160, 120, 30.0, 60


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s, 30 fps, 160x120 pattern clip (frame index drawn in each frame)."""
    return make_pattern_clip(tmp_path_factory.mktemp("vt") / "pattern.mp4", n_frames=N, fps=FPS)


def red_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the pure-red marker pixels."""
    b, g, r = (image[..., i].astype(int) for i in range(3))
    ys, xs = np.nonzero((r > 170) & (g < 90) & (b < 90))
    assert xs.size > 0, "red marker not found"
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def frames(path: Path) -> list[np.ndarray]:
    return [f.image for f in iter_frames(path)]


def test_ffmpeg_exe_runs() -> None:
    exe = ffmpeg_exe()
    assert Path(exe).is_file()
    assert os.access(exe, os.X_OK)


def test_pattern_roundtrip(clip: Path) -> None:
    assert read_pattern_index(pattern_image(717)) == 717
    images = frames(clip)
    assert len(images) == N
    assert [read_pattern_index(im) for im in images] == list(range(N))
    x0, y0, x1, y1 = red_box(images[0])
    assert x1 < W / 2 and y1 < H / 2 and (x1 - x0) > (y1 - y0)  # wide, top-left


def test_plain_reencode_matches(clip: Path, tmp_path: Path) -> None:
    out = make_variant(clip, tmp_path / "plain.mp4", crf=18)
    info = probe_video(out)
    assert (info.width, info.height, info.n_frames, info.rotation_deg) == (W, H, N, 0)
    assert info.codec == "h264"
    a, b = frames(clip), frames(out)
    assert np.mean([np.abs(x.astype(int) - y).mean() for x, y in zip(a, b, strict=True)]) < 4


def test_hflip_puts_marker_on_the_right(clip: Path, tmp_path: Path) -> None:
    out = make_variant(clip, tmp_path / "flip.mp4", hflip=True)
    image = frames(out)[0]
    x0, _, _, y1 = red_box(image)
    assert x0 > W / 2 and y1 < H / 2
    assert read_pattern_index(image[:, ::-1]) == 0


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_meta_displays_like_original(clip: Path, tmp_path: Path, rotation: int) -> None:
    out = make_variant(clip, tmp_path / f"rot{rotation}.mp4", rotation_meta=rotation)
    info = probe_video(out)
    assert info.rotation_deg == rotation
    assert (info.width, info.height) == (W, H)
    images = frames(out)
    assert [read_pattern_index(im) for im in images] == list(range(N))
    x0, y0, x1, y1 = red_box(images[0])
    assert x1 < W / 2 and y1 < H / 2 and (x1 - x0) > (y1 - y0)


def test_rotate_deg_keeps_size_and_fills_black(clip: Path, tmp_path: Path) -> None:
    out = make_variant(clip, tmp_path / "tilt.mp4", rotate_deg=10.0)
    info = probe_video(out)
    assert (info.width, info.height) == (W, H)
    image = frames(out)[0]
    assert image[0, 0].max() < 30  # corner outside the turned image: black
    assert image[H // 2, W // 2].min() > 60  # centre still grey background
    # clockwise on screen (cv2's angle is counter-clockwise, hence the minus)
    import cv2

    orig = frames(clip)[0]

    def turned(deg: float) -> np.ndarray:
        m = cv2.getRotationMatrix2D(((W - 1) / 2, (H - 1) / 2), -deg, 1.0)
        return cv2.warpAffine(orig, m, (W, H))

    def err(ref: np.ndarray) -> float:
        return float(np.abs(image.astype(int) - ref).mean())

    assert err(turned(10.0)) < 0.5 * err(turned(-10.0))
    assert err(turned(10.0)) < 6.0


def test_height_keeps_aspect_even_width(clip: Path, tmp_path: Path) -> None:
    out = make_variant(clip, tmp_path / "small.mp4", height=50)
    info = probe_video(out)
    assert info.height == 50
    assert info.width % 2 == 0 and abs(info.width - 50 * W / H) <= 2


def test_fps_drops_frames(clip: Path, tmp_path: Path) -> None:
    out = make_variant(clip, tmp_path / "fps10.mp4", fps=10)
    info = probe_video(out)
    assert info.fps_nominal == pytest.approx(10.0)
    idx = [read_pattern_index(im) for im in frames(out)]
    assert len(idx) == 20
    assert np.all(np.diff(idx) == 3)


def test_trim(clip: Path, tmp_path: Path) -> None:
    out = make_variant(clip, tmp_path / "trim.mp4", start_s=0.5, duration_s=1.0)
    got = list(iter_frames(out))
    assert len(got) == pytest.approx(30, abs=1)
    assert read_pattern_index(got[0].image) == pytest.approx(15, abs=1)
    assert got[0].t_s == pytest.approx(0.0, abs=0.04)


def test_make_vfr_clip_keeps_real_times(clip: Path, tmp_path: Path) -> None:
    out = make_vfr_clip(clip, tmp_path / "vfr.mp4", segment_s=0.5, keep_every=3)
    got = list(iter_frames(out))
    idx = np.array([read_pattern_index(f.image) for f in got])
    t = np.array([f.t_s for f in got])
    np.testing.assert_allclose(t, idx / FPS, atol=0.002)
    gaps = set(np.round(np.diff(idx)).astype(int).tolist())
    assert gaps == {1, 2, 3} or gaps == {1, 3}


def test_failure_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "notavideo.mp4"
    src.write_text("hello\n" * 50)
    dst = tmp_path / "out.mp4"
    with pytest.raises(FfmpegError, match="stderr tail"):
        make_variant(src, dst)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notavideo.mp4"]


def test_failure_with_rotation_meta_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "notavideo.mp4"
    src.write_text("hello\n" * 50)
    with pytest.raises(FfmpegError):
        make_variant(src, tmp_path / "out.mp4", rotation_meta=90)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notavideo.mp4"]


def test_run_ffmpeg_error_has_stderr_tail(tmp_path: Path) -> None:
    with pytest.raises(FfmpegError) as err:
        run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "x.mp4")])
    assert "missing.mp4" in str(err.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rotation_meta": 45},
        {"height": 0},
        {"fps": -1.0},
        {"crf": 99},
        {"start_s": -1.0},
        {"duration_s": 0.0},
        {"rotate_deg": float("nan")},
    ],
)
def test_bad_options(clip: Path, tmp_path: Path, kwargs: dict[str, float]) -> None:
    with pytest.raises(BadInputError):
        make_variant(clip, tmp_path / "x.mp4", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "x.mp4").exists()


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such video file"):
        make_variant(tmp_path / "nope.mp4", tmp_path / "x.mp4")
    with pytest.raises(BadInputError, match="folder does not exist"):
        make_pattern_clip(tmp_path / "no" / "x.mp4")
