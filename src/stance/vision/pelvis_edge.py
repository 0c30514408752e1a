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
   confused with light-over-dark). The first usable frame picks the boundary: the row with
   the strongest step present across most columns that lies square to the torso.
3. Per frame, each column's boundary position is searched within ``search`` L of where it
   was (sub-pixel peak); columns with a weak step (below ``min_strength`` of the reference)
   are dropped, and so are the columns a raised thigh may cover; a line is fitted to the
   displacement from the boundary's own first shape by iteratively re-weighted least squares
   (Tukey), so a hand in front of part of the edge drops out and a curved boundary with
   hidden columns reads no tilt.
4. Honesty. NaN when fewer than ``min_columns`` of the visible columns agree, when the fitted
   angle's standard error is above ``max_sigma_deg``, or when it jumps faster than
   ``max_rate_deg_s``.

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

from stance.analysis.fuse import CREST_BAND_L
from stance.analysis.pelvis import Estimator
from stance.vision.torso_canvas import (
    TorsoGeometry,
    sample_canvas,
    thigh_columns,
    torso_geometry,
    torso_map,
)


@dataclass(frozen=True)
class PelvisEdgeResult:
    """Per-frame tilt of the tracked boundary.

    Attributes:
        t_s: (T,) seconds, one per observed frame.
        tilt_deg: (T,) degrees (+ = person's LEFT side higher), NaN where not measured.
        sigma_deg: (T,) standard error of each frame's tilt, degrees (NaN where not measured).
        height_l: height of the followed boundary above the hip-landmark line where it was
            chosen, torso lengths (NaN when none was found): what it reads of the pelvis
            depends on it (`stance.analysis.fuse.range_model_at`).
    """

    t_s: np.ndarray
    tilt_deg: np.ndarray
    sigma_deg: np.ndarray
    height_l: float = math.nan


@dataclass(frozen=True)
class EdgeParams:
    """The boundary tracker's parameters (`PelvisEdgeTracker`; recorded in the JSON's
    ``settings.edge``). Lengths are in torso lengths (hip-mid to shoulder-mid) unless a unit
    is named.

    Attributes:
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
        raised_knee: a knee less than this share of the other knee's distance below its hip
            (along the torso) is raised: the columns its thigh may cover are left out
            (``_thigh_columns``).
        thigh_half_width: half-width of a thigh, torso lengths.
        max_skew_deg: a boundary is followed only if it is this square to the torso.
        max_rate_deg_s: NaN when a boundary turns faster than this (plus 3 degrees) since it
            was last found (the pelvis does not; a jump to another edge does).
        prefer_below: boundaries up to this height above the hip line (torso lengths: the top
            of the crest band, `stance.analysis.fuse.CREST_BAND_L`) are preferred.
    """

    px_per_torso: float = 160.0
    half_width: float = 0.28
    y_low: float = -0.05
    y_high: float = 0.4
    search: float = 0.05
    min_strength: float = 0.4
    min_step: float = 12.0
    min_columns: float = 0.4
    tukey: float = 2.5
    max_sigma_deg: float = 1.5
    raised_knee: float = 0.95
    thigh_half_width: float = 0.15
    max_skew_deg: float = 6.0
    max_rate_deg_s: float = 40.0
    prefer_below: float = CREST_BAND_L[1]

    def __post_init__(self) -> None:
        if not (self.y_high > self.y_low and self.half_width > 0 and self.px_per_torso > 0):
            raise ValueError("pelvis edge canvas: need y_high > y_low and half_width > 0")


