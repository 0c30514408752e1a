"""Pelvis tilt from a garment or skin boundary near the pelvis, tracked as a line in the image.

Independent evidence next to the waist-band texture tracker (``pelvis_image``): most clothes
draw one strong, nearly horizontal boundary across the body near the pelvis (the top edge of
trousers or leggings, the hem of a top over them, a belt, the edge of a bare midriff). Plain
clothes with little texture still have it, and its angle is the angle of the garment at the
pelvis.

Method (one parameter set for every clip):

1. Canvas. Per frame the body is resampled into a canvas aligned with the torso (origin at the
   hip-landmark midpoint, axes across and along hip-mid -> shoulder-mid, ``px_per_torso``
   canvas pixels per torso length ``L``), ``+-half_width`` L across and from ``y_low`` to
   ``y_high`` L above the hip line, in colour.
2. Boundary. The vertical colour step at each canvas pixel is projected on the step colour of
   the boundary being followed (so the tracked edge keeps its polarity: dark-over-light is not
   confused with light-over-dark). The first usable frame picks the boundary: the row band
   with the strongest step present across most columns.
3. Per frame, each column's boundary position is searched within ``search`` L of where it
   was (sub-pixel peak); columns with a weak step (below ``min_strength`` of the reference)
   are dropped, and a line is fitted by iteratively re-weighted least squares (Tukey), so a
   hand or the lifted thigh in front of part of the edge drops out.
4. Honesty. NaN when fewer than ``min_columns`` of the columns agree, or when the fitted
   angle's standard error is above ``max_sigma_deg``.

Output: one tilt per observed frame in the convention of the hip-landmark line
(``degrees(atan2(-(yL - yR), xL - xR))``: positive when the person's LEFT side is higher in
an unmirrored frontal view), and its standard error. Only differences are meant to be used.
OpenCV is imported lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .pelvis_image import _geometry


@dataclass(frozen=True)
class PelvisEdgeResult:
    """Per-frame tilt of the tracked boundary.

    Attributes:
        t_s: (T,) seconds, one per observed frame.
        tilt_deg: (T,) degrees (+ = person's LEFT side higher), NaN where not measured.
        sigma_deg: (T,) standard error of each frame's tilt, degrees (NaN where not measured).
    """

    t_s: np.ndarray
    tilt_deg: np.ndarray
    sigma_deg: np.ndarray


class PelvisEdgeTracker:
    """Frame observer following one garment/skin boundary near the pelvis (module docstring).

    Args:
        px_per_torso: canvas pixels per torso length.
        half_width: canvas half-width across the torso, torso lengths.
        y_low: canvas bottom above the hip-landmark line, torso lengths (negative: below).
        y_high: canvas top above the hip-landmark line, torso lengths.
        search: how far a column's boundary is searched from its last position, torso lengths.
        min_strength: a column counts when its step is at least this share of the reference.
        min_step: the reference boundary needs at least this colour step (grey levels).
        min_columns: share of the columns that must agree with the fitted line.
        tukey: Tukey cut-off of the robust line fit, canvas pixels.
        max_sigma_deg: NaN when the fitted angle's standard error exceeds this.
        max_edges: at most this many boundaries are followed (their changes are combined).
        min_gap: chosen boundaries are at least this far apart, torso lengths.
    """

    name = "pelvis_edge"

    def __init__(
        self,
        *,
        px_per_torso: float = 160.0,
        half_width: float = 0.28,
        y_low: float = -0.05,
        y_high: float = 0.4,
        search: float = 0.05,
        min_strength: float = 0.4,
        min_step: float = 12.0,
        min_columns: float = 0.4,
        tukey: float = 2.5,
        max_sigma_deg: float = 1.5,
        max_edges: int = 1,
        min_gap: float = 0.04,
    ) -> None:
        if not (y_high > y_low and half_width > 0 and px_per_torso > 0):
            raise ValueError("pelvis edge canvas: need y_high > y_low and half_width > 0")
        self.px_per_torso = px_per_torso
        self.half_width = half_width
        self.y_low = y_low
        self.y_high = y_high
        self.search = search
        self.min_strength = min_strength
        self.min_step = min_step
        self.min_columns = min_columns
        self.tukey = tukey
        self.max_sigma_deg = max_sigma_deg
        self.max_edges = max_edges
        self.min_gap = min_gap
        self._t: list[float] = []
        self._tilt: list[float] = []
        self._sigma: list[float] = []
        self._edges: list[_Edge] = []  # the followed boundaries (chosen on the first frame)

    def observe(self, frame: Any, xy: np.ndarray | None) -> None:
        """Measure one frame (``frame.t_s``, ``frame.image`` BGR uint8; ``xy`` (33, 2) px)."""
        self._t.append(float(frame.t_s))
        geo = None if xy is None else _geometry(np.asarray(xy, dtype=np.float64))
        if geo is None:
            self._push(math.nan, math.nan)
            return
        canvas = self._canvas(np.asarray(frame.image), geo)
        step = canvas[2:] - canvas[:-2]  # (H-2, W, 3) vertical colour step, rows 1..H-2
        if not self._edges:
            self._edges = self._pick(step)
            if not self._edges:
                self._push(math.nan, math.nan)
                return
        self._push(*self._combine([self._follow(e, step, geo.axis) for e in self._edges]))

    def result(self) -> PelvisEdgeResult:
        """Everything observed so far."""
        return PelvisEdgeResult(
            t_s=np.asarray(self._t, dtype=np.float64),
            tilt_deg=np.asarray(self._tilt, dtype=np.float64),
            sigma_deg=np.asarray(self._sigma, dtype=np.float64),
        )

    @property
    def last_tilt_deg(self) -> float:
        """The latest frame's tilt (NaN if none), O(1), for live display."""
        return self._tilt[-1] if self._tilt else math.nan

    # ------------------------------------------------------------------ internals
    def _push(self, tilt: float, sigma: float) -> None:
        self._tilt.append(tilt)
        self._sigma.append(sigma)

    def _canvas(self, image: np.ndarray, geo: Any) -> np.ndarray:
        """(H, W, 3) float32 colour canvas aligned with the torso (rows go DOWN the body)."""
        import cv2

        P = self.px_per_torso
        w = round(2 * self.half_width * P)
        h = round((self.y_high - self.y_low) * P)
        k = geo.torso / P  # image px per canvas px
        c, s = math.cos(geo.axis), math.sin(geo.axis)
        R = np.array([[c, -s], [s, c]]) * k
        t0 = geo.hip - R @ np.array([w / 2.0, self.y_high * P])
        g = np.hstack([R, t0[:, None]])
        src = image
        while k > 2.0 and min(src.shape[:2]) > 8:  # shrink first so that sampling does not alias
            src = cv2.pyrDown(src)
            g = g / 2.0
            k /= 2.0
        out = cv2.warpAffine(
            src.astype(np.float32),
            g,
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return np.asarray(cv2.GaussianBlur(out, (0, 0), 1.0), dtype=np.float32)

    def _pick(self, step: np.ndarray) -> list[_Edge]:
        """The boundaries to follow, chosen on this frame: up to ``max_edges`` rows whose
        colour step is present across most columns (a row's score is the 30th percentile of
        the step over the columns), at least 0.35 times as strong as the strongest, apart from
        each other by ``min_gap`` torso lengths."""
        mag = np.linalg.norm(step, axis=-1)  # (H-2, W)
        score = np.percentile(mag, 30, axis=1)
        gap = max(2, round(self.min_gap * self.px_per_torso))
        edges: list[_Edge] = []
        for r in np.argsort(-score):
            if score[r] < max(self.min_step, 0.35 * score.max()) or len(edges) >= self.max_edges:
                break
            if any(abs(int(r) + 1 - e.row0) < gap for e in edges):
                continue
            colour = np.median(step[max(0, r - 1) : r + 2].reshape(-1, 3), axis=0)
            n = float(np.linalg.norm(colour))
            if n >= self.min_step:
                edges.append(_Edge(colour / n, n, int(r) + 1, np.full(step.shape[1], r + 1.0)))
        return edges

    def _follow(self, edge: _Edge, step: np.ndarray, axis: float) -> tuple[float, float]:
        """Tilt change of one boundary since it was chosen and its standard error (degrees);
        NaN when it was not found well enough on this frame."""
        resp = step @ edge.colour  # (H-2, W) signed step along the boundary's colour
        H, W = resp.shape
        rad = max(2, round(self.search * self.px_per_torso))
        rows = np.full(W, np.nan)
        for x in range(W):
            c = round(float(edge.rows[x])) - 1
            lo, hi = max(0, c - rad), min(H, c + rad + 1)
            if hi - lo < 3:
                continue
            col = resp[lo:hi, x]
            i = int(np.argmax(col))
            if col[i] < self.min_strength * edge.strength:
                continue
            off = 0.0
            if 0 < i < len(col) - 1:
                a, b, cc = float(col[i - 1]), float(col[i]), float(col[i + 1])
                den = a - 2 * b + cc
                if den < 0:
                    off = min(0.5, max(-0.5, 0.5 * (a - cc) / den))
            rows[x] = lo + i + off + 1
        fit = _robust_line(np.arange(W, dtype=np.float64), rows, tukey=self.tukey)
        if fit is None:
            return math.nan, math.nan
        a, b, se_b, used = fit
        sigma = math.degrees(se_b / (1.0 + b * b))
        if used < self.min_columns * W or sigma > self.max_sigma_deg:
            return math.nan, math.nan
        # follow the boundary: columns not found (or off the line) take the fitted line
        line = a + b * np.arange(W, dtype=np.float64)
        keep = np.isfinite(rows) & (np.abs(rows - line) < 2 * self.tukey)
        edge.rows = np.where(keep, rows, line)
        # the line's direction (1, b) in the canvas is rotated by the torso axis on screen
        # (convention of pelvis_image: minus the torso axis when the boundary is square to it)
        tilt = -(math.degrees(math.atan(b)) + math.degrees(axis))
        if edge.tilt0 is None:
            edge.tilt0 = tilt
        return tilt - edge.tilt0, sigma

    def _combine(self, got: list[tuple[float, float]]) -> tuple[float, float]:
        """One tilt from the boundaries' changes: their inverse-variance mean after dropping
        those more than 3 standard errors (and 1 degree) from the weighted median, expressed
        on the first boundary's absolute angle. NaN when none was found."""
        ok = [(t, s) for t, s in got if math.isfinite(t)]
        if not ok or self._edges[0].tilt0 is None:
            return math.nan, math.nan
        t = np.array([v[0] for v in ok])
        s = np.maximum(np.array([v[1] for v in ok]), 0.05)
        w = 1.0 / s**2
        order = np.argsort(t)
        cum = np.cumsum(w[order])
        med = float(t[order][np.searchsorted(cum, 0.5 * cum[-1])])
        keep = np.abs(t - med) <= np.maximum(3.0 * s, 1.0)
        w = w * keep
        tilt = float((w * t).sum() / w.sum())
        return self._edges[0].tilt0 + tilt, float(1.0 / math.sqrt(w.sum()))


@dataclass
class _Edge:
    """One followed boundary: its step colour (3,) unit, step size, chosen row, last rows
    per column (W,) in canvas px, and its tilt when first measured (degrees)."""

    colour: np.ndarray
    strength: float
    row0: int
    rows: np.ndarray
    tilt0: float | None = None


def _robust_line(
    x: np.ndarray, y: np.ndarray, *, tukey: float, iters: int = 8
) -> tuple[float, float, float, int] | None:
    """Fit y = a + b x robustly (Tukey IRLS from least squares): (a, b, SE of b, inliers)."""
    ok = np.isfinite(y)
    if ok.sum() < 5:
        return None
    x, y = x[ok], y[ok]
    w = np.ones_like(x)
    a = b = 0.0
    for it in range(iters):
        sw = w.sum()
        if sw < 5:
            return None
        xm, ym = (w * x).sum() / sw, (w * y).sum() / sw
        sxx = (w * (x - xm) ** 2).sum()
        if sxx <= 0:
            return None
        b = float((w * (x - xm) * (y - ym)).sum() / sxx)
        a = float(ym - b * xm)
        r = y - (a + b * x)
        c = tukey * max(1.0, 4.0 / 2**it)
        w = np.where(np.abs(r) < c, (1 - (r / c) ** 2) ** 2, 0.0)
    inl = w > 0
    n = int(inl.sum())
    if n < 5:
        return None
    r = y[inl] - (a + b * x[inl])
    s2 = float((r**2).sum() / (n - 2))
    sxx = float(((x[inl] - x[inl].mean()) ** 2).sum())
    se_b = math.sqrt(max(s2, 0.05) / sxx)
    return a, b, se_b, n
