"""Measure each trial relative to the quiet double-leg stance just before it.

Axis 0 is time; positions are pixels; angles degrees. Everything is baseline-relative, which
cancels camera roll and the person's static asymmetry:

- pelvic drop: the pelvis tilt (from a ``PelvisEstimator``) minus its baseline median, signed
  so that + means the LIFTED side is lower (a Trendelenburg drop);
- trunk lean: the angle of the hip-midpoint -> shoulder-midpoint line minus its baseline
  median, + toward the STANCE side;
- lateral shift: the centre of mass (COM, see ``center_of_mass``) projected on the baseline's
  horizontal (perpendicular to its trunk line, so a tilted camera changes nothing; see
  ``_baseline_axis``), minus its baseline position, + toward the stance side; as a fraction of the
  baseline COM-to-stance-ankle distance (NaN with the feet together) and in % of the baseline
  hip width;
- sway: SD of that COM position during the settled hold, % of hip width.

The "settled" hold skips the first ``settle_s`` of the lift (the transient) and any touch-down.
A trial's drop is the level held for most of the settled hold (``held_level``: the mode of
its values, not pulled by a shorter posture such as hands placing the foot); the other values
are settled medians.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from stance.analysis.fuse import (
    TRUNK,
    Evidence,
    FusedDrop,
    RangeModel,
    follows_trunk,
    fuse,
    measurement_uncertainty,
)
from stance.analysis.pelvis import FusedTilt, PelvisEstimator
from stance.analysis.segment import LEFT_UP, RIGHT_UP, Segmentation, Trial
from stance.core.numeric import finite_median, finite_std
from stance.core.track import LM, PoseTrack, Side

log = logging.getLogger(__name__)

# Segment mass fractions and COM positions, Winter DA, Biomechanics and Motor Control of Human
# Movement, 4th ed. (Wiley 2009), Table 4.1 (from Dempster 1955): (mass fraction, proximal
# landmark(s), distal landmark(s), COM fraction of the way from proximal to distal), per side.
# The fractions sum to 1.000. Landmark stand-ins: hip landmark for the greater trochanter,
# shoulder for the glenohumeral joint, ear midpoint for the ear canal, index/pinky knuckles for
# the hand's distal end, heel -> foot tip for the foot.
_SIDED_SEGMENTS = (
    (0.028, ("shoulder",), ("elbow",), 0.436),  # upper arm
    (0.016, ("elbow",), ("wrist",), 0.430),  # forearm
    (0.006, ("wrist",), ("index", "pinky"), 0.506),  # hand
    (0.100, ("hip",), ("knee",), 0.433),  # thigh
    (0.0465, ("knee",), ("ankle",), 0.433),  # shank
    (0.0145, ("heel",), ("foot_index",), 0.500),  # foot
)
_TRUNK_MASS = 0.497  # greater trochanter -> glenohumeral joint, COM half-way
_HEAD_MASS = 0.081  # head and neck, COM at the ear canal
_MIN_MASS = 0.8  # below this much of the body located, the COM is unknown
_MIN_STANCE_WIDTH = 0.5  # ankles closer than this many hip widths: "feet together"
# MediaPipe hand points that ``LM`` does not name: pinky 17/18 and index 19/20 knuckles.
_HAND_POINTS = {Side.LEFT: {"pinky": 17, "index": 19}, Side.RIGHT: {"pinky": 18, "index": 20}}


@dataclass(frozen=True)
class TrialSeries:
    """Per-frame series from the baseline start (or the trial start without one) to trial end.

    Attributes:
        t_s: (N,) frame times, seconds.
        drop_deg: (N,) pelvic drop of the lifted side, degrees (+ = lifted side lower).
        lean_deg: (N,) trunk lean, degrees (+ = toward the stance side).
        shift_frac: (N,) COM shift toward the stance ankle, fraction of the baseline distance.
    """

    t_s: np.ndarray
    drop_deg: np.ndarray
    lean_deg: np.ndarray
    shift_frac: np.ndarray


@dataclass(frozen=True)
class TrialMetrics:
    """Summary numbers of one trial (NaN where unknown, e.g. without a baseline).

    Attributes:
        drop_deg: pelvic drop held for most of the settled hold (its mode), + = lifted
            side lower.
        drop_peak_deg: robust largest drop of the settled hold (95th percentile).
        drop_noise_deg: SD of the pelvis tilt during the baseline (measurement noise).
        lean_deg: settled median trunk lean, + = toward the stance side.
        lean_noise_deg: SD of the trunk angle during the baseline.
        shift_frac: settled median COM shift toward the stance ankle, fraction of the baseline
            COM-to-stance-ankle distance (0 = none, 1 = over the ankle).
        shift_pct_hip: the same shift in % of the baseline hip width.
        sway_pct_hip: SD of the COM lateral position in the settled hold, % of hip width.
        hold_s: duration of the hold, seconds.
    """

    trial: Trial
    drop_deg: float
    drop_peak_deg: float
    drop_noise_deg: float
    lean_deg: float
    shift_frac: float
    shift_pct_hip: float
    sway_pct_hip: float
    hold_s: float
    series: TrialSeries
    lean_noise_deg: float = float("nan")
    drop_coverage: float = float("nan")  # 0-1: share of baseline and hold frames with a tilt
    fused: FusedDrop | None = None  # the evidence behind drop_deg, its uncertainty and interval

    @property
    def drop_uncertainty_deg(self) -> float:
        """Measurement uncertainty of ``drop_deg`` (k = 2), degrees; NaN when not measured."""
        return float("nan") if self.fused is None else self.fused.uncertainty_deg

    @property
    def valid(self) -> bool:
        """True when the drop and lean could be measured."""
        return bool(np.isfinite(self.drop_deg) and np.isfinite(self.lean_deg))


@dataclass(frozen=True)
class Measurements:
    """All trials of a clip.

    Attributes:
        estimator: name of the pelvis estimator used.
        weight_left_pct: static share of body weight on the LEFT foot in the first baseline, %
            (lever rule on the COM between the ankles); None when unknown.
    """

    trials: tuple[TrialMetrics, ...]
    estimator: str
    weight_left_pct: float | None


def center_of_mass(track: PoseTrack) -> np.ndarray:
    """(T, 2) segment-weighted centre of mass proxy in pixels (NaN when < 80% of mass is known).

    Segment masses and COM positions from Winter (2009) after Dempster (see ``_SIDED_SEGMENTS``).
    Segments with unknown landmarks are left out and the rest re-weighted.
    """

    def pt(side: Side, parts: tuple[str, ...]) -> np.ndarray:
        idx = [_HAND_POINTS[side][p] if p in ("index", "pinky") else LM.of(side, p) for p in parts]
        return np.asarray(np.mean(track.xy[:, idx, :], axis=1))

    coms: list[np.ndarray] = []
    masses: list[float] = []
    for side in Side:
        for mass, prox, dist, frac in _SIDED_SEGMENTS:
            p, d = pt(side, prox), pt(side, dist)
            coms.append(p + frac * (d - p))
            masses.append(mass)
    coms.append(
        0.5
        * (track.mid(LM.LEFT_HIP, LM.RIGHT_HIP) + track.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER))
    )
    masses.append(_TRUNK_MASS)
    head = track.mid(LM.LEFT_EAR, LM.RIGHT_EAR)
    head = np.where(np.isfinite(head), head, track.point(LM.NOSE))
    coms.append(head)
    masses.append(_HEAD_MASS)

    c = np.stack(coms, axis=1)  # (T, S, 2)
    m = np.asarray(masses)[None, :] * np.all(np.isfinite(c), axis=-1)  # (T, S)
    total = m.sum(axis=1)
    weighted = np.nansum(np.nan_to_num(c) * m[..., None], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = weighted / total[:, None]
    out[total < _MIN_MASS] = np.nan
    return np.asarray(out)


def trunk_angle_deg(track: PoseTrack) -> np.ndarray:
    """(T,) angle of the hip-midpoint -> shoulder-midpoint line from image vertical, degrees.

    + = top toward the image right (the person's LEFT in a non-mirrored frontal view).
    """
    v = track.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER) - track.mid(LM.LEFT_HIP, LM.RIGHT_HIP)
    return np.asarray(np.degrees(np.arctan2(v[:, 0], -v[:, 1])))


SETTLE_S = 0.5
"""The lift transient (s) skipped before a trial's settled hold (project's choice: the foot
leaves the floor and the pelvis settles within about half a second on the footage)."""


def series_start(trial: Trial) -> int:
    """Track index where a trial's series starts: its baseline's start (the trial's own
    start without a baseline)."""
    return trial.i0 if trial.baseline is None else trial.baseline.i0


def settled_hold(
    trial: Trial, t_s: np.ndarray, lifted: np.ndarray, settle_s: float = SETTLE_S
) -> np.ndarray:
    """Track indices of a trial's settled hold: after the ``settle_s`` lift transient, with
    the foot up (no touch-down, no unknown frames); the whole hold when fewer than 3 such
    frames remain. ``t_s``: (T,) seconds; ``lifted``: (T,) `Segmentation.lifted` codes."""
    hold = np.arange(trial.i0, trial.i1)
    code = LEFT_UP if trial.lifted is Side.LEFT else RIGHT_UP
    settled = hold[(t_s[hold] >= trial.start_s + settle_s) & (lifted[hold] == code)]
    return settled if settled.size >= 3 else hold


def measure(
    track: PoseTrack,
    seg: Segmentation,
    *,
    pelvis: PelvisEstimator,
    settle_s: float = SETTLE_S,
    peak_percentile: float = 95.0,
    uncertainty_floor_deg: float = 0.5,
    noise_factor: float = 2.0,
) -> Measurements:
    """Measure every trial of ``seg`` on the (cleaned) ``track``.

    A `FusedTilt` estimator's pieces of evidence are measured one by one and fused per trial
    (``stance.analysis.fuse``); the uncertainty of each is ``measurement_uncertainty`` with
    ``uncertainty_floor_deg`` and ``noise_factor``.
    """
    parts = pelvis.evidence if isinstance(pelvis, FusedTilt) else (pelvis,)
    tilts = tuple((p.name, p.tilt_deg(track), p.range_model) for p in parts)
    trunk = trunk_angle_deg(track)
    com = center_of_mass(track)
    trials = tuple(
        _measure_trial(
            track,
            seg,
            tr,
            tilts=tilts,
            trunk=trunk,
            com=com,
            settle_s=settle_s,
            peak_percentile=peak_percentile,
            unc=(uncertainty_floor_deg, noise_factor),
        )
        for tr in seg.trials
    )
    return Measurements(
        trials=trials, estimator=pelvis.name, weight_left_pct=_weight_left_pct(track, seg, com)
    )


def _wrap_deg(a: np.ndarray) -> np.ndarray:
    """Angle differences wrapped to [-180, 180) degrees."""
    return np.asarray((a + 180.0) % 360.0 - 180.0)


MIN_TILT_COVERAGE = 0.5
"""Least share of baseline and settled-hold frames with a pelvis angle for a drop value."""


def _finite_share(x: np.ndarray) -> float:
    return float(np.isfinite(x).mean()) if x.size else 0.0


HOLD_MODE_BANDWIDTH_DEG = 1.5
"""Kernel width of the mean-shift that finds the level of an angle held in the hold."""


def held_level(x: np.ndarray, bandwidth: float = HOLD_MODE_BANDWIDTH_DEG) -> float:
    """The level an angle series (degrees) stays at for most of the hold: the highest mode of
    its values' density (Gaussian kernel of ``bandwidth`` degrees), found by mean-shift from
    the median and from every decile and kept where the density is largest.

    Unlike the median it is not pulled toward a transient posture that covers a minority of
    the frames (say hands placing the foot before the held pose, 5 degrees away), and unlike a
    single mean-shift from the median it does not stop at a small bump of a slow drift when
    the held level lies elsewhere; on the rendered holds (steady, with sway) it equals the
    median within 0.06 degrees."""
    x = x[np.isfinite(x)]
    if x.size < 4:
        return finite_median(x)
    deciles = [float(v) for v in np.quantile(x, np.linspace(0.1, 0.9, 9))]
    starts = [float(np.median(x)), *deciles]
    best, best_density = starts[0], -1.0
    for start in starts:
        m = _mean_shift(x, start, bandwidth)
        density = float(np.exp(-0.5 * ((x - m) / bandwidth) ** 2).sum())
        if density > best_density + 1e-9:
            best, best_density = m, density
    return best


def _mean_shift(x: np.ndarray, m: float, bandwidth: float) -> float:
    """The mode of ``x``'s kernel density that mean-shift reaches from ``m``."""
    for _ in range(100):
        w = np.exp(-0.5 * ((x - m) / bandwidth) ** 2)
        if not w.sum() > 0.0:  # values scattered over tens of degrees: stay
            return m
        new = float((w * x).sum() / w.sum())
        if abs(new - m) < 1e-4:
            return new
        m = new
    return m