class PelvisEdgeTracker:
    """Frame observer following one garment/skin boundary near the pelvis (module docstring).

    Its parameters are an `EdgeParams`.
    """

    name = Estimator.PELVIS_EDGE

    def __init__(self, params: EdgeParams = EdgeParams()) -> None:
        self.params = params
        self._t: list[float] = []
        self._tilt: list[float] = []
        self._sigma: list[float] = []
        self._edge: _Edge | None = None  # the followed boundary (chosen on the first frame)

    def observe(self, frame: Any, xy: np.ndarray | None) -> None:
        """Measure one frame (``frame.t_s``, ``frame.image`` BGR uint8; ``xy`` (33, 2) px)."""
        self._t.append(float(frame.t_s))
        geo = None if xy is None else torso_geometry(np.asarray(xy, dtype=np.float64))
        if geo is None:
            self._push(math.nan, math.nan)
            return
        canvas = self._canvas(np.asarray(frame.image), geo)
        step = canvas[2:] - canvas[:-2]  # (H-2, W, 3) vertical colour step, rows 1..H-2
        hidden = self._thigh_columns(np.asarray(xy, dtype=np.float64), geo, step.shape[1])
        t = float(frame.t_s)
        if self._edge is None:
            self._edge = self._pick(step, geo.axis, hidden, t)
            if self._edge is None:
                self._push(math.nan, math.nan)
            return
        self._push(*self._follow(self._edge, step, geo.axis, hidden, t))

    def result(self) -> PelvisEdgeResult:
        """Everything observed so far."""
        return PelvisEdgeResult(
            t_s=np.asarray(self._t, dtype=np.float64),
            tilt_deg=np.asarray(self._tilt, dtype=np.float64),
            sigma_deg=np.asarray(self._sigma, dtype=np.float64),
            height_l=self.height_l,
        )

    @property
    def height_l(self) -> float:
        """Height of the followed boundary above the hip-landmark line when it was chosen,
        torso lengths (NaN before one is found)."""
        if self._edge is None or self._edge.ref_rows is None:
            return math.nan
        return self.params.y_high - float(np.mean(self._edge.ref_rows)) / self.params.px_per_torso

    @property
    def last_tilt_deg(self) -> float:
        """The latest frame's tilt (NaN if none), O(1), for live display."""
        return self._tilt[-1] if self._tilt else math.nan

    # ------------------------------------------------------------------ internals
    def _push(self, tilt: float, sigma: float) -> None:
        self._tilt.append(tilt)
        self._sigma.append(sigma)

    def _canvas(self, image: np.ndarray, geo: TorsoGeometry) -> np.ndarray:
        """(H, W, 3) float32 colour canvas aligned with the torso (rows go DOWN the body)."""
        P = self.params.px_per_torso
        size = (
            round(2 * self.params.half_width * P),
            round((self.params.y_high - self.params.y_low) * P),
        )
        g = torso_map(geo, P, (size[0] / 2.0, self.params.y_high * P))
        return sample_canvas(image, g, size, grey=False, blur=1.0)

    def _pick(self, step: np.ndarray, axis: float, hidden: np.ndarray, t: float) -> _Edge | None:
        """The boundary to follow, chosen (and measured) on this frame, or None: the strongest
        row whose colour step is present across most columns (a row's score is the 30th
        percentile of the step over the columns), among those at least 0.35 times as strong
        as the best, that is found as a line within ``max_skew_deg`` of square to the torso (a
        waistband, hem or belt is; the diagonal edges of armour plates, folds or a lifted
        thigh are not). Rows up to ``prefer_below`` above the hip line (the crest band, which
        turns with the pelvis) are tried first; a boundary above it (a top's hem at the
        waist) is followed only when none below qualifies. Its first measurement is pushed as
        this frame's tilt."""
        mag = np.linalg.norm(step, axis=-1)  # (H-2, W)
        score = np.percentile(mag, 30, axis=1)
        height = self.params.y_high - (np.arange(len(score)) + 1.0) / self.params.px_per_torso
        below = height <= self.params.prefer_below
        for rows in (np.flatnonzero(below), np.flatnonzero(~below)):
            edge = self._strongest(step, score, rows, axis, hidden, t)
            if edge is not None:
                return edge
        return None

    def _strongest(
        self,
        step: np.ndarray,
        score: np.ndarray,
        rows: np.ndarray,
        axis: float,
        hidden: np.ndarray,
        t: float,
    ) -> _Edge | None:
        """The first qualifying boundary among ``rows``, strongest first (see `_pick`)."""
        if not len(rows):
            return None
        best = float(score[rows].max())
        for r in rows[np.argsort(-score[rows])]:
            if score[r] < max(self.params.min_step, 0.35 * best):
                break
            colour = np.median(step[max(0, r - 1) : r + 2].reshape(-1, 3), axis=0)
            n = float(np.linalg.norm(colour))
            if n < self.params.min_step:
                continue
            edge = _Edge(colour / n, n, np.full(step.shape[1], r + 1.0))
            tilt, sigma = self._follow(edge, step, axis, hidden, t)
            if math.isfinite(tilt) and abs(math.degrees(math.atan(edge.ref_slope))) <= (
                self.params.max_skew_deg
            ):
                self._push(tilt, sigma)
                return edge
        return None

    def _thigh_columns(self, xy: np.ndarray, geo: TorsoGeometry, width: int) -> np.ndarray:
        """(W,) bool: canvas columns over a raised thigh (`torso_canvas.thigh_columns`)."""
        return thigh_columns(
            xy,
            geo,
            n_cols=width,
            centre_col=self.params.half_width * self.params.px_per_torso,
            px_per_torso=self.params.px_per_torso,
            raised_knee=self.params.raised_knee,
            thigh_half_width=self.params.thigh_half_width,
        )

    def _follow(
        self, edge: _Edge, step: np.ndarray, axis: float, hidden: np.ndarray, t: float
    ) -> tuple[float, float]:
        """Tilt of the boundary on this frame and its standard error (degrees); NaN when it
        was not found well enough on this frame, or when it turned faster than
        ``max_rate_deg_s`` (plus 3 degrees) since it was last found (it jumped to another
        edge). ``hidden``: (W,) columns left out (a raised thigh in front)."""
        resp = step @ edge.colour  # (H-2, W) signed step along the boundary's colour
        H, W = resp.shape
        rad = max(2, round(self.params.search * self.params.px_per_torso))
        rows = np.full(W, np.nan)
        for x in range(W):
            if hidden[x]:
                continue
            c = round(float(edge.rows[x])) - 1
            lo, hi = max(0, c - rad), min(H, c + rad + 1)
            if hi - lo < 3:
                continue
            col = resp[lo:hi, x]
            i = int(np.argmax(col))
            if col[i] < self.params.min_strength * edge.strength:
                continue
            off = 0.0
            if 0 < i < len(col) - 1:
                a, b, cc = float(col[i - 1]), float(col[i]), float(col[i + 1])
                den = a - 2 * b + cc
                if den < 0:
                    off = min(0.5, max(-0.5, 0.5 * (a - cc) / den))
            rows[x] = lo + i + off + 1
        xs = np.arange(W, dtype=np.float64)
        # the first time: the boundary's own shape (rows per column) becomes its reference;
        # later: the line fitted to the displacement from that shape, so that a boundary that
        # is curved (a V-shaped waistband) reads no tilt when some columns are hidden
        ref = edge.ref_rows if edge.ref_rows is not None else np.zeros(W)
        fit = _robust_line(xs, rows - ref, tukey=self.params.tukey)
        if fit is None:
            return math.nan, math.nan
        a, b, se_b, used = fit
        b_abs = b + edge.ref_slope
        sigma = math.degrees(se_b / (1.0 + b_abs * b_abs))
        if (
            used < self.params.min_columns * W * (1.0 - hidden.mean())
            or sigma > self.params.max_sigma_deg
        ):
            return math.nan, math.nan
        # the line's direction (1, b_abs) in the canvas is rotated by the torso axis on screen
        # (convention of pelvis_image: minus the torso axis when the boundary is square to it)
        tilt = -(math.degrees(math.atan(b_abs)) + math.degrees(axis))
        if edge.last is not None and abs(
            tilt - edge.last[1]
        ) > 3.0 + self.params.max_rate_deg_s * abs(t - edge.last[0]):
            return math.nan, math.nan
        edge.last = (t, tilt)
        # follow the boundary: columns not found (or off the line) take the fitted shape
        line = ref + a + b * xs
        keep = np.isfinite(rows) & (np.abs(rows - line) < 2 * self.params.tukey)
        edge.rows = np.where(keep, rows, np.where(hidden, edge.rows, line))
        if edge.ref_rows is None:
            edge.ref_rows, edge.ref_slope = edge.rows.copy(), b
        return tilt, sigma


@dataclass
class _Edge:
    """The followed boundary: its step colour (3,) unit, step size, last rows per column (W,)
    in canvas px, and its shape when first measured."""

    colour: np.ndarray
    strength: float
    rows: np.ndarray
    ref_rows: np.ndarray | None = None  # (W,) its shape when first measured, canvas px
    ref_slope: float = 0.0  # the slope of the line fitted to that shape
    last: tuple[float, float] | None = None  # (time s, tilt deg) when last found


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
