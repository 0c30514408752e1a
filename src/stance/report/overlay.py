"""Drawing primitives for overlays on video frames (annotated video, HTML key frames, live).

Images are (H, W, 3) uint8 BGR arrays drawn on IN PLACE; points are pixels of that image
(x right, y down); colours are BGR tuples. OpenCV is imported inside the functions, so
importing this module is cheap.

Angles on screen follow `stance.analysis.pelvis`: ``degrees(atan2(-dy, dx))`` of the vector from the
person's RIGHT hip to the LEFT hip, so counter-clockwise on screen is positive and a level
pelvis in a non-mirrored frontal view reads about 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from stance.core.track import LM, Side

BONES: tuple[tuple[int, int], ...] = (
    (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER),
    (LM.LEFT_SHOULDER, LM.LEFT_ELBOW),
    (LM.LEFT_ELBOW, LM.LEFT_WRIST),
    (LM.RIGHT_SHOULDER, LM.RIGHT_ELBOW),
    (LM.RIGHT_ELBOW, LM.RIGHT_WRIST),
    (LM.LEFT_SHOULDER, LM.LEFT_HIP),
    (LM.RIGHT_SHOULDER, LM.RIGHT_HIP),
    (LM.LEFT_HIP, LM.LEFT_KNEE),
    (LM.LEFT_KNEE, LM.LEFT_ANKLE),
    (LM.LEFT_ANKLE, LM.LEFT_HEEL),
    (LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
    (LM.RIGHT_HIP, LM.RIGHT_KNEE),
    (LM.RIGHT_KNEE, LM.RIGHT_ANKLE),
    (LM.RIGHT_ANKLE, LM.RIGHT_HEEL),
    (LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
)
"""Landmark index pairs drawn as the skeleton (trunk, arms, legs, feet)."""

JOINTS: tuple[int, ...] = tuple(sorted({i for bone in BONES for i in bone}))

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
ORANGE = (0, 200, 255)  # joints
GREY = (170, 170, 170)  # pelvis line without a drop value
GREEN = (0, 200, 0)  # drop below half the threshold
AMBER = (0, 191, 255)  # drop below the threshold
RED = (40, 40, 230)  # drop at or above the threshold
QUIET_GREEN = (0, 220, 0)  # the quiet-stance pelvis line

PELVIS_LINE_LENGTH = 1.8
"""Length of the drawn pelvis line, in hip-landmark distances."""


def scale_for(shape: tuple[int, ...]) -> int:
    """Line and text scale unit for an image of ``shape`` (H, W, ...): 1 per 500 px."""
    h, w = shape[:2]
    return max(1, round(max(h, w) / 500))


def _pt(p: np.ndarray) -> tuple[int, int] | None:
    """A (2,) pixel point as an int tuple for OpenCV; None if not finite."""
    if not np.all(np.isfinite(p)):
        return None
    return round(float(p[0])), round(float(p[1]))


def draw_skeleton(img: np.ndarray, xy: np.ndarray, s: int) -> None:
    """White bones and orange joints of the (33, 2) pixel landmarks ``xy``; NaN points skipped."""
    import cv2

    for i, j in BONES:
        p, q = _pt(xy[i]), _pt(xy[j])
        if p is not None and q is not None:
            cv2.line(img, p, q, WHITE, 2 * s, cv2.LINE_AA)
    for i in JOINTS:
        p = _pt(xy[i])
        if p is not None:
            cv2.circle(img, p, 3 * s, ORANGE, -1, cv2.LINE_AA)


def drop_colour(drop_deg: float, threshold_deg: float) -> tuple[int, int, int]:
    """BGR colour of a pelvic drop (degrees): grey if NaN, green below half the threshold,
    amber below the threshold, red at or above it."""
    if not math.isfinite(drop_deg):
        return GREY
    if drop_deg < threshold_deg / 2:
        return GREEN
    if drop_deg < threshold_deg:
        return AMBER
    return RED


def hip_angle_deg(xy: np.ndarray) -> float:
    """Screen angle (degrees, `stance.analysis.pelvis` convention) of the hip-landmark line.

    ``xy`` is (33, 2) for one frame or (N, 33, 2) for several, whose median right->left
    vector is used (frames without both hips are left out). NaN when there is none.
    """
    pts = np.asarray(xy, dtype=float).reshape(-1, xy.shape[-2], 2)
    v = pts[:, LM.LEFT_HIP] - pts[:, LM.RIGHT_HIP]
    v = v[np.all(np.isfinite(v), axis=-1)]
    if not v.shape[0]:
        return float("nan")
    med = np.median(v, axis=0)
    return float(np.degrees(np.arctan2(-med[1], med[0])))


def pelvis_angle_deg(
    baseline_hip_angle_deg: float, tilt_deg: float, baseline_tilt_deg: float
) -> float:
    """The measured pelvis line on screen, degrees: the quiet-stance hip-landmark line turned
    by the measured tilt change ``tilt_deg - baseline_tilt_deg`` (all `stance.analysis.pelvis`
    convention), wrapped to [-180, 180)."""
    a = baseline_hip_angle_deg + (tilt_deg - baseline_tilt_deg)
    return (a + 180.0) % 360.0 - 180.0


def tilt_change_deg(drop_deg: float, lifted: Side) -> float:
    """Pelvis tilt change (degrees, + = person's LEFT side higher) that a drop of the
    ``lifted`` side (+ = lifted side lower) means; inverse of `stance.analysis.measure`'s
    signing."""
    return -drop_deg if lifted is Side.LEFT else drop_deg


def pelvis_endpoints(xy: np.ndarray, angle_deg: float) -> np.ndarray | None:
    """(2, 2) pixel endpoints [right_end, left_end] of a pelvis line at screen angle
    ``angle_deg`` through the hip-landmark midpoint, ``PELVIS_LINE_LENGTH`` hip distances
    long. ``xy`` is (33, 2) pixels. None if a hip or the angle is not finite."""
    left, right = xy[LM.LEFT_HIP], xy[LM.RIGHT_HIP]
    if not (np.all(np.isfinite(left)) and np.all(np.isfinite(right)) and math.isfinite(angle_deg)):
        return None
    mid = (left + right) / 2.0
    half = PELVIS_LINE_LENGTH / 2.0 * float(np.hypot(*(left - right)))
    a = math.radians(angle_deg)
    d = half * np.array([math.cos(a), -math.sin(a)])  # toward the left end, y down
    return np.stack([mid - d, mid + d])


def draw_line(
    img: np.ndarray, pts: np.ndarray, colour: tuple[int, int, int], thickness: int
) -> None:
    """Anti-aliased line between the two (2, 2) pixel points ``pts``."""
    import cv2

    p, q = _pt(pts[0]), _pt(pts[1])
    if p is not None and q is not None:
        cv2.line(img, p, q, colour, thickness, cv2.LINE_AA)


def draw_pelvis(
    img: np.ndarray,
    xy: np.ndarray,
    *,
    s: int,
    angle_deg: float,
    colour: tuple[int, int, int],
    quiet_angle_deg: float | None = None,
) -> None:
    """The pelvis line at ``angle_deg`` (thick, ``colour``) over the thin green quiet-stance
    line at ``quiet_angle_deg`` (if given), both through the hip midpoint of (33, 2) ``xy``."""
    if quiet_angle_deg is not None:
        quiet = pelvis_endpoints(xy, quiet_angle_deg)
        if quiet is not None:
            draw_line(img, quiet, QUIET_GREEN, 2 * s)
    pts = pelvis_endpoints(xy, angle_deg)
    if pts is not None:
        draw_line(img, pts, colour, 3 * s)


def _strokes(s: int, size: float) -> tuple[int, int]:
    """(text thickness, outline width) in pixels for font scale ``size * s``."""
    return max(1, round(2.5 * size * s)), max(1, round(1.2 * size * s))


def text_size(text: str, *, s: int, size: float = 0.7) -> tuple[int, int]:
    """(width, height) in pixels of ``text`` as `put_text` draws it (outline included)."""
    import cv2

    thick, outline = _strokes(s, size)
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size * s, thick)
    return w + 2 * outline, h + base + 2 * outline


def line_height(*, s: int, size: float = 0.7) -> int:
    """Pixels from one text baseline to the next at font scale ``size * s``."""
    return text_size("Ag", s=s, size=size)[1] + s


def put_text(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    *,
    s: int,
    colour: tuple[int, int, int] = WHITE,
    size: float = 0.7,
) -> None:
    """``text`` with its baseline-left at ``org`` (pixels), coloured over a black outline,
    FONT_HERSHEY_SIMPLEX at font scale ``size * s``.

    The outline is the same text drawn shifted around it, not a thicker stroke: OpenCV 5
    draws thicker text as a bolder, wider font, which would not line up.
    """
    import cv2

    thick, r = _strokes(s, size)
    font = cv2.FONT_HERSHEY_SIMPLEX
    x, y = org
    for dx, dy in ((-r, -r), (0, -r), (r, -r), (-r, 0), (r, 0), (-r, r), (0, r), (r, r)):
        cv2.putText(img, text, (x + dx, y + dy), font, size * s, BLACK, thick, cv2.LINE_AA)
    cv2.putText(img, text, org, font, size * s, colour, thick, cv2.LINE_AA)


def put_pieces(
    img: np.ndarray,
    pieces: Sequence[tuple[str, tuple[int, int, int]]],
    org: tuple[int, int],
    *,
    s: int,
    size: float = 0.7,
) -> None:
    """Several (text, colour) pieces on one line, left to right from ``org``."""
    x, y = org
    for text, colour in pieces:
        put_text(img, text, (x, y), s=s, colour=colour, size=size)
        x += text_size(text, s=s, size=size)[0]


def fit_size(lines: Sequence[str], width: int, *, s: int, size: float) -> float:
    """The largest font size <= ``size`` at which every line fits in ``width`` pixels."""
    widest = max((text_size(t, s=s, size=size)[0] for t in lines), default=0)
    return size if widest <= width else size * width / widest
