"""Tests for stance.io.source: probing, upright frames, timestamps, decimation, bad input."""

from __future__ import annotations

import gc
import inspect
import math
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

from conftest import FOOTAGE
from stance.core.errors import BadInputError
from stance.io import source as source
from stance.io.ffmpeg import run_ffmpeg
from stance.io.source import Frame, VideoInfo, iter_frames, probe_video
from videotools import (
    make_pattern_clip,
    make_variant,
    make_vfr_clip,
    read_pattern_index,
    with_long_audio,
)

W, H, FPS, N = 160, 120, 30.0, 60


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic clips shared by the tests of this module."""
    d = tmp_path_factory.mktemp("source")
    plain = make_pattern_clip(d / "plain.mp4", n_frames=N, fps=FPS)
    out = {"plain": plain}
    for rot in (90, 180, 270):
        out[f"rot{rot}"] = make_variant(plain, d / f"rot{rot}.mp4", rotation_meta=rot)
    out["vfr"] = make_vfr_clip(plain, d / "vfr.mp4", segment_s=0.5, keep_every=3)
    return out


def red_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the red marker."""
    b, g, r = (image[..., i].astype(int) for i in range(3))
    ys, xs = np.nonzero((r > 170) & (g < 90) & (b < 90))
    assert xs.size > 0, "red marker not found"
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def assert_upright_marker_top_left(image: np.ndarray) -> None:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = red_box(image)
    assert x1 < w / 2 and y1 < h / 2, "marker not in the top-left quadrant"
    assert (x1 - x0) > 1.5 * (y1 - y0), "marker not wide: frame turned"


# --- probing -----------------------------------------------------------------------------


def test_probe_plain(clips: dict[str, Path]) -> None:
    info = probe_video(clips["plain"])
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (W, H)
    assert info.fps_nominal == pytest.approx(FPS)
    assert info.n_frames == N
    assert info.duration_s == pytest.approx(N / FPS)
    assert info.rotation_deg == 0
    assert info.codec == "h264"
    assert info.path == str(clips["plain"])


def test_import_is_lazy() -> None:
    code = "import sys, stance.io.source; print('cv2' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- orientation ---------------------------------------------------------------------------


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_gives_upright_frames(clips: dict[str, Path], rotation: int) -> None:
    path = clips[f"rot{rotation}"]
    info = probe_video(path)
    assert info.rotation_deg == rotation
    assert (info.width, info.height) == (W, H)  # the upright size, not the stored one
    got = list(iter_frames(path))
    assert len(got) == N
    for f in got[:3]:
        assert f.image.shape == (H, W, 3)
        assert_upright_marker_top_left(f.image)
    assert [read_pattern_index(f.image) for f in got] == list(range(N))


@pytest.mark.parametrize("rotation", [90, 270])
def test_manual_rotation_matches_opencv(
    clips: dict[str, Path], rotation: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = clips[f"rot{rotation}"]
    auto = [f.image for f in iter_frames(path)]
    monkeypatch.setattr(source, "OPENCV_ORIENTS", False)
    info = probe_video(path)
    assert (info.width, info.height, info.rotation_deg) == (W, H, rotation)
    manual = [f.image for f in iter_frames(path)]
    assert len(auto) == len(manual)
    assert all(np.array_equal(a, m) for a, m in zip(auto, manual, strict=True))


# --- mirroring -----------------------------------------------------------------------------


def test_mirrored_flips_horizontally(clips: dict[str, Path]) -> None:
    normal = next(iter_frames(clips["plain"]))
    flipped = list(iter_frames(clips["plain"], mirrored=True))
    assert len(flipped) == N
    x0, _, _, y1 = red_box(flipped[0].image)
    assert x0 > W / 2 and y1 < H / 2  # marker now top-RIGHT
    np.testing.assert_array_equal(flipped[0].image, normal.image[:, ::-1])
    assert read_pattern_index(flipped[5].image[:, ::-1]) == 5


def test_mirrored_after_rotation(clips: dict[str, Path]) -> None:
    f = next(iter_frames(clips["rot90"], mirrored=True))
    assert f.image.shape == (H, W, 3)
    assert_upright_marker_top_left(f.image[:, ::-1])


# --- timestamps ----------------------------------------------------------------------------


def test_cfr_timestamps(clips: dict[str, Path]) -> None:
    got = list(iter_frames(clips["plain"]))
    assert [f.index for f in got] == list(range(N))
    t = np.array([f.t_s for f in got])
    assert t[0] == pytest.approx(0.0)
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t, np.arange(N) / FPS, atol=1e-3)
    for f in got:
        assert isinstance(f, Frame)
        assert f.image.dtype == np.uint8 and f.image.shape == (H, W, 3)


