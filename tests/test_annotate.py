"""The annotated video (`stance analyze --annotated`) and the overlay drawing it uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from conftest import SAMPLE
from stance.analysis.judge import Thresholds
from stance.analysis.pelvis import line_tilt_deg
from stance.core.track import LM, Side
from stance.io.source import iter_frames, probe_video
from stance.report import overlay as overlay
from stance.report.annotate import (
    _Overlay,
    annotated_frames,
    interpolate,
    nearest_index,
    write_annotated,
)
from stance.report.series_csv import settled_indices
from synthetic import analyse, make_test_track
from test_cli import stance

# ---------------------------------------------------------------- overlay geometry


def _hips(right: tuple[float, float], left: tuple[float, float]) -> np.ndarray:
    xy = np.full((33, 2), np.nan)
    xy[LM.RIGHT_HIP], xy[LM.LEFT_HIP] = right, left
    return xy


def test_pelvis_endpoints_known_angles() -> None:
    xy = _hips((100.0, 200.0), (200.0, 200.0))  # person's right on the image left
    np.testing.assert_allclose(overlay.pelvis_endpoints(xy, 0.0), [[60, 200], [240, 200]])
    # counter-clockwise on screen: the left end (image right) goes UP (smaller y)
    np.testing.assert_allclose(
        overlay.pelvis_endpoints(xy, 90.0), [[150, 290], [150, 110]], atol=1e-9
    )
    for angle in (-30.0, -3.0, 0.0, 4.5, 60.0):
        ends = overlay.pelvis_endpoints(xy, angle)
        assert ends is not None
        # same convention as the estimators: tilt of the line right end -> left end
        assert line_tilt_deg(ends[1:], ends[:1])[0] == pytest.approx(angle)
        assert np.hypot(*(ends[1] - ends[0])) == pytest.approx(180.0)  # 1.8 hip distances
        np.testing.assert_allclose(ends.mean(axis=0), [150, 200])
    assert overlay.pelvis_endpoints(_hips((np.nan, 1.0), (2.0, 2.0)), 0.0) is None


@pytest.mark.parametrize("lifted", [Side.RIGHT, Side.LEFT])
def test_a_positive_drop_draws_the_lifted_end_lower(lifted: Side) -> None:
    xy = _hips((100.0, 200.0), (200.0, 203.0))  # unmirrored: person's right is image-left
    quiet = overlay.hip_angle_deg(xy)
    assert quiet == pytest.approx(np.degrees(np.arctan2(-3.0, 100.0)))
    angle = overlay.pelvis_angle_deg(quiet, overlay.tilt_change_deg(4.0, lifted), 0.0)
    ends = overlay.pelvis_endpoints(xy, angle)
    assert ends is not None
    right_end_y, left_end_y = ends[0, 1], ends[1, 1]
    level = overlay.pelvis_endpoints(xy, quiet)
    assert level is not None
    if lifted is Side.RIGHT:
        assert right_end_y > level[0, 1] and left_end_y < level[1, 1]
    else:
        assert left_end_y > level[1, 1] and right_end_y < level[0, 1]
    assert overlay.pelvis_angle_deg(170.0, 20.0, 0.0) == pytest.approx(-170.0)


@pytest.mark.parametrize("mirror", [False, True])
def test_drawn_line_follows_the_hips_with_the_hip_line_estimator(mirror: bool) -> None:
    """The measured line (quiet line + the drop, undone with measure's sign) lies on the
    hip-landmark line, which is what the hip_line estimator measures."""
    track = make_test_track(drop_left_deg=6.0, drop_right_deg=-3.0, mirror=mirror, fps=15.0)
    r = analyse(track)
    assert len(r.meas.trials) == 2
    for m in r.meas.trials:
        b = m.trial.baseline
        quiet = overlay.hip_angle_deg(r.cleaned.xy[b.i0 : b.i1])
        i = (m.trial.i0 + m.trial.i1) // 2
        drop = float(m.series.drop_deg[i - b.i0])
        drawn = overlay.pelvis_angle_deg(quiet, overlay.tilt_change_deg(drop, m.trial.lifted), 0)
        assert drawn == pytest.approx(overlay.hip_angle_deg(r.cleaned.xy[i]), abs=0.2)
        assert abs(drop) > 2.0


def test_drop_colour_and_scale() -> None:
    assert overlay.drop_colour(float("nan"), 2.0) == overlay.GREY
    assert overlay.drop_colour(-5.0, 2.0) == overlay.GREEN
    assert overlay.drop_colour(0.99, 2.0) == overlay.GREEN
    assert overlay.drop_colour(1.0, 2.0) == overlay.AMBER
    assert overlay.drop_colour(2.0, 2.0) == overlay.RED
    assert overlay.scale_for((480, 640, 3)) == 1
    assert overlay.scale_for((1080, 1920, 3)) == 4
    assert overlay.scale_for((100, 80)) == 1


# ---------------------------------------------------------------- interpolation


def test_interpolate_linear_held_and_gapped() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.9, 1.0])
    v = np.array([0.0, 1.0, np.nan, 3.0, 9.0, 10.0])
    got = interpolate(
        t, v, np.array([0.05, 0.1, 0.15, 0.25, 0.6, 0.95, 1.05, 1.2, -0.05]), gap_s=0.2
    )
    want = [0.5, 1.0, np.nan, np.nan, np.nan, 9.5, 10.0, np.nan, 0.0]
    np.testing.assert_allclose(got, want)
    # exact analysed times return the value even next to a NaN neighbour
    np.testing.assert_allclose(interpolate(t, v, t, gap_s=0.2)[[0, 1, 3]], [0.0, 1.0, 3.0])
    # trailing dimensions (T, 33, 2) interpolate per coordinate
    xy = np.stack([np.zeros((33, 2)), np.ones((33, 2))])
    out = interpolate(np.array([0.0, 0.1]), xy, np.array([0.025, 0.075]), gap_s=0.2)
    assert out.shape == (2, 33, 2)
    np.testing.assert_allclose(out[:, 5, 1], [0.25, 0.75])
    assert np.all(np.isnan(interpolate(t[:0], v[:0], t, gap_s=0.2)))


def test_nearest_index() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.8])
    got = nearest_index(t, np.array([-0.2, 0.04, 0.06, 0.2, 0.35, 0.75, 0.95]), gap_s=0.2)
    np.testing.assert_array_equal(got, [-1, 0, 1, 2, -1, 3, -1])
    np.testing.assert_array_equal(nearest_index(t[:1], np.array([0.05, 0.5]), gap_s=0.2), [0, -1])


# ---------------------------------------------------------------- the overlay on synthetic data


def _synthetic_analysis(*, gap: tuple[float, float] = (0.0, 0.0)) -> Any:
    gaps = [gap] if gap[1] > gap[0] else []
    track = make_test_track(drop_left_deg=6.0, fps=10.0, width=480, height=854, gaps=gaps)
    r = analyse(track)
    return SimpleNamespace(
        track=r.cleaned,
        segmentation=r.seg,
        measurements=r.meas,
        settings=SimpleNamespace(thresholds=Thresholds()),
    )


def _hud_mask(shape: tuple[int, ...]) -> np.ndarray:
    """Where the HUD (top-left quarter) and the legend (bottom band) may draw."""
    h, w = shape[:2]
    mask = np.zeros((h, w), bool)
    mask[: h // 4, : w // 2] = True
    mask[h - h // 8 :, :] = True
    return mask


def _near(xy: np.ndarray, shape: tuple[int, ...], pad: float) -> np.ndarray:
    h, w = shape[:2]
    yy, xx = np.mgrid[:h, :w]
    pts = xy[np.all(np.isfinite(xy), axis=1)]
    x0, y0 = pts.min(axis=0) - pad
    x1, y1 = pts.max(axis=0) + pad
    return (xx >= x0) & (xx <= x1) & (yy >= y0) & (yy <= y1)


def test_overlay_in_a_trial_between_analysed_frames() -> None:
    a = _synthetic_analysis()
    ov = _Overlay(a)
    m = a.measurements.trials[0]
    assert m.trial.lifted is Side.LEFT and m.drop_deg > 3.0
    i = int(settled_indices(a, m)[5])
    t = float((a.track.t_s[i] + a.track.t_s[i + 1]) / 2)  # a frame between analysed ones
    img = np.full((854, 480, 3), 90, np.uint8)
    ov.draw(img, t)
    changed = np.any(img != 90, axis=-1)
    body = _near(a.track.xy[i], img.shape, 20)
    assert not np.any(changed & ~body & ~_hud_mask(img.shape))  # nothing drawn elsewhere
    red = np.all(img == overlay.RED, axis=-1)
    mid = (a.track.xy[i, LM.LEFT_HIP] + a.track.xy[i, LM.RIGHT_HIP]) / 2
    hip_w = float(np.hypot(*(a.track.xy[i, LM.LEFT_HIP] - a.track.xy[i, LM.RIGHT_HIP])))
    yy, xx = np.nonzero(red & ~_hud_mask(img.shape))
    assert yy.size > 50  # the measured pelvis line, red: a drop over the threshold
    assert np.all(np.hypot(xx - mid[0], yy - mid[1]) <= 0.9 * hip_w + 10)
    # the line's left end (image right, person's LEFT: the lifted side) is the lower one
    assert np.mean(yy[xx > mid[0]]) > np.mean(yy[xx < mid[0]])
    assert np.any(np.all(img == overlay.QUIET_GREEN, axis=-1))  # the quiet-stance line
    assert np.any(np.all(img[: 854 // 4] == overlay.RED, axis=-1))  # the drop in the HUD


def test_overlay_without_a_person_draws_only_the_hud() -> None:
    a = _synthetic_analysis(gap=(0.5, 1.5))
    ov = _Overlay(a)
    img = np.full((854, 480, 3), 90, np.uint8)
    ov.draw(img, 1.0)
    changed = np.any(img != 90, axis=-1)
    assert changed.any()
    assert not np.any(changed & ~_hud_mask(img.shape))


# ---------------------------------------------------------------- the video on the sample


@pytest.fixture(scope="module")
def sample(analysed: Callable[..., Any]) -> Any:
    return analysed(SAMPLE)


@pytest.fixture(scope="module")
def annotated(sample: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("annotated") / "sample.mp4"
    calls: list[tuple[int, int]] = []
    write_annotated(sample, path, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] == 160
    assert [p.name for p in path.parent.iterdir()] == ["sample.mp4"]  # no temp file left
    return path


def _read_all(path: Path) -> list[np.ndarray]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames


def _header(path: Path) -> dict[str, Any]:
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(path))
    meta: dict[str, Any] = next(gen)
    gen.close()
    return meta


def _duration_s(path: Path) -> float:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n, fps = cap.get(cv2.CAP_PROP_FRAME_COUNT), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return float(n / fps)


def test_annotated_video_decodes_with_the_inputs_frames_and_duration(annotated: Path) -> None:
    out = _read_all(annotated)
    n_in = sum(1 for _ in iter_frames(SAMPLE))
    assert len(out) == n_in == 160
    info = probe_video(annotated)
    src = probe_video(SAMPLE)
    assert (info.width, info.height) == (src.width, src.height)
    assert abs(_duration_s(annotated) - _duration_s(SAMPLE)) <= 1.0 / src.fps_nominal
    meta = _header(annotated)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["duration"] == pytest.approx(16.0, abs=0.1)
    data = annotated.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")  # +faststart: index first


def test_annotated_video_shows_the_overlay(sample: Any, annotated: Path) -> None:
    out = _read_all(annotated)
    raw = [f.image for f in iter_frames(SAMPLE)]
    m = sample.measurements.trials[0]  # LEFT foot up, drop over the threshold: red line
    assert m.drop_deg >= sample.settings.thresholds.drop_deg
    i = int(settled_indices(sample, m)[3])
    k = int(np.argmin(np.abs(np.arange(160) / 10.0 - sample.track.t_s[i])))
    xy = sample.track.xy[i]
    hud = _hud_mask(raw[k].shape)
    diff = np.abs(out[k].astype(int) - raw[k].astype(int)).max(axis=-1) > 60
    body = _near(xy, raw[k].shape, 25)
    assert diff[body].sum() > 500  # the skeleton and the pelvis lines
    assert diff[~body & ~hud].mean() < 0.002  # elsewhere, only compression noise
    mid = (xy[LM.LEFT_HIP] + xy[LM.RIGHT_HIP]) / 2
    yy, xx = np.mgrid[: raw[k].shape[0], : raw[k].shape[1]]
    near_hips = np.hypot(xx - mid[0], yy - mid[1]) < 80

    def reddish(img: np.ndarray) -> np.ndarray:
        b, g, r = (img[..., c].astype(int) for c in range(3))
        return np.asarray((r > 170) & (g < 110) & (b < 110))

    assert (reddish(out[k]) & near_hips).sum() > 100  # the red pelvis line
    assert (reddish(raw[k]) & near_hips).sum() < 10  # not red in the input
    # exact colours before compression
    drawn = next(f.image for f in annotated_frames(sample) if f.index == k)
    assert np.all(drawn == overlay.RED, axis=-1).sum() > 100


def test_vfr_input_keeps_frame_count_and_duration(sample: Any, tmp_path: Path) -> None:
    from stance.io.ffmpeg import run_ffmpeg
    from videotools import make_vfr_clip

    vfr = make_vfr_clip(SAMPLE, tmp_path / "vfr.mp4", segment_s=1.0, keep_every=3)
    webm = tmp_path / "vfr.webm"  # WebM: the container's frame count is only an estimate
    run_ffmpeg(
        [
            *("-i", str(vfr), "-c:v", "libvpx-vp9", "-deadline", "realtime"),
            *("-cpu-used", "8", "-b:v", "300k", str(webm)),
        ]
    )
    for src in (vfr, webm):
        info = probe_video(src)
        decoded = list(iter_frames(src))
        out = tmp_path / f"{src.suffix[1:]}.mp4"
        write_annotated(replace(sample, path=src, video=info), out)
        assert len(_read_all(out)) == len(decoded) < 160
        interval = (decoded[-1].t_s - decoded[0].t_s) / (len(decoded) - 1)
        want = info.duration_s if info.n_frames == len(decoded) else decoded[-1].t_s + interval
        assert abs(_duration_s(out) - want) <= interval
        assert _header(out)["codec"] == "h264"


def test_a_failed_write_leaves_nothing(
    sample: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    def boom(self: Any, img: np.ndarray, t_s: float) -> None:
        nonlocal calls
        calls += 1
        if calls > 5:
            raise RuntimeError("boom")

    monkeypatch.setattr(_Overlay, "draw", boom)
    with pytest.raises(RuntimeError):
        write_annotated(sample, tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the CLI


def test_target_problem(tmp_path: Path) -> None:
    from stance.io.video_writer import mp4_target_problem

    def target_problem(p: Path) -> str | None:
        return mp4_target_problem(p, "--annotated")

    assert target_problem(tmp_path / "a.mp4") is None
    assert target_problem(tmp_path / "A.MP4") is None
    assert target_problem(tmp_path / "new" / "a.mp4") is None  # missing folders are made
    (tmp_path / "afile").write_text("x")
    assert "not a folder" in (target_problem(tmp_path / "afile" / "a.mp4") or "")
    assert ".mp4" in (target_problem(tmp_path / "a.avi") or "")
    (tmp_path / "d.mp4").mkdir()
    assert "directory" in (target_problem(tmp_path / "d.mp4") or "")


@pytest.mark.parametrize("target", ["afile/out.mp4", "out.avi", "out"])
def test_cli_bad_annotated_target(tmp_path: Path, target: str) -> None:
    (tmp_path / "afile").write_text("x")
    res = stance("analyze", SAMPLE, "--annotated", tmp_path / target, "--json", tmp_path / "a.json")
    assert res.returncode == 2, res.stderr
    assert "--annotated" in res.stderr and "Traceback" not in res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) <= 3
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]  # nothing written, not the JSON
