"""Image-based pelvis tilt on synthetic frames with a known pelvic rotation.

A textured "pelvis" layer (with a belt) is rotated by a known angle about the stance hip, a
textured "trunk" stays upright above it, and a "thigh" below the lifted hip flexes up to the
hip line while MediaPipe-like hip landmarks ride up with it. The estimator must recover the
pelvis rotation and ignore the thigh. No shared data needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import pytest

from stance.io.source import Frame
from stance.vision.pelvis_texture import PelvisImageResult, PelvisImageTracker, TextureParams

W, H = 480, 640
R_HIP = np.array([205.0, 360.0])  # person's RIGHT hip: image left (not mirrored)
L_HIP = np.array([275.0, 360.0])  # person's LEFT hip: image right
R_SH = np.array([180.0, 160.0])
L_SH = np.array([300.0, 160.0])


def _texture(rng: np.random.Generator, h: int, w: int, sigma: float = 2.5) -> np.ndarray:
    t = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)).astype(np.float32), (0, 0), sigma)
    t = (t - t.mean()) / (t.std() + 1e-6)
    return np.asarray(np.clip(128.0 + 45.0 * t, 0, 255), dtype=np.float32)


class Scene:
    """Layers of a frontal person, standing on the RIGHT leg, LEFT foot lifted."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.bg = np.full((H, W), 205.0, np.float32)
        # pelvis layer: shorts/belt region, larger than the band so rotation keeps it full
        self.pelvis = np.zeros((H, W), np.float32)
        self.pelvis_a = np.zeros((H, W), np.float32)
        self.pelvis[230:430, 150:330] = _texture(rng, 200, 180)
        self.pelvis[300:312, 150:330] = 40.0  # a dark belt
        self.pelvis_a[230:430, 150:330] = 1.0
        # trunk: upright, above the band
        self.trunk = np.zeros((H, W), np.float32)
        self.trunk_a = np.zeros((H, W), np.float32)
        self.trunk[110:262, 160:320] = _texture(rng, 152, 160, 3.0)
        self.trunk_a[110:262, 160:320] = 1.0
        # left thigh: its own texture, below the left hip
        self.thigh = np.zeros((H, W), np.float32)
        self.thigh_a = np.zeros((H, W), np.float32)
        self.thigh[:, 240:312] = np.vstack([_texture(rng, 320, 72, 2.0)] * 2)[:H]
        self.rng = rng

    def render(
        self, tilt_deg: float, flex: float, *, shift_px: float = 0.0, noise: float = 2.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Frame (BGR uint8) and (33, 2) landmarks. ``tilt_deg`` is the pelvis rotation
        (counter-clockwise on screen positive) about the stance (RIGHT) hip; ``flex`` 0..1
        raises the thigh's top edge from below the hip line up to it."""
        M = cv2.getRotationMatrix2D((float(R_HIP[0]), float(R_HIP[1])), tilt_deg, 1.0)
        pel = cv2.warpAffine(self.pelvis, M, (W, H))
        pel_a = cv2.warpAffine(self.pelvis_a, M, (W, H))
        img = self.bg * (1 - pel_a) + pel * pel_a
        img = img * (1 - self.trunk_a) + self.trunk * self.trunk_a
        top = round(430 - flex * 75)  # the thigh's top edge rises to y = 355
        thigh_a = np.zeros((H, W), np.float32)
        thigh_a[top:H, 240:312] = 1.0
        thigh = np.roll(self.thigh, -int(flex * 60), axis=0)  # its texture moves with it
        img = img * (1 - thigh_a) + thigh * thigh_a
        img = np.asarray(img + self.rng.normal(0.0, noise, (H, W)), dtype=np.float32)
        S = np.array([[1.0, 0.0, shift_px], [0.0, 1.0, 0.0]])
        img = cv2.warpAffine(img, S, (W, H), borderMode=cv2.BORDER_REPLICATE)
        gray = np.clip(img, 0, 255).astype(np.uint8)
        xy = np.full((33, 2), np.nan)
        lhip = M[:, :2] @ L_HIP + M[:, 2]
        lhip[1] -= 12.0 * flex  # MediaPipe's lifted-side hip landmark rides up with flexion
        xy[23] = lhip
        xy[24] = R_HIP
        xy[11] = L_SH
        xy[12] = R_SH
        xy[25] = lhip + np.array([5.0, 150.0 - 100.0 * flex])
        xy[26] = R_HIP + np.array([0.0, 150.0])
        xy[:, 0] += shift_px
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), xy