def test_vfr_timestamps_follow_real_times(clips: dict[str, Path]) -> None:
    got = list(iter_frames(clips["vfr"]))
    content = np.array([read_pattern_index(f.image) for f in got])
    t = np.array([f.t_s for f in got])
    assert np.all(np.diff(t) > 0)
    # frame k of the source was shown at k / 30 s: timestamps must say so
    np.testing.assert_allclose(t, content / FPS, atol=2e-3)
    gaps = np.diff(t)
    assert gaps.min() == pytest.approx(1 / FPS, abs=2e-3)
    assert gaps.max() == pytest.approx(3 / FPS, abs=2e-3)
    # and NOT index / nominal fps
    info = probe_video(clips["vfr"])
    assert not np.allclose(t, np.arange(len(t)) / info.fps_nominal, atol=0.05)


def test_vfr_webm_no_false_truncation(clips: dict[str, Path], tmp_path: Path) -> None:
    """VP9/WebM VFR: the container's frame count is a (2x too big) estimate."""
    webm = tmp_path / "vfr.webm"
    run_ffmpeg(
        [
            *("-i", str(clips["vfr"]), "-c:v", "libvpx-vp9", "-deadline", "realtime"),
            *("-cpu-used", "8", "-b:v", "200k", str(webm)),
        ]
    )
    info = probe_video(webm)
    got = list(iter_frames(webm))  # must not raise "truncated"
    assert len(got) == len(list(iter_frames(clips["vfr"])))
    assert info.n_frames >= len(got)
    t = np.array([f.t_s for f in got])
    np.testing.assert_allclose(t, [read_pattern_index(f.image) / FPS for f in got], atol=2e-3)


def test_repair_time() -> None:
    dt = 1 / 30
    rep = source._repair_time
    assert rep(0.5, None, dt) == 0.5
    assert rep(float("nan"), None, dt) == 0.0
    assert rep(-1.0, None, dt) == 0.0
    assert rep(1.0, 0.5, dt) == 1.0
    assert rep(0.5, 0.5, dt) == pytest.approx(0.5 + dt)  # duplicate
    assert rep(0.4, 0.5, dt) == pytest.approx(0.5 + dt)  # going back
    assert rep(float("inf"), 0.5, dt) == pytest.approx(0.5 + dt)
    # container gives nothing usable (all zero) -> index / fps
    t: float | None = None
    out = []
    for _ in range(5):
        t = rep(0.0, t, dt)
        out.append(t)
    np.testing.assert_allclose(out, np.arange(5) * dt)


# --- decimation ----------------------------------------------------------------------------


def test_max_fps_cfr(clips: dict[str, Path]) -> None:
    got = list(iter_frames(clips["plain"], max_fps=10))
    assert [f.index for f in got] == list(range(0, N, 3))
    assert [read_pattern_index(f.image) for f in got] == list(range(0, N, 3))
    t = np.array([f.t_s for f in got])
    np.testing.assert_allclose(t, np.arange(0, N, 3) / FPS, atol=1e-3)
    assert 1 / np.diff(t).min() <= 10 / (1 - source.DECIMATION_SLACK)


@pytest.mark.parametrize("clip", ["plain", "vfr"])
def test_one_decoding_thread_gives_the_same_frames(clips: dict[str, Path], clip: str) -> None:
    """``threads=1`` (the pose pass on 2 cores) decodes in the iterating thread, frame for
    frame as FFmpeg's threads do."""
    default = list(iter_frames(clips[clip], max_fps=10))
    single = list(iter_frames(clips[clip], max_fps=10, threads=1))
    assert [f.index for f in single] == [f.index for f in default]
    assert [f.t_s for f in single] == [f.t_s for f in default]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(single, default, strict=True))
    import cv2

    opened = source._open_checked(clips[clip], threads=1)
    try:
        assert opened.cap.get(cv2.CAP_PROP_N_THREADS) == 1
    finally:
        opened.cap.release()


