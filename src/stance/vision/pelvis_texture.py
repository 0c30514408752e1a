"""Pelvis tilt measured from the image: the rigid rotation of the waist band above the hips.

The line through MediaPipe's two hip landmarks barely sees a real pelvic drop and is pushed
around by the lifted thigh (the lifted side's landmark rides up as the hip flexes). This module
measures the frontal-plane tilt of the pelvis from the pixels instead: it tracks the rigid
rotation of a band of the body just ABOVE the hip joints (belt / waistband / iliac crests / the
flanks), a region the lifted thigh does not enter, against a reference taken from the first
usable frame.

Method (one parameter set for every clip):

1. Region. At the reference frame a "pelvis canvas" is laid out from the landmarks: origin at
   the hip-landmark midpoint, axes along and across the torso axis (hip-mid -> shoulder-mid),
   unit = torso length ``L`` (hip-mid to shoulder-mid), sampled at ``px_per_torso`` pixels per
   ``L`` whatever the video size. The band spans ``y_low..y_high`` L above the hip line and
   ``+-half_width`` L across.
2. Cells. The band is cut into overlapping square cells (``cell`` L, every ``step`` L); cells
   without image structure are dropped; each kept cell stores its 2x2 structure tensor so that
   an edge only constrains motion across it (aperture).
3. Tracking. For every frame the canvas is resampled with the previous pose, shifted by the
   landmarks' motion, and each reference cell is found again by normalised cross-correlation
   in a small window (sub-pixel peak). A rigid motion (rotation + shift) is fitted to the cell
   displacements by iteratively re-weighted least squares (Tukey weights, annealed), so cells
   covered by a hand or the thigh drop out. Two passes per frame. Because every frame is
   matched to the same reference, there is no drift.
4. Honesty. A frame gets NaN when the fit is poorly conditioned (posterior standard deviation
   of the rotation above ``max_sigma_deg``), too few cells agree (``quality`` below
   ``min_quality``), or the tilt jumps faster than ``max_rate_deg_s``; after a failure the
   pose is retried with the rotation offset by +-``retry_deg``. A new reference is provisional
   for ``confirm_s``: it is replaced when the band shows clearly more texture (a fade-in) or
   when most of the following frames fail, and what was measured against it is dropped.
   Clothing that hides the pelvis (a loose shirt or tank top over the hips, hands in front of
   it) mostly gives NaN, which is the honest answer.

Output: one tilt per observed frame, degrees, counter-clockwise on screen positive (y down):
exactly the convention of the hip-landmark line ``degrees(atan2(-(yL - yR), xL - xR))``, i.e.
positive when the person's LEFT side is higher in an unmirrored frontal view. The value at the
reference frame is minus the torso axis angle (about 0 when upright); only differences are
meant to be used. Left and right landmarks are only averaged, so swapped labels do not matter.

Validated on rendered avatars with exact truth (the band follows a pelvic drop at about 0.8 of
the applied angle on the Soldier character and 0.4 on the Superhero sample, whose skin at the
waist blends pelvis and trunk motion; the hip-landmark line reads -1 to 0.3), and on real
footage, where the waistband's tilt agrees with a direct fit of the waistband edge.
OpenCV is imported lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stance.analysis.pelvis import Estimator
from stance.vision.torso_canvas import (
    TorsoGeometry,
    sample_canvas,
    thigh_columns,
    torso_geometry,
    torso_map,
)


@dataclass(frozen=True)
class PelvisImageResult:
    """Per-frame image-based pelvis tilt.

    Attributes:
        t_s: (T,) seconds, one per observed frame, in observation order.
        tilt_deg: (T,) pelvis tilt in degrees (+ = person's LEFT side higher in the image),
            NaN where it could not be measured. Only differences are meaningful.
        quality: (T,) 0-1, the score-weighted fraction of reference cells that matched and
            agreed with the fitted rigid motion (0 where tilt is NaN; 1 at the reference).
        height_l: weighted mean height of the reference cells above the hip-landmark line,
            torso lengths (NaN without a reference): what the band reads of the pelvis
            depends on it (`stance.analysis.fuse.range_model_at`).
    """

    t_s: np.ndarray
    tilt_deg: np.ndarray
    quality: np.ndarray
    height_l: float = math.nan


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2x3 affine maps: x -> a(b(x))."""
    out = np.asarray(a[:, :2] @ b, dtype=np.float64)
    out[:, 2] += a[:, 2]
    return out


def _euclid(theta: float, tx: float, ty: float, cx: float, cy: float) -> np.ndarray:
    """2x3 map: rotation by ``theta`` rad (y down: clockwise on screen) about (cx, cy), then
    a shift by (tx, ty)."""
    c, s = math.cos(theta), math.sin(theta)
    return np.array(
        [[c, -s, cx - c * cx + s * cy + tx], [s, c, cy - s * cx - c * cy + ty]], dtype=np.float64
    )


@dataclass(frozen=True)
class TextureParams:
    """The waist-band texture tracker's parameters (`PelvisImageTracker`; recorded in the
    JSON's ``settings.texture``). Lengths are in torso lengths (hip-mid to shoulder-mid)
    unless a unit is named. This module imports OpenCV only lazily, so `stance.pipeline.Settings`
    can hold these without loading it.

    Attributes:
        px_per_torso: internal sampling scale, canvas pixels per torso length (hip-mid to
            shoulder-mid). 160 keeps the band about 100 x 55 px: a few ms per frame.
        half_width: band half-width across the torso, in torso lengths (0.3 ~ 1.5 hip-landmark
            widths: waist and flanks, not the arms).
        y_low: bottom of the band above the hip-landmark line, torso lengths.
        y_high: top of the band above the hip-landmark line, torso lengths (keep it below the
            trunk, whose lean must not count as pelvic tilt).
        height_decay: cell weights fall as exp(-(height - y_low) / height_decay), favouring the
            lowest structure (belt, waistband) over the abdomen; 0 = equal weights.
        cell: cell size, torso lengths.
        step: cell spacing, torso lengths.
        search: search radius around the predicted position, torso lengths.
        min_grad: minimum RMS gradient (grey levels per canvas pixel, along the strongest
            direction) for a cell to be used.
        min_score: minimum normalised cross-correlation for a cell match to count.
        tukey: Tukey cut-off of the robust fit, canvas pixels.
        iters: resample-match-fit passes per frame.
        blur: Gaussian blur of the canvas, canvas pixels (compression noise).
        min_cells: a reference needs at least this many textured cells.
        max_sigma_deg: NaN when the fitted rotation's standard deviation exceeds this.
        min_quality: NaN when the quality falls below this.
        max_rate_deg_s: NaN when the tilt changes faster than this since the last good frame
            (plus 3 degrees of slack).
        confirm_s: for this many seconds after a reference is taken it is provisional: it is
            replaced (and what was measured against it dropped) when a frame shows clearly
            more texture in the band (a fade-in), or when at the end fewer than half of the
            frames were measured.
        retry_deg: when the predicted pose fails, it is retried with the rotation offset by
            this both ways (every third frame during a long failure; 0 = no retries).
        raised_knee: a knee less than this share of the other knee's distance below its hip
            (along the torso axis) is raised: the cells over its thigh are left out
            (`stance.vision.torso_canvas.thigh_columns`).
        thigh_half_width: half-width of a thigh, torso lengths.
    """

    px_per_torso: float = 160.0
    half_width: float = 0.3
    y_low: float = 0.05
    y_high: float = 0.38
    height_decay: float = 0.1
    cell: float = 0.1
    step: float = 0.05
    search: float = 0.08
    min_grad: float = 3.0
    min_score: float = 0.8
    tukey: float = 2.0
    iters: int = 2
    blur: float = 1.0
    min_cells: int = 8
    max_sigma_deg: float = 1.0
    min_quality: float = 0.35
    max_rate_deg_s: float = 40.0
    confirm_s: float = 1.0
    retry_deg: float = 6.0
    raised_knee: float = 0.95
    thigh_half_width: float = 0.15

    def __post_init__(self) -> None:
        if not (
            self.y_high > self.y_low
            and self.half_width > 0
            and self.px_per_torso > 0
            and self.cell > 0
        ):
            raise ValueError("pelvis band: need y_high > y_low, half_width > 0, cell > 0")


class PelvisImageTracker:
    """Frame observer measuring the pelvis tilt from the image (see the module docstring).

    Use one per clip: call `observe` for every analysed frame in time order, then `result`.
    Its parameters are a `TextureParams`.
    """

    name = Estimator.PELVIS_IMAGE

    def __init__(self, params: TextureParams = TextureParams()) -> None:
        self.params = params

        self._t: list[float] = []
        self._tilt: list[float] = []
        self._q: list[float] = []
        # reference state
        self._ref: np.ndarray | None = None
        self._cell_xy: np.ndarray = np.zeros((0, 2), dtype=np.int64)  # top-left corners
        self._over_thigh: np.ndarray = np.zeros(0, dtype=bool)  # (N,) cells left out now
        self._info: np.ndarray = np.zeros((0, 2, 2))  # weighted structure tensors
        self._size = (0, 0)  # canvas (w, h)
        self._cs = 0  # cell size, canvas px
        self._pad = 0  # search radius, canvas px
        self._ref_pos = -1  # index in the output lists of the reference frame
        self._tried = 0
        self._good = 0
        self._confirmed = False
        self._ref_t = 0.0
        self._fails = 0
        # tracking state (last good frame)
        self._g = np.eye(2, 3)  # canvas -> image
        self._anchor = np.zeros(2)
        self._last_t = 0.0
        self._last_tilt = 0.0

    # ------------------------------------------------------------------ public API
    def observe(self, frame: Any, xy: np.ndarray | None) -> None:
        """Measure one frame. ``frame`` has ``.t_s`` and ``.image`` ((H, W, 3) uint8 BGR);
        ``xy`` is the subject's (33, 2) landmarks in pixels, or None."""
        t = float(frame.t_s)
        self._t.append(t)
        geo = None if xy is None else torso_geometry(np.asarray(xy, dtype=np.float64))
        if geo is None:
            self._push(math.nan, 0.0)
            return
        image = np.asarray(frame.image)
        if self._ref is None:
            self._start(image, geo, t)
            return
        if not self._confirmed and self._richer(image, geo):
            self._restart(image, geo, t)  # e.g. a fade-in: the image got more contrast
            return
        self._over_thigh = self._thigh_cells(np.asarray(xy, dtype=np.float64), geo)
        tilt, q = self._measure(image, geo, t)
        if not self._confirmed:
            self._tried += 1
            self._good += int(math.isfinite(tilt))
            if t - self._ref_t >= self.params.confirm_s and self._tried >= 2:
                if 2 * self._good >= self._tried:
                    self._confirmed = True
                else:  # a poor reference (motion, occlusion): take a new one
                    self._restart(image, geo, t)
                    return
        self._push(tilt, q)

    @property
    def last_tilt_deg(self) -> float:
        """The latest observed frame's tilt, as `result()` would give it (NaN if none); O(1),
        for live display."""
        if not self._tilt or self._provisional_failing():
            return math.nan
        return self._tilt[-1]

    def _provisional_failing(self) -> bool:
        """The reference is still provisional and most frames measured against it failed."""
        return self._ref is not None and not self._confirmed and 2 * self._good < self._tried

    def result(self) -> PelvisImageResult:
        """Everything observed so far."""
        tilt = np.asarray(self._tilt, dtype=np.float64)
        q = np.asarray(self._q, dtype=np.float64)
        if self._provisional_failing():
            # the clip ended while the reference was still provisional and mostly failing
            tilt[self._ref_pos :] = np.nan
            q[self._ref_pos :] = 0.0
        return PelvisImageResult(
            t_s=np.asarray(self._t, dtype=np.float64),
            tilt_deg=tilt,
            quality=q,
            height_l=self.height_l,
        )

    @property
    def height_l(self) -> float:
        """Weighted mean height of the reference cells above the hip-landmark line, torso
        lengths (NaN without a reference)."""
        if self._ref is None or not len(self._cell_xy):
            return math.nan
        P = self.params.px_per_torso
        v0 = self._pad + self.params.y_high * P
        heights = (v0 - (self._cell_xy[:, 1] + self._cs / 2.0)) / P
        w = np.trace(self._info, axis1=1, axis2=2)
        return float(np.sum(w * heights) / max(float(np.sum(w)), 1e-9))

    # ------------------------------------------------------------------ internals
    def _restart(self, image: np.ndarray, geo: TorsoGeometry, t: float) -> None:
        """Forget the unconfirmed reference (and what was measured against it)."""
        for i in range(self._ref_pos, len(self._tilt)):
            self._tilt[i] = math.nan
            self._q[i] = 0.0
        self._ref = None
        self._start(image, geo, t)

    def _richer(self, image: np.ndarray, geo: TorsoGeometry) -> bool:
        """Whether this frame's band has clearly more texture than the reference's."""
        probe = self._layout(image, geo)
        return probe is not None and len(probe[1]) >= 1.25 * len(self._cell_xy) + 2

    def _push(self, tilt: float, q: float) -> None:
        self._tilt.append(tilt)
        self._q.append(q)

    def _layout(
        self, image: np.ndarray, geo: TorsoGeometry
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Canvas map, cell corners, cell weights and canvas of the band on this frame."""
        import cv2

        P = self.params.px_per_torso
        pad = self._pad
        w, h = self._size
        v0 = pad + self.params.y_high * P  # canvas row of the hip line
        g = torso_map(geo, P, (w / 2.0, v0))
        canvas = self._sample(image, g)
        gx = cv2.Sobel(canvas, cv2.CV_32F, 1, 0, ksize=3) / 8.0
        gy = cv2.Sobel(canvas, cv2.CV_32F, 0, 1, ksize=3) / 8.0
        cs, st = self._cs, max(2, round(self.params.step * P))
        # a grid centred in the band, so that a mirrored image gets mirrored cells
        xs = np.asarray(_grid(pad, w - pad, cs, st), dtype=np.int64)
        ys = np.asarray(_grid(pad, h - pad, cs, st), dtype=np.int64)
        if not len(xs) or not len(ys):
            return None
        x0, y0 = (a.ravel() for a in np.meshgrid(xs, ys))  # row by row, as the cells are read
        J = _cell_tensors(gx, gy, x0, y0, cs)
        top = _top_eigenvalue(J)
        keep = np.sqrt(np.maximum(top, 0.0)) >= self.params.min_grad
        if not keep.any():
            return None
        info = J[keep] / top[keep, None, None]
        if self.params.height_decay > 0:
            height = (v0 - (y0[keep] + cs / 2.0)) / P
            above = np.maximum(height - self.params.y_low, 0.0)
            info = info * np.exp(-above / self.params.height_decay)[:, None, None]
        corners = np.stack([x0[keep], y0[keep]], axis=1)
        return g, corners, info, canvas

    def _start(self, image: np.ndarray, geo: TorsoGeometry, t: float) -> None:
        """Lay out the canvas on this frame and make it the reference (if textured)."""
        P = self.params.px_per_torso
        self._pad = round((self.params.search + 0.02) * P)
        self._size = (
            round(2 * self.params.half_width * P) + 2 * self._pad,
            round((self.params.y_high - self.params.y_low) * P) + 2 * self._pad,
        )
        self._cs = max(6, round(self.params.cell * P))
        lay = self._layout(image, geo)
        if lay is None or len(lay[1]) < self.params.min_cells:
            self._ref = None
            self._push(math.nan, 0.0)
            return
        g, corners, infos, canvas = lay
        self._ref = canvas
        self._cell_xy = corners
        self._info = infos
        self._g = g
        self._anchor = geo.anchor
        self._last_t = t
        self._ref_t = t
        self._last_tilt = _tilt_of(g)
        self._ref_pos = len(self._tilt)
        self._tried = 0
        self._good = 0
        self._confirmed = self.params.confirm_s <= 0
        self._push(self._last_tilt, 1.0)

    def _thigh_cells(self, xy: np.ndarray, geo: TorsoGeometry) -> np.ndarray:
        """(N,) bool: the reference cells whose centre column is over a raised thigh."""
        w = self._size[0]
        hidden = thigh_columns(
            xy,
            geo,
            n_cols=w,
            centre_col=w / 2.0,
            px_per_torso=self.params.px_per_torso,
            raised_knee=self.params.raised_knee,
            thigh_half_width=self.params.thigh_half_width,
        )
        cols = np.clip(self._cell_xy[:, 0] + self._cs // 2, 0, w - 1)
        return np.asarray(hidden[cols], dtype=bool)

    def _sample(self, image: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The canvas: ``image`` sampled through ``g`` (canvas -> image), grey, blurred."""
        return sample_canvas(image, g, self._size, grey=True, blur=self.params.blur)

    def _measure(self, image: np.ndarray, geo: TorsoGeometry, t: float) -> tuple[float, float]:
        """Tilt and quality of one frame (NaN, 0 when not measurable); updates the state.

        The prediction is the last good pose moved with the landmarks; when it fails, the
        pose is searched again with the rotation offset by +-``retry_deg``."""
        g0 = self._g.copy()
        g0[:, 2] += geo.anchor - self._anchor
        best: tuple[float, float, np.ndarray] | None = None
        offsets = [0.0]
        if self.params.retry_deg > 0 and self._fails % 3 == 0:  # in a long failure, every 3rd frame
            offsets += [self.params.retry_deg, -self.params.retry_deg]
        dt = abs(t - self._last_t)
        for off in offsets:
            g = g0
            if off:
                w, h = self._size
                g = _compose(g0, _euclid(-math.radians(off), 0.0, 0.0, w / 2.0, h / 2.0))
            got = self._refine(image, g)
            if got is None:
                continue
            g, q, sigma = got
            tilt = _tilt_of(g)
            if (
                sigma <= self.params.max_sigma_deg
                and q >= self.params.min_quality
                and abs(tilt - self._last_tilt) <= 3.0 + self.params.max_rate_deg_s * dt
                and (best is None or q > best[1])
            ):
                best = (tilt, q, g)
            if best is not None and off == 0.0:
                break
        if best is None:
            self._fails += 1
            return math.nan, 0.0
        self._fails = 0
        tilt, q, g = best
        self._g = g
        self._anchor = geo.anchor
        self._last_t = t
        self._last_tilt = tilt
        return tilt, q

    def _refine(self, image: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float, float] | None:
        """Resample-match-fit passes from pose ``g``: (pose, quality, sigma deg) or None."""
        w, h = self._size
        q, sigma = 0.0, math.inf
        for _ in range(self.params.iters):
            cur = self._sample(image, g)
            disp, score = self._match(cur)
            fit = self._fit(disp, score)
            if fit is None:
                return None
            th, tx, ty, q, sigma = fit
            g = _compose(g, _euclid(th, tx, ty, w / 2.0, h / 2.0))
        return g, q, sigma

    def _match(self, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Displacement (N, 2) of each reference cell in ``cur`` and its NCC score (N,)."""
        import cv2

        assert self._ref is not None
        cs, s = self._cs, self._pad
        n = len(self._cell_xy)
        disp = np.zeros((n, 2))
        score = np.zeros(n)
        for i, (x0, y0) in enumerate(self._cell_xy):
            tpl = self._ref[y0 : y0 + cs, x0 : x0 + cs]
            win = cur[y0 - s : y0 + cs + s, x0 - s : x0 + cs + s]
            r = cv2.matchTemplate(win, tpl, cv2.TM_CCOEFF_NORMED)
            _, best, _, (px, py) = cv2.minMaxLoc(r)
            dx, dy = float(px), float(py)
            if 0 < px < r.shape[1] - 1:
                dx += _peak(r[py, px - 1], r[py, px], r[py, px + 1])
            if 0 < py < r.shape[0] - 1:
                dy += _peak(r[py - 1, px], r[py, px], r[py + 1, px])
            disp[i] = (dx - s, dy - s)
            score[i] = best
        return disp, score

    def _fit(
        self, disp: np.ndarray, score: np.ndarray
    ) -> tuple[float, float, float, float, float] | None:
        """Robust small rigid motion about the canvas centre from the cell displacements:
        disp ~ (tx - th * (y - yc), ty + th * (x - xc)), each cell weighted by its structure
        tensor. Returns (th rad, tx, ty, quality, sigma of th in degrees) or None."""
        w, h = self._size
        cs = self._cs
        x = self._cell_xy[:, 0] + cs / 2.0 - w / 2.0
        y = self._cell_xy[:, 1] + cs / 2.0 - h / 2.0
        n = len(x)
        A = np.zeros((n, 2, 3))
        A[:, 0, 0] = 1.0
        A[:, 0, 2] = -y
        A[:, 1, 1] = 1.0
        A[:, 1, 2] = x
        ok = score >= self.params.min_score
        if len(self._over_thigh) == n:
            ok &= ~self._over_thigh
        if ok.sum() < 3:
            return None
        At_info = np.einsum("nji,njk->nik", A, self._info)  # A^T J, (n, 3, 2)
        wts = ok.astype(np.float64)
        sol = np.zeros(3)
        H = np.eye(3)
        m = np.zeros(n)
        for it in range(8):
            H = np.einsum("n,nij,njk->ik", wts, At_info, A) + 1e-6 * np.eye(3)
            b = np.einsum("n,nij,nj->i", wts, At_info, disp)
            sol = np.linalg.solve(H, b)
            res = disp - np.einsum("nij,j->ni", A, sol)
            m = np.sqrt(np.einsum("ni,nij,nj->n", res, self._info, res))
            c = self.params.tukey * max(1.0, 4.0 / 2**it)  # annealed: 8, 4, 2, 2, ...
            wts = np.where(ok & (m < c), (1.0 - (m / c) ** 2) ** 2, 0.0)
            if wts.sum() < 3:
                return None
        q = float((wts * np.clip(score, 0.0, 1.0)).sum() / n)
        r2 = float((wts * m**2).sum() / max(wts.sum() - 3.0, 1.0))
        cov = np.linalg.inv(H)
        sigma = math.degrees(math.sqrt(max(r2, 0.05) * max(float(cov[2, 2]), 0.0)))
        return float(sol[2]), float(sol[0]), float(sol[1]), q, sigma


def _cell_tensors(
    gx: np.ndarray, gy: np.ndarray, x0: np.ndarray, y0: np.ndarray, size: int
) -> np.ndarray:
    """(N, 2, 2) mean structure tensors [[gx², gx·gy], [gx·gy, gy²]] of the ``size`` x
    ``size`` cells with top-left corners (``x0``, ``y0``) (N,), from the gradient images
    ``gx``, ``gy`` (H, W): box sums of integral images, all cells at once."""

    def box_means(a: np.ndarray) -> np.ndarray:
        s = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
        s[1:, 1:] = np.cumsum(np.cumsum(a, axis=0, dtype=np.float64), axis=1)
        x1, y1 = x0 + size, y0 + size
        sums = s[y1, x1] - s[y0, x1] - s[y1, x0] + s[y0, x0]
        return np.asarray(sums / float(size * size), dtype=np.float64)

    gx64, gy64 = gx.astype(np.float64), gy.astype(np.float64)
    xx, yy, xy = box_means(gx64 * gx64), box_means(gy64 * gy64), box_means(gx64 * gy64)
    return np.stack([np.stack([xx, xy], axis=-1), np.stack([xy, yy], axis=-1)], axis=-2)


def _top_eigenvalue(J: np.ndarray) -> np.ndarray:
    """(N,) larger eigenvalue of each symmetric (N, 2, 2) matrix."""
    half_trace = (J[:, 0, 0] + J[:, 1, 1]) / 2.0
    half_diff = (J[:, 0, 0] - J[:, 1, 1]) / 2.0
    return np.asarray(half_trace + np.hypot(half_diff, J[:, 0, 1]), dtype=np.float64)


def _tilt_of(g: np.ndarray) -> float:
    """Tilt (degrees, counter-clockwise on screen positive) of the canvas map ``g``."""
    return -math.degrees(math.atan2(float(g[1, 0]), float(g[0, 0])))


def _grid(lo: int, hi: int, size: int, step: int) -> list[int]:
    """Starts of windows of ``size`` every ``step`` inside [lo, hi), centred."""
    if hi - lo < size:
        return []
    n = (hi - lo - size) // step + 1
    first = lo + (hi - lo - size - (n - 1) * step) // 2
    return [first + i * step for i in range(n)]


def _peak(a: float, b: float, c: float) -> float:
    """Sub-pixel offset of a parabola through three samples around a maximum."""
    den = float(a) - 2.0 * float(b) + float(c)
    if den >= 0.0:
        return 0.0
    return min(0.5, max(-0.5, 0.5 * (float(a) - float(c)) / den))
