"""The torso-aligned canvas both image estimators read the pelvis from.

`torso_geometry` finds the torso in one frame from the shoulder and hip landmarks;
`torso_map` lays a canvas along it (columns across the torso, rows down it, a fixed number of
canvas pixels per torso length, so the canvas is the same whatever the person's size or
distance); `sample_canvas` samples the image through that map without aliasing. The texture
tracker (`stance.vision.pelvis_texture`) matches cells of this canvas from frame to frame; the
edge tracker (`stance.vision.pelvis_edge`) fits a boundary line in it. OpenCV is imported
lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stance.core.track import LM


@dataclass(frozen=True)
class TorsoGeometry:
    """Where the torso is in one frame (from the shoulder and hip landmarks); the image
    estimators lay out their canvases from it."""

    hip: np.ndarray  # hip-landmark midpoint, px
    anchor: np.ndarray  # mean of shoulders and hips, px (moves less with a lifted thigh)
    torso: float  # hip-mid to shoulder-mid, px
    axis: float  # torso axis angle from image vertical, rad (y down, clockwise positive)


def torso_geometry(xy: np.ndarray) -> TorsoGeometry | None:
    """The torso of (33, 2) landmarks in pixels; None when a shoulder or hip is unknown or the
    torso is under 8 px."""
    if xy.shape[0] <= LM.RIGHT_HIP:
        return None
    pts = xy[[LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP]]
    if not np.all(np.isfinite(pts)):
        return None
    hip = (pts[2] + pts[3]) / 2.0
    up = (pts[0] + pts[1]) / 2.0 - hip
    torso = float(np.hypot(up[0], up[1]))
    if torso < 8.0:
        return None
    # angle that rotates "up" (0, -1) onto the torso axis, y down
    axis = math.atan2(up[0], -up[1])
    return TorsoGeometry(hip=hip, anchor=pts.mean(axis=0), torso=torso, axis=axis)


def thigh_columns(
    xy: np.ndarray,
    geo: TorsoGeometry,
    *,
    n_cols: int,
    centre_col: float,
    px_per_torso: float,
    raised_knee: float,
    thigh_half_width: float,
) -> np.ndarray:
    """(n_cols,) bool: the canvas columns over a raised thigh (canvas column ``centre_col`` is
    on the torso axis, ``px_per_torso`` columns per torso length).

    A flexed thigh pulls the skin and garments over its own hip up (by 1-4 degrees of line
    tilt at 25 degrees of hip flexion on realistic bodies, several times that at 70), and from
    about 35 degrees on it comes toward the camera in front of the pelvis, where its outline
    or a trouser fold would be taken for the pelvis; the image estimators leave those columns
    out, so the pelvis is read from the standing side and the middle. Raised: the knee's
    distance below its hip landmark (along the torso axis) less than ``raised_knee`` times the
    other knee's (0.95: about 18 degrees of hip flexion; a pelvic drop alone moves the knees by
    about 0.03). A raised thigh covers the columns from its hip to its knee, widened by
    ``thigh_half_width`` torso lengths."""
    hidden = np.zeros(n_cols, dtype=bool)
    c, s = math.cos(geo.axis), math.sin(geo.axis)
    across, down = np.array([c, s]), np.array([-s, c])
    legs = [(xy[h], xy[k]) for h, k in ((LM.LEFT_HIP, LM.LEFT_KNEE), (LM.RIGHT_HIP, LM.RIGHT_KNEE))]
    reach = [
        float((k - h) @ down) if np.all(np.isfinite(h)) and np.all(np.isfinite(k)) else np.nan
        for h, k in legs
    ]
    if not np.any(np.isfinite(reach)):
        return hidden
    longest = np.nanmax(reach)
    for (hip, knee), d in zip(legs, reach, strict=True):
        if not (np.isfinite(d) and d < raised_knee * longest):
            continue
        us = [((p - geo.hip) @ across) / geo.torso for p in (hip, knee)]
        lo = centre_col + (min(us) - thigh_half_width) * px_per_torso
        hi = centre_col + (max(us) + thigh_half_width) * px_per_torso
        hidden[max(0, math.floor(lo)) : max(0, math.ceil(hi))] = True
    return hidden


def torso_map(geo: TorsoGeometry, px_per_torso: float, hip_uv: tuple[float, float]) -> np.ndarray:
    """2x3 map from a torso-aligned canvas to the image: canvas columns (u) across the torso,
    rows (v) down it, ``px_per_torso`` canvas px per torso length, the hip-landmark midpoint
    at canvas point ``hip_uv``."""
    k = geo.torso / px_per_torso  # image px per canvas px
    c, s = math.cos(geo.axis), math.sin(geo.axis)
    R = np.array([[c, -s], [s, c]]) * k
    t0 = geo.hip - R @ np.asarray(hip_uv, dtype=np.float64)
    return np.hstack([R, t0[:, None]])


def sample_canvas(
    image: np.ndarray, g: np.ndarray, size: tuple[int, int], *, grey: bool, blur: float
) -> np.ndarray:
    """``image`` sampled through ``g`` (canvas -> image) into a (h, w[, 3]) float32 canvas of
    ``size`` (w, h), grey or colour, Gaussian-blurred by ``blur`` canvas px. Only the part of
    the image under the canvas is converted, and it is shrunk first (pyramid) so that the
    sampling does not alias."""
    import cv2

    w, h = size
    corners = g[:, :2] @ np.array([[0.0, w, 0.0, w], [0.0, 0.0, h, h]]) + g[:, 2:]
    k = math.hypot(g[0, 0], g[1, 0])
    m = 4.0 * max(k, 1.0) + 2.0
    H, W = image.shape[:2]
    x0 = int(np.clip(math.floor(corners[0].min() - m), 0, W - 1))
    x1 = int(np.clip(math.ceil(corners[0].max() + m), x0 + 1, W))
    y0 = int(np.clip(math.floor(corners[1].min() - m), 0, H - 1))
    y1 = int(np.clip(math.ceil(corners[1].max() + m), y0 + 1, H))
    src = image[y0:y1, x0:x1]
    if grey:
        src = _gray(src)
    gg = g.copy()
    gg[:, 2] -= (x0, y0)
    while k > 2.0 and min(src.shape[:2]) > 4:
        src = cv2.pyrDown(src)
        gg = gg / 2.0
        k /= 2.0
    out = cv2.warpAffine(
        src.astype(np.float32),
        gg,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    return np.asarray(out, dtype=np.float32)


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    img = np.asarray(image)
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