def test_max_fps_not_binding(clips: dict[str, Path]) -> None:
    assert len(list(iter_frames(clips["plain"], max_fps=30))) == N
    assert len(list(iter_frames(clips["plain"], max_fps=1000))) == N


def test_max_fps_vfr_by_timestamp(clips: dict[str, Path]) -> None:
    got = list(iter_frames(clips["vfr"], max_fps=15))
    t = np.array([f.t_s for f in got])
    gaps = np.diff(t)
    assert gaps.min() >= (1 - source.DECIMATION_SLACK) / 15
    # 30 fps segments halve to 15 fps; 10 fps segments keep every frame
    assert gaps.min() == pytest.approx(2 / FPS, abs=2e-3)
    # (the first frame of a 10 fps segment can fall too soon after the last kept one)
    assert gaps.max() <= 4 / FPS + 2e-3
    full = list(iter_frames(clips["vfr"]))
    kept_10fps = [f for f in full if read_pattern_index(f.image) % 3 == 0 and f.t_s % 1.0 > 0.5]
    kept_idx = {f.index for f in got}
    assert all(f.index in kept_idx for f in kept_10fps)


@pytest.mark.parametrize("bad", [0.0, -5.0, math.nan, math.inf])
def test_max_fps_invalid(clips: dict[str, Path], bad: float) -> None:
    with pytest.raises(BadInputError, match="max_fps"):
        iter_frames(clips["plain"], max_fps=bad)


# --- streaming -----------------------------------------------------------------------------


def test_is_a_lazy_generator(clips: dict[str, Path]) -> None:
    gen = iter_frames(clips["plain"])
    is_generator = inspect.isgenerator(gen)
    assert is_generator
    first = next(gen)
    second = next(gen)
    assert (first.index, second.index) == (0, 1)
    gen.close()  # releases the capture; no error


def test_memory_flat(tmp_path: Path) -> None:
    """Frames are not retained: each one is freed once the consumer drops it."""
    path = make_pattern_clip(tmp_path / "long.mp4", n_frames=300, fps=30, width=320, height=240)
    refs: list[weakref.ref[np.ndarray]] = []
    count = 0
    for f in iter_frames(path):
        refs.append(weakref.ref(f.image))
        count += 1
        del f
    gc.collect()
    assert count == 300
    alive = sum(r() is not None for r in refs)
    assert alive <= 1


# --- bad input -----------------------------------------------------------------------------


def both_raise(path: Path, match: str) -> None:
    with pytest.raises(BadInputError, match=match) as e1:
        probe_video(path)
    with pytest.raises(BadInputError, match=match):
        iter_frames(path)  # raises at call time, before any iteration
    msg = str(e1.value)
    assert "\n" not in msg and str(path) in msg


def test_missing(tmp_path: Path) -> None:
    both_raise(tmp_path / "nope.mp4", "no such file")


def test_directory(tmp_path: Path) -> None:
    both_raise(tmp_path, "directory")


