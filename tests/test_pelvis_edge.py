"""Garment-boundary pelvis tilt on synthetic frames with a known rotation.

A plain "top" (no texture at all) over plain "trousers" meets along a boundary across the
waist. The lower garment is rotated by a
known angle about the stance (RIGHT) hip; the tracker must read that angle from the boundary,
leave out the columns a raised thigh covers, and give NaN where there is no boundary.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from stance.io.source import Frame
from stance.vision.pelvis_edge import PelvisEdgeTracker

W, H = 480, 640
R_HIP = np.array([205.0, 360.0])  # person's RIGHT hip: image left (not mirrored)
L_HIP = np.array([275.0, 360.0])  # person's LEFT hip: image right
R_SH = np.array([180.0, 160.0])
L_SH = np.array([300.0, 160.0])
TOP = (60, 110, 200)  # BGR: an orange-ish top
TROUSERS = (40, 30, 25)  # dark trousers


def _frame(
    tilt_deg: float,
    *,
    vee_px: float = 0.0,
    knee_up: float = 0.0,
    plain: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """BGR frame and (33, 2) landmarks. ``tilt_deg``: the trousers' rotation about the RIGHT
    hip (counter-clockwise on screen positive = the person's LEFT side higher).
    ``vee_px``: the boundary dips this much at the centre (a V-shaped waistband).
    ``knee_up`` 0..1 raises the LEFT thigh (in the trousers' colour) in front of the pelvis:
    at 1 its top outline crosses the waist a little above the boundary, slanted, a second
    boundary of the same colours in those columns. ``plain``: one colour, no boundary."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    a = math.radians(tilt_deg)
    # coordinates in the trousers' own frame (rotated with them about the RIGHT hip)
    dx, dy = xs - R_HIP[0], ys - R_HIP[1]
    u = math.cos(a) * dx - math.sin(a) * dy
    v = math.sin(a) * dx + math.cos(a) * dy
    centre = (L_HIP[0] - R_HIP[0]) / 2.0
    boundary = -45.0 + vee_px * np.clip(1.0 - np.abs(u - centre) / 90.0, 0.0, 1.0)
    body = (np.abs(xs - 240.0) < 95.0) & (ys > 110) & (ys < 600)
    img = np.zeros((H, W, 3), np.float32)
    img[:] = (200, 205, 210)
    lower = body & (v > boundary)
    img[body] = TOP
    if not plain:
        img[lower] = TROUSERS
    knee = np.array([L_HIP[0] + 5.0, L_HIP[1] + 190.0 - knee_up * 150.0])
    if knee_up > 0:
        # the raised thigh's top outline: from below the hip line up to 8-16 px above the
        # boundary, higher toward the body's side
        top = R_HIP[1] + 40.0 - knee_up * (93.0 + 0.12 * (xs - knee[0] + 34.0))
        thigh = (np.abs(xs - knee[0]) < 34.0) & (ys > top) & (ys < knee[1] + 20.0)
        img[thigh] = TROUSERS
    img += rng.normal(0.0, 2.0, img.shape)
    frame = cv2.GaussianBlur(np.clip(img, 0, 255).astype(np.uint8), (0, 0), 1.0)
    xy = np.full((33, 2), np.nan)
    xy[11], xy[12], xy[23], xy[24] = L_SH, R_SH, L_HIP, R_HIP
    xy[25], xy[26] = knee, np.array([R_HIP[0] - 5.0, R_HIP[1] + 190.0])
    return frame, xy


def _run(tracker: PelvisEdgeTracker, frames: list) -> np.ndarray:
    for i, (img, xy) in enumerate(frames):
        tracker.observe(Frame(i, i * 0.1, img), xy)
    return tracker.result().tilt_deg


@pytest.mark.parametrize("tilt", [-6.0, -3.0, 3.0, 8.0])
def test_reads_the_rotation_of_a_plain_garment_boundary(tilt: float) -> None:
    frames = [_frame(0.0, seed=i) for i in range(3)]
    frames += [_frame(tilt * k / 4, seed=10 + k) for k in range(1, 5)]  # turning, then held
    frames += [_frame(tilt, seed=20 + k) for k in range(4)]
    got = _run(PelvisEdgeTracker(), frames)
    assert np.isfinite(got).all(), got
    change = np.median(got[-4:]) - np.median(got[:3])
    assert change == pytest.approx(tilt, abs=0.35)


def test_reports_its_standard_error() -> None:
    frames = [_frame(0.0, seed=i) for i in range(4)]
    tracker = PelvisEdgeTracker()
    _run(tracker, frames)
    sigma = tracker.result().sigma_deg
    assert np.isfinite(sigma).all()
    assert (sigma > 0).all() and (sigma < 0.5).all()


def test_a_raised_thigh_in_front_is_left_out() -> None:
    """The lifted thigh (same colour as the top) hides the boundary on the lifted side and
    draws its own edge there; with a V-shaped waistband, fitting only the visible columns
    must still read the true (zero) rotation, because displacements from the boundary's
    own shape are fitted, not its absolute line."""
    frames = [_frame(0.0, vee_px=14.0, seed=i) for i in range(3)]
    frames += [_frame(0.0, vee_px=14.0, knee_up=k / 3, seed=10 + k) for k in range(1, 4)]
    frames += [_frame(0.0, vee_px=14.0, knee_up=1.0, seed=20 + k) for k in range(4)]
    got = _run(PelvisEdgeTracker(), frames)
    assert np.isfinite(got[-4:]).all(), got
    assert abs(np.median(got[-4:]) - np.median(got[:3])) < 0.5
    # and the same hold with a 6-degree rotation is still read
    frames[-4:] = [_frame(6.0, vee_px=14.0, knee_up=1.0, seed=30 + k) for k in range(4)]
    got = _run(PelvisEdgeTracker(), frames)
    assert np.median(got[-4:]) - np.median(got[:3]) == pytest.approx(6.0, abs=0.5)


def test_no_boundary_means_no_measurement() -> None:
    frames = [_frame(0.0, plain=True, seed=i) for i in range(4)]
    assert not np.isfinite(_run(PelvisEdgeTracker(), frames)).any()


def test_mirror_image_flips_the_sign() -> None:
    frames = [_frame(0.0, seed=i) for i in range(3)] + [_frame(5.0, seed=9 + k) for k in range(3)]
    got = _run(PelvisEdgeTracker(), frames)

    def mirrored(img: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = xy.copy()
        m[:, 0] = W - 1 - m[:, 0]
        return np.ascontiguousarray(img[:, ::-1]), m

    flipped = _run(PelvisEdgeTracker(), [mirrored(*f) for f in frames])
    a = np.median(got[-3:]) - np.median(got[:3])
    b = np.median(flipped[-3:]) - np.median(flipped[:3])
    assert a == pytest.approx(-b, abs=0.3)