def _median_vector(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Median of the (N, 2) vectors ``a - b`` over frames where both are known; None if none."""
    d = a - b
    d = d[np.all(np.isfinite(d), axis=-1)]
    return np.median(d, axis=0) if d.shape[0] else None


def _baseline_axis(track: PoseTrack, base: slice) -> tuple[np.ndarray, bool] | None:
    """The horizontal axis of a baseline: (2,) unit vector toward the person's LEFT, and
    whether the feet stood apart (at least ``_MIN_STANCE_WIDTH`` hip widths along that axis;
    the lever rule and ``shift_frac`` need that). None when the trunk or hips are unknown.

    The axis is perpendicular to the baseline's median hip-midpoint -> shoulder-midpoint line:
    it turns with the camera, so camera roll cancels, like the ankle-to-ankle line would. The
    ankle line itself is not used: it tilts by perspective when one foot stands a little in
    front of the other and has no usable direction with the feet together, and since the COM
    lies about half a leg length above the ankles, every degree of axis error would read as
    about 1% of leg length of false lateral shift.
    """
    up = _median_vector(
        track.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)[base],
        track.mid(LM.LEFT_HIP, LM.RIGHT_HIP)[base],
    )
    hips = _median_vector(track.point(LM.LEFT_HIP)[base], track.point(LM.RIGHT_HIP)[base])
    if up is None or hips is None or not np.linalg.norm(up) > 0:
        return None
    axis = np.array([-up[1], up[0]]) / np.linalg.norm(up)
    if axis @ hips < 0:
        axis = -axis
    ankles = _median_vector(track.point(LM.LEFT_ANKLE)[base], track.point(LM.RIGHT_ANKLE)[base])
    hip_w = float(np.linalg.norm(hips))
    apart = ankles is not None and float(ankles @ axis) >= _MIN_STANCE_WIDTH * hip_w
    return axis, apart


def _measure_trial(
    track: PoseTrack,
    seg: Segmentation,
    trial: Trial,
    *,
    tilts: tuple[tuple[str, np.ndarray, RangeModel | None], ...],
    trunk: np.ndarray,
    com: np.ndarray,
    settle_s: float,
    peak_percentile: float,
    unc: tuple[float, float],
) -> TrialMetrics:
    nan = float("nan")
    b = trial.baseline
    start = series_start(trial)
    span = slice(start, trial.i1)
    t = track.t_s[span]
    n = t.shape[0]
    found = None if b is None else _baseline_axis(track, slice(b.i0, b.i1))
    if b is None or found is None:
        log.debug("trial at %.2f s has no usable baseline: not measured", trial.start_s)
        empty = np.full(n, np.nan)
        series = TrialSeries(t_s=t, drop_deg=empty, lean_deg=empty.copy(), shift_frac=empty.copy())
        return TrialMetrics(trial, nan, nan, nan, nan, nan, nan, nan, trial.hold_s, series)

    axis, feet_apart = found
    base = slice(b.i0, b.i1)
    drop_sign = -1.0 if trial.lifted is Side.LEFT else 1.0
    lean_sign = 1.0 if trial.stance is Side.LEFT else -1.0
    lean = lean_sign * _wrap_deg(trunk[span] - finite_median(trunk[base]))

    c = com @ axis  # (T,) COM along the baseline ankle line, + toward the person's left ankle
    c0 = finite_median(c[base])
    stance_ankle = finite_median(track.point(LM.of(trial.stance, "ankle"))[base] @ axis)
    reach = stance_ankle - c0
    hip_w = finite_median(
        np.linalg.norm(track.point(LM.LEFT_HIP)[base] - track.point(LM.RIGHT_HIP)[base], axis=-1)
    )
    toward = 1.0 if trial.stance is Side.LEFT else -1.0  # the axis points to the person's left
    shift_px = (c[span] - c0) * toward
    with np.errstate(invalid="ignore", divide="ignore"):
        shift_frac = shift_px / abs(reach) if feet_apart else np.full(n, np.nan)

    settled = settled_hold(trial, track.t_s, seg.lifted, settle_s)
    k = settled - start
    drop, fused = _fused_drop(
        tilts,
        span,
        base,
        k,
        drop_sign=drop_sign,
        unc=unc,
        lean_deg=finite_median(lean[k]),
        foot_behind=trial.foot_behind,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        peak = (
            float(np.nanpercentile(drop[k], peak_percentile))
            if np.any(np.isfinite(drop[k]))
            else nan
        )
    lead = max(fused.evidence, key=lambda e: (e.weight, e.coverage))
    return TrialMetrics(
        trial=trial,
        drop_deg=fused.drop_deg,
        drop_peak_deg=peak,
        drop_noise_deg=lead.noise_deg,
        lean_deg=finite_median(lean[k]),
        shift_frac=finite_median(shift_frac[k]),
        shift_pct_hip=100.0 * finite_median(shift_px[k]) / hip_w,
        sway_pct_hip=100.0 * finite_std(c[settled]) / hip_w,
        hold_s=trial.hold_s,
        series=TrialSeries(t_s=t, drop_deg=drop, lean_deg=lean, shift_frac=shift_frac),
        lean_noise_deg=finite_std(trunk[base]),
        drop_coverage=max(e.coverage for e in fused.evidence),
        fused=fused,
    )


def _fused_drop(
    tilts: tuple[tuple[str, np.ndarray, RangeModel | None], ...],
    span: slice,
    base: slice,
    k: np.ndarray,
    *,
    drop_sign: float,
    unc: tuple[float, float],
    lean_deg: float,
    foot_behind: bool = False,
) -> tuple[np.ndarray, FusedDrop]:
    """Each evidence's drop series and held level, then their fusion.

    Returns the per-frame drop series (N,) (the evidence's series averaged with the trial's
    weights where present) and the fused trial drop. The pelvis angle must be known over most
    of the baseline and of the settled hold (``k``: settled-hold indices into the series): a
    level from a few surviving frames is not a measurement (image estimators return NaN when
    the pelvis is hidden or untextured). A level that mirrors the trial's trunk lean
    (``lean_deg``, `stance.analysis.fuse.follows_trunk`) gets the trunk's model: not used.
    ``foot_behind``: the lifted foot is held behind (`stance.analysis.fuse.drop_interval`).
    """
    series, evidence = [], []
    for name, tilt, model in tilts:
        drop = drop_sign * _wrap_deg(tilt[span] - finite_median(tilt[base]))
        coverage = min(_finite_share(tilt[base]), _finite_share(drop[k]))
        noise = finite_std(tilt[base])
        level = held_level(drop[k]) if coverage >= MIN_TILT_COVERAGE else float("nan")
        u = measurement_uncertainty(noise, coverage, floor_deg=unc[0], noise_factor=unc[1])
        if follows_trunk(level, lean_deg, u):
            model = TRUNK
        series.append(drop)
        evidence.append(Evidence(name, level, noise, coverage, u, model=model))
    fused = fuse(evidence, lean_deg=lean_deg, foot_behind=foot_behind)
    w = np.array([e.weight for e in fused.evidence])[:, None]
    stack = np.stack(series)  # (E, N)
    if not w.sum() > 0:
        return series[0], fused
    have = np.isfinite(stack) & (w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        combined = (np.where(have, stack, 0.0) * w).sum(axis=0) / (have * w).sum(axis=0)
    return np.asarray(combined), fused


def _weight_left_pct(track: PoseTrack, seg: Segmentation, com: np.ndarray) -> float | None:
    """Share of weight on the LEFT foot in the first baseline (lever rule), % or None.

    With the COM between the ankles, the support forces split in inverse proportion to the
    distances: the share on the left foot is (COM - right ankle) / (left ankle - right ankle),
    all along the baseline's ankle line. Clipped to 0-100.
    """
    for b in seg.baselines:
        base = slice(b.i0, b.i1)
        found = _baseline_axis(track, base)
        if found is None or not found[1]:
            continue
        axis = found[0]
        c0 = finite_median(com[base] @ axis)
        a_left = finite_median(track.point(LM.LEFT_ANKLE)[base] @ axis)
        a_right = finite_median(track.point(LM.RIGHT_ANKLE)[base] @ axis)
        span = a_left - a_right
        if np.isfinite(c0) and np.isfinite(span) and span > 0:
            return float(np.clip(100.0 * (c0 - a_right) / span, 0.0, 100.0))
    return None