def test_zero_bytes(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    p.touch()
    both_raise(p, "empty")


def test_text_named_mp4(tmp_path: Path) -> None:
    p = tmp_path / "notes.mp4"
    p.write_text("This is not a video.\n" * 40)
    both_raise(p, "text file")


def test_random_bytes(tmp_path: Path) -> None:
    p = tmp_path / "noise.mp4"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    both_raise(p, "video")


def test_no_video_stream(tmp_path: Path) -> None:
    p = tmp_path / "audio.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(p)])
    both_raise(p, "no video stream")


def test_truncated_moov_at_end(clips: dict[str, Path], tmp_path: Path) -> None:
    data = clips["plain"].read_bytes()
    p = tmp_path / "half.mp4"
    p.write_bytes(data[: len(data) // 2])
    both_raise(p, "truncated")


def test_truncated_moov_at_start(clips: dict[str, Path], tmp_path: Path) -> None:
    fast = tmp_path / "fast.mp4"
    run_ffmpeg(["-i", str(clips["plain"]), "-c", "copy", "-movflags", "+faststart", str(fast)])
    assert len(list(iter_frames(fast))) == N  # the whole file is fine
    data = fast.read_bytes()
    p = tmp_path / "half_fast.mp4"
    p.write_bytes(data[: len(data) // 2])
    info = probe_video(p)  # opens: the index is intact
    assert info.n_frames == N
    gen = iter_frames(p)
    with pytest.raises(BadInputError, match=r"truncated or corrupt: only \d+ of 60 frames"):
        for _ in gen:
            pass


@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".mp4"])
def test_audio_longer_than_the_video_is_not_truncation(
    clips: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    """MKV, WebM and fragmented MP4 claim their longest stream's duration: a whole 2-s video
    with 6 s of audio "claims" three times its frames, and every frame still decodes."""
    clip = with_long_audio(clips["plain"], tmp_path / f"long{suffix}", audio_s=3 * N / FPS)
    info = probe_video(clip)
    assert info.n_frames > 2 * N  # the container's claim, the cause of the false alarm
    got = list(iter_frames(clip))  # must not raise "truncated"
    assert len(got) == N
    assert [read_pattern_index(f.image) for f in got] == list(range(N))


def test_a_cut_file_with_long_audio_is_still_truncated(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    """Cut in half, every stream of the file stops early: still refused as truncated."""
    clip = with_long_audio(clips["plain"], tmp_path / "long.mkv", audio_s=3 * N / FPS)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError, match="truncated or corrupt"):
        for _ in iter_frames(cut):
            pass


def test_as_decoded_corrects_only_an_overstated_length() -> None:
    """A container claiming 40 s of a 16-s video (its audio's length) is corrected to what
    decoded; claims within 10% (estimates, variable frame rates) are kept as they are."""
    claimed = VideoInfo("x.mkv", W, H, 10.0, 400, 40.0, 0, "h264")
    got = source.as_decoded(claimed, 16.0)
    assert (got.n_frames, got.duration_s) == (160, 16.0)
    assert source.as_decoded(claimed, 37.0) is claimed
    assert source.as_decoded(claimed, 0.0) is claimed
    unknown = VideoInfo("x.mkv", W, H, 10.0, 0, 0.0, 0, "h264")
    assert source.as_decoded(unknown, 16.0) is unknown


def test_truncation_check_tolerates_estimates() -> None:
    info = VideoInfo("x.mp4", W, H, 30.0, 100, 100 / 30, 0, "h264")
    source._check_complete(info, 95, 94 / 30)  # count estimate slightly off
    source._check_complete(info, 50, 99 / 30)  # VFR: fewer frames but reaches the end
    source._check_complete(info, 100, 10 / 30)  # all frames (odd timestamps)
    with pytest.raises(BadInputError, match="only 50 of 100"):
        source._check_complete(info, 50, 49 / 30)


# --- real footage (optional) ---------------------------------------------------------------


@pytest.mark.footage
def test_footage_probe_all() -> None:
    clips = sorted(FOOTAGE.glob("*.mp4"))
    assert clips
    for path in clips:
        info = probe_video(path)
        assert info.width > 0 and info.height > 0 and info.n_frames > 0
        assert info.rotation_deg == 0  # README: none carries rotation metadata
    portrait = probe_video(FOOTAGE / "negative_spin_portrait.mp4")
    assert (portrait.width, portrait.height) == (1080, 1920)


@pytest.mark.footage
def test_footage_full_decode_and_decimation() -> None:
    path = FOOTAGE / "tree_pose_left_short.mp4"
    info = probe_video(path)
    got = list(iter_frames(path))
    assert len(got) == info.n_frames == 72
    t = np.array([f.t_s for f in got])
    assert np.all(np.diff(t) > 0)
    assert t[-1] == pytest.approx(7.1, abs=0.05)
    assert got[0].image.shape == (338, 600, 3)
    sixty = FOOTAGE / "negative_lateral_raise.mp4"
    half = list(iter_frames(sixty, max_fps=30))
    assert len(half) == pytest.approx(probe_video(sixty).n_frames / 2, abs=1)


@pytest.mark.footage
def test_footage_rotated_variant_is_upright(tmp_path: Path) -> None:
    src = FOOTAGE / "tree_pose_left_short.mp4"
    ref = make_variant(src, tmp_path / "ref.mp4", height=120, duration_s=1.0)
    rot = make_variant(src, tmp_path / "rot.mp4", height=120, duration_s=1.0, rotation_meta=90)
    assert probe_video(rot).rotation_deg == 90
    a = [f.image for f in iter_frames(ref)]
    b = [f.image for f in iter_frames(rot)]
    assert len(a) == len(b) > 0
    assert a[0].shape == b[0].shape
    diff = np.mean([np.abs(x.astype(int) - y).mean() for x, y in zip(a, b, strict=True)])
    assert diff < 5.0
