"""Synthetic pose tracks with known answers.

A stick figure (all 33 MediaPipe landmarks, adult proportions, 1.75 m tall) faces the camera and
does the whole protocol: quiet stance, the first foot lifts (ankle up about 15% of leg length,
hip flexed 30 degrees, knee 64 degrees), hold, down, quiet, the other foot, quiet.

The body is built in a frontal-plane body frame (metres, x toward the person's LEFT, y up, origin
on the floor between the ankles), moved, then projected to pixels: x_img = cx + s*x,
y_img = floor - s*y, so the person's LEFT appears on the IMAGE RIGHT (not mirrored).

What is applied, and how (nothing is read back from the answer):
- shift: the pelvis and everything above it translate toward the stance foot; the stance foot
  stays planted, the stance knee follows the hip-ankle line;
- drop: the pelvis (both hip landmarks) rotates in the frontal plane about the STANCE hip so
  that the LIFTED side goes down by ``drop_*_deg``; the lifted leg hangs from its hip;
- lean: the trunk, arms and head rotate about the (moved) hip midpoint toward the stance side;
- roll: the whole image is rotated about its centre (a tilted camera);
- noise: independent Gaussian pixel noise on every landmark; gaps: landmarks unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np

from stance.analysis.clean import clean_track
from stance.analysis.fuse import Band, RangeModel
from stance.analysis.judge import Thresholds, judge
from stance.analysis.measure import measure
from stance.analysis.pelvis import HipLineEstimator, PrecomputedTilt
from stance.analysis.quality import assess_quality
from stance.analysis.segment import segment
from stance.core.track import N_LANDMARKS, PoseTrack, Side

# Rest pose, body frame (metres): x toward the person's LEFT, y up, origin on the floor.
_REST = np.array(
    [
        (0.0, 1.60),  # 0 nose
        (0.015, 1.645),  # 1 left eye inner
        (0.032, 1.645),  # 2 left eye
        (0.045, 1.645),  # 3 left eye outer
        (-0.015, 1.645),  # 4 right eye inner
        (-0.032, 1.645),  # 5 right eye
        (-0.045, 1.645),  # 6 right eye outer
        (0.075, 1.625),  # 7 left ear
        (-0.075, 1.625),  # 8 right ear
        (0.025, 1.565),  # 9 mouth left
        (-0.025, 1.565),  # 10 mouth right
        (0.19, 1.43),  # 11 left shoulder
        (-0.19, 1.43),  # 12 right shoulder
        (0.23, 1.15),  # 13 left elbow
        (-0.23, 1.15),  # 14 right elbow
        (0.25, 0.88),  # 15 left wrist
        (-0.25, 0.88),  # 16 right wrist
        (0.255, 0.82),  # 17 left pinky
        (-0.255, 0.82),  # 18 right pinky
        (0.245, 0.80),  # 19 left index
        (-0.245, 0.80),  # 20 right index
        (0.235, 0.84),  # 21 left thumb
        (-0.235, 0.84),  # 22 right thumb
        (0.10, 0.93),  # 23 left hip
        (-0.10, 0.93),  # 24 right hip
        (0.11, 0.50),  # 25 left knee
        (-0.11, 0.50),  # 26 right knee
        (0.12, 0.08),  # 27 left ankle
        (-0.12, 0.08),  # 28 right ankle
        (0.115, 0.03),  # 29 left heel
        (-0.115, 0.03),  # 30 right heel
        (0.14, 0.01),  # 31 left foot index
        (-0.14, 0.01),  # 32 right foot index
    ]
)
_UPPER = np.arange(0, 23)  # head, trunk and arms
_LEG = {
    Side.LEFT: (23, 25, 27, 29, 31),
    Side.RIGHT: (24, 26, 28, 30, 32),
}  # hip knee ankle heel toe

BODY_HEIGHT_M = 1.75
QUIET_S = 2.0  # quiet stance before, between and after the lifts
MOVE_S = 0.7  # foot up / foot down
HIP_FLEX_DEG = 30.0
KNEE_FLEX_DEG = 64.0


def _smoothstep(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before t0, 1 after t1, a smooth cubic between."""
    u = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _rotate(v: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Rotate (T|1, ..., 2) vectors counter-clockwise (x right, y up) by (T,) angles."""
    shape = (-1,) + (1,) * (v.ndim - 2)
    c = np.cos(angle_rad).reshape(shape)
    s = np.sin(angle_rad).reshape(shape)
    x, y = v[..., 0], v[..., 1]
    return np.stack([c * x - s * y, s * x + c * y], axis=-1)


def make_test_track(
    *,
    drop_left_deg: float = 0.0,
    drop_right_deg: float = 0.0,
    lean_left_deg: float = 0.0,
    lean_right_deg: float = 0.0,
    shift_cm: float = 4.0,
    first: Side = Side.LEFT,
    roll_deg: float = 0.0,
    noise_px: float = 0.0,
    gaps: Sequence[tuple[float, float]] = (),
    fps: float = 30.0,
    hold_s: float = 5.0,
    width: int = 720,
    height: int = 1280,
    mirror: bool = False,
    lift_feet: bool = True,
    seed: int = 0,
) -> PoseTrack:
    """A synthetic track of the whole protocol (see the module docstring).

    ``drop_left_deg`` is the drop of the LEFT side while the LEFT foot is lifted (standing on the
    RIGHT leg: a positive value is a positive RIGHT Trendelenburg sign); ``lean_left_deg`` is the
    trunk lean toward the stance (RIGHT) side during that lift. ``*_right_*`` likewise for the
    RIGHT foot lifted. ``first`` is the foot lifted first. ``mirror`` returns the track of the
    mirror image (a selfie recording). ``lift_feet=False`` keeps both feet down throughout.
    """
    rng = np.random.default_rng(seed)
    cycle = MOVE_S + hold_s + MOVE_S + QUIET_S
    duration = QUIET_S + 2 * cycle
    t = np.arange(0.0, duration, 1.0 / fps)
    T = t.shape[0]
    pts = np.broadcast_to(_REST, (T, N_LANDMARKS, 2)).copy()

    # quiet sway of the whole body above the ankles (0.2 cm, 0.3 Hz)
    sway = 0.002 * np.sin(2 * np.pi * 0.3 * t)
    lifted_sides = (first, first.other) if lift_feet else ()
    for k, lifted in enumerate(lifted_sides):
        stance = lifted.other
        sigma = 1.0 if stance is Side.LEFT else -1.0  # +x is toward the person's LEFT
        drop = drop_left_deg if lifted is Side.LEFT else drop_right_deg
        lean = lean_left_deg if lifted is Side.LEFT else lean_right_deg
        t_up = QUIET_S + k * cycle
        t_down = t_up + MOVE_S + hold_s
        r_leg = _smoothstep(t, t_up, t_up + MOVE_S) - _smoothstep(t, t_down, t_down + MOVE_S)
        r_shift = _smoothstep(t, t_up - 0.3, t_up + 0.3) - _smoothstep(
            t, t_down + 0.4, t_down + 1.0
        )
        active = r_leg + r_shift > 0
        if not np.any(active):
            continue
        hold_sway = 0.004 * np.sin(2 * np.pi * 0.7 * (t - t_up)) * r_leg

        s_hip, s_knee, s_ankle, _, _ = _LEG[stance]
        l_hip, l_knee, l_ankle, l_heel, l_toe = _LEG[lifted]
        rest_mid = 0.5 * (_REST[23] + _REST[24])
        # pelvis: translate toward the stance foot, then rotate about the stance hip
        dx = sigma * (shift_cm / 100.0 * r_shift + hold_sway)
        stance_hip = _REST[s_hip] + np.stack([dx, np.zeros(T)], axis=-1)
        v = np.broadcast_to(_REST[l_hip] - _REST[s_hip], (T, 2))
        lifted_hip = stance_hip + _rotate(v, sigma * np.radians(drop) * r_leg)
        mid = 0.5 * (stance_hip + lifted_hip)

        new = pts.copy()
        # trunk, arms, head: carried by the hip midpoint, leaned toward the stance side
        upper = _REST[_UPPER][None] - rest_mid
        rot = -sigma * np.radians(lean) * r_leg
        new[:, _UPPER] = mid[:, None, :] + _rotate(upper, rot)
        # stance leg: foot planted, knee on the ankle-hip line at its rest proportion
        new[:, s_hip] = stance_hip
        a = _REST[s_ankle]
        frac = (_REST[s_knee, 1] - a[1]) / (_REST[s_hip, 1] - a[1])
        knee_offset = _REST[s_knee] - (a + frac * (_REST[s_hip] - a))
        new[:, s_knee] = a + frac * (stance_hip - a) + knee_offset
        # lifted leg: hangs from its hip, hip and knee flexed (seen from the front)
        th = np.radians(HIP_FLEX_DEG) * r_leg
        tk = np.radians(KNEE_FLEX_DEG) * r_leg
        thigh = _REST[l_hip, 1] - _REST[l_knee, 1]
        shank = _REST[l_knee, 1] - _REST[l_ankle, 1]
        zero = np.zeros(T)
        new[:, l_hip] = lifted_hip
        knee = lifted_hip + np.stack(
            [zero + _REST[l_knee, 0] - _REST[l_hip, 0], -thigh * np.cos(th)], axis=-1
        )
        ankle = knee + np.stack(
            [zero + _REST[l_ankle, 0] - _REST[l_knee, 0], -shank * np.cos(tk - th)], axis=-1
        )
        new[:, l_knee] = knee
        new[:, l_ankle] = ankle
        for j in (l_heel, l_toe):
            off = _REST[j] - _REST[l_ankle]
            new[:, j] = ankle + np.stack([zero + off[0], off[1] * np.cos(tk - th)], axis=-1)
        pts = np.where(active[:, None, None], new, pts)

    above_feet = np.ones(N_LANDMARKS, dtype=bool)
    above_feet[[27, 28, 29, 30, 31, 32]] = False
    pts[:, above_feet, 0] += sway[:, None]

    # project to pixels, then roll the camera about the image centre
    scale = 0.62 * height / BODY_HEIGHT_M
    cx, floor = width / 2.0, 0.88 * height
    xy = np.stack([cx + scale * pts[..., 0], floor - scale * pts[..., 1]], axis=-1)
    if roll_deg:
        c = np.array([width / 2.0, height / 2.0])
        a = np.radians(roll_deg)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        xy = (xy - c) @ rot.T + c
    if noise_px:
        xy = xy + rng.normal(0.0, noise_px, xy.shape)

    world = np.zeros((T, N_LANDMARKS, 3))
    mid_hip = 0.5 * (pts[:, 23] + pts[:, 24])
    world[..., 0] = pts[..., 0] - mid_hip[:, None, 0]
    world[..., 1] = -(pts[..., 1] - mid_hip[:, None, 1])
    visibility = np.full((T, N_LANDMARKS), 0.99)
    presence = np.full((T, N_LANDMARKS), 0.99)
    n_people = np.ones(T, dtype=np.int32)
    for g0, g1 in gaps:
        gap = (t >= g0) & (t < g1)
        xy[gap] = np.nan
        world[gap] = np.nan
        visibility[gap] = 0.0
        presence[gap] = 0.0
        n_people[gap] = 0

    track = PoseTrack(
        t_s=t,
        xy=xy,
        visibility=visibility,
        presence=presence,
        world=world,
        frame_size=(width, height),
        n_people=n_people,
    )
    return track.mirrored() if mirror else track


def phase_times(*, first: Side = Side.LEFT, hold_s: float = 5.0) -> list[tuple[Side, float, float]]:
    """(lifted side, foot starts up, foot starts down) of the two lifts of ``make_test_track``."""
    cycle = MOVE_S + hold_s + MOVE_S + QUIET_S
    out = []
    for k, side in enumerate((first, first.other)):
        t_up = QUIET_S + k * cycle
        out.append((side, t_up, t_up + MOVE_S + hold_s))
    return out


EXACT = RangeModel(Band.CREST, read_min=1.0)
"""The synthetic hip landmarks are the pelvis (no lifted thigh pulls them): read exactly."""


def exact_pelvis(track: PoseTrack) -> PrecomputedTilt:
    """The synthetic track's pelvis tilt from its hip landmarks, with the range model of an
    exact reading (the product's ``hip_line`` range holds its large validated error)."""
    return PrecomputedTilt("synthetic_hips", HipLineEstimator().tilt_deg(track), EXACT)


def analyse(track: PoseTrack, *, age: int | None = None) -> SimpleNamespace:
    """Run clean -> segment -> quality -> measure (exact hips) -> judge; all stages returned."""
    cleaned = clean_track(track)
    seg = segment(cleaned)
    quality = assess_quality(track, seg, min_hold_s=Thresholds().min_hold_s)
    meas = measure(cleaned, seg, pelvis=exact_pelvis(cleaned))
    verdict = judge(meas, quality, age=age)
    return SimpleNamespace(cleaned=cleaned, seg=seg, quality=quality, meas=meas, verdict=verdict)