def _sequence(
    tilt_deg: float, *, flex: float = 1.0, shift_px: float = 20.0, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """6 quiet frames, a 6-frame lift (tilt, flexion and shift ease in), 8 held frames."""
    scene = Scene(seed)
    out = [scene.render(0.0, 0.0) for _ in range(6)]
    for i in range(1, 7):
        e = 0.5 - 0.5 * math.cos(math.pi * i / 6)
        out.append(scene.render(tilt_deg * e, flex * e, shift_px=shift_px * e))
    out += [scene.render(tilt_deg, flex, shift_px=shift_px) for _ in range(8)]
    return out


def _run(
    frames: Sequence[tuple[np.ndarray, np.ndarray | None]], fps: float = 8.0, **kw: Any
) -> PelvisImageResult:
    trk = PelvisImageTracker(TextureParams(**kw))
    for i, (img, xy) in enumerate(frames):
        trk.observe(Frame(index=i, t_s=i / fps, image=img), xy)
    return trk.result()


def _change(res: PelvisImageResult) -> float:
    """Median held tilt minus median quiet tilt (frames 0-5 vs the last 6)."""
    return float(np.nanmedian(res.tilt_deg[-6:]) - np.nanmedian(res.tilt_deg[:6]))


def _hipline(xy: np.ndarray) -> float:
    return math.degrees(math.atan2(-(xy[23, 1] - xy[24, 1]), xy[23, 0] - xy[24, 0]))


@pytest.mark.parametrize("tilt", [-10.0, -8.0, -3.0, 0.0, 5.0, 10.0])
def test_recovers_a_known_pelvis_rotation(tilt: float) -> None:
    res = _run(_sequence(tilt))
    assert _change(res) == pytest.approx(tilt, abs=0.3)
    assert np.all(np.isfinite(res.tilt_deg))
    assert np.all((res.quality > 0.5) & (res.quality <= 1.0))


def test_ignores_the_lifted_thigh_that_fools_the_hip_line() -> None:
    frames = _sequence(0.0, flex=1.0, shift_px=0.0)
    res = _run(frames)
    assert abs(_change(res)) < 0.3
    # the landmark line reads a 'hike' from the thigh alone
    assert abs(_hipline(frames[-1][1]) - _hipline(frames[0][1])) > 5.0


def test_convention_matches_the_hip_line() -> None:
    # left side of the pelvis lower (a left drop): clockwise on screen -> tilt decreases, like
    # the line through the TRUE hip joints
    scene = Scene(3)
    a = scene.render(0.0, 0.0)
    b = scene.render(-6.0, 0.0)
    res = _run([a, b], fps=1.0)
    d_img = res.tilt_deg[1] - res.tilt_deg[0]
    d_line = _hipline(b[1]) - _hipline(a[1])
    assert d_img == pytest.approx(-6.0, abs=0.3)
    assert d_line == pytest.approx(-6.0, abs=0.1)


def test_unrelated_frames_with_a_large_jump() -> None:
    # two frames only, 10 degrees and 25 px apart (like single rendered frames)
    scene = Scene(5)
    res = _run([scene.render(0.0, 1.0), scene.render(10.0, 1.0, shift_px=25.0)], fps=1.0)
    assert res.tilt_deg[1] - res.tilt_deg[0] == pytest.approx(10.0, abs=0.3)


def _rotate(frames: list[tuple[np.ndarray, np.ndarray]], deg: float) -> list:
    M = cv2.getRotationMatrix2D((W / 2, H / 2), deg, 1.0)
    return [
        (cv2.warpAffine(img, M, (W, H), borderMode=cv2.BORDER_REPLICATE), xy @ M[:, :2].T + M[:, 2])
        for img, xy in frames
    ]


def test_invariant_to_camera_roll() -> None:
    frames = _sequence(-8.0)
    base = _change(_run(frames))
    for deg in (-10.0, 5.0, 10.0):
        res = _run(_rotate(frames, deg))
        assert _change(res) == pytest.approx(base, abs=0.3)
        # the absolute value follows the camera roll (counter-clockwise positive)
        assert np.nanmedian(res.tilt_deg[:6]) == pytest.approx(deg, abs=1.0)


def test_mirrored_video_reads_the_mirrored_rotation() -> None:
    frames = _sequence(6.0)
    swap = list(range(33))
    for a, b in ((11, 12), (23, 24), (25, 26)):
        swap[a], swap[b] = b, a
    mirrored = []
    for img, xy in frames:
        m = xy.copy()
        m[:, 0] = W - 1 - m[:, 0]
        mirrored.append((img[:, ::-1].copy(), m[swap]))
    # counter-clockwise becomes clockwise: the same drop, read on the other side
    assert _change(_run(mirrored)) == pytest.approx(-6.0, abs=0.3)


def test_resolution_and_frame_rate() -> None:
    frames = _sequence(8.0)
    small = [
        (cv2.resize(img, (W // 2, H // 2), interpolation=cv2.INTER_AREA), xy / 2.0)
        for img, xy in frames
    ]
    big = [
        (cv2.resize(img, (W * 2, H * 2), interpolation=cv2.INTER_LINEAR), xy * 2.0 + 0.5)
        for img, xy in frames
    ]
    assert _change(_run(small)) == pytest.approx(8.0, abs=0.3)
    assert _change(_run(big)) == pytest.approx(8.0, abs=0.3)
    assert _change(_run(frames[::2], fps=4.0)) == pytest.approx(8.0, abs=0.3)


def test_no_person_no_texture_and_occlusion_are_nan_not_numbers() -> None:
    scene = Scene(7)
    img, xy = scene.render(0.0, 0.0)
    blank = np.full_like(img, 128)
    frames: list[tuple[np.ndarray, np.ndarray | None]] = [
        (img, None),  # nobody found
        (blank, xy),  # nothing to track: no reference yet
        (img, xy),  # reference
        (img, xy),
        (img, xy),
    ]
    rng = np.random.default_rng(1)
    covered = img.copy()
    covered[240:380, 130:350] = rng.integers(0, 255, (140, 220, 1), dtype=np.uint8)
    frames.append((covered, xy))  # band covered by something else (hands, a shirt)
    frames.append((img, xy))
    res = _run(frames, fps=10.0)
    assert len(res.t_s) == len(res.tilt_deg) == len(res.quality) == len(frames)
    assert np.allclose(res.t_s, np.arange(len(frames)) / 10.0)
    assert np.isnan(res.tilt_deg[0]) and res.quality[0] == 0.0
    assert np.isnan(res.tilt_deg[1]) and res.quality[1] == 0.0
    assert np.isfinite(res.tilt_deg[2]) and res.quality[2] == 1.0
    assert np.isnan(res.tilt_deg[5]) and res.quality[5] == 0.0
    assert res.tilt_deg[6] == pytest.approx(res.tilt_deg[2], abs=0.2)


def test_a_fade_in_reference_is_replaced() -> None:
    scene = Scene(9)
    frames = []
    for i in range(18):
        img, xy = scene.render(0.0, 0.0, noise=0.0)
        gain = min(1.0, 0.03 + 0.06 * i)  # starts almost black
        frames.append(((img.astype(np.float32) * gain).astype(np.uint8), xy))
    frames += [scene.render(-5.0, 0.0) for _ in range(6)]
    res = _run(frames, fps=10.0)
    assert np.isnan(res.tilt_deg[0])  # too dark for a reference
    # a first, dim reference (frame 3) was replaced when more texture appeared, and what
    # had been measured against it was dropped
    assert np.isnan(res.tilt_deg[3])
    assert np.all(np.isfinite(res.tilt_deg[6:]))
    assert _change(res) == pytest.approx(-5.0, abs=0.3)


def test_partial_landmarks_and_bad_parameters() -> None:
    scene = Scene(2)
    img, xy = scene.render(0.0, 0.0)
    xy = xy.copy()
    xy[11] = np.nan
    res = _run([(img, xy)])
    assert np.isnan(res.tilt_deg[0])
    with pytest.raises(ValueError):
        PelvisImageTracker(TextureParams(y_low=0.4, y_high=0.1))
    assert PelvisImageTracker.name == "pelvis_image"


def test_last_tilt_is_what_result_gives_for_the_latest_frame() -> None:
    """Live mode reads `last_tilt_deg` every frame instead of rebuilding `result()`."""
    trk = PelvisImageTracker()
    assert math.isnan(trk.last_tilt_deg)
    for i, (img, xy) in enumerate(_sequence(6.0)):
        trk.observe(Frame(index=i, t_s=i / 8.0, image=img), xy)
        expected = trk.result().tilt_deg[-1]
        assert trk.last_tilt_deg == pytest.approx(expected, nan_ok=True)
    assert math.isfinite(trk.last_tilt_deg)


def test_cell_structure_tensors_match_a_cell_by_cell_computation() -> None:
    from stance.vision.pelvis_texture import _cell_tensors, _top_eigenvalue

    rng = np.random.default_rng(3)
    gx = rng.normal(0, 5, (40, 50)).astype(np.float32)
    gy = rng.normal(0, 5, (40, 50)).astype(np.float32)
    x0, y0 = np.array([0, 7, 30, 38]), np.array([0, 12, 5, 28])
    J = _cell_tensors(gx, gy, x0, y0, 12)
    for i, (x, y) in enumerate(zip(x0, y0, strict=True)):
        sx, sy = gx[y : y + 12, x : x + 12].astype(float), gy[y : y + 12, x : x + 12].astype(float)
        xy = (sx * sy).mean()
        want = np.array([[(sx * sx).mean(), xy], [xy, (sy * sy).mean()]])
        np.testing.assert_allclose(J[i], want, rtol=1e-9)
        assert _top_eigenvalue(J[i : i + 1])[0] == pytest.approx(np.linalg.eigvalsh(want)[1])
