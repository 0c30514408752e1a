"""Clean a pose track: distrust, reject, fill, smooth.

Axis 0 is time. Positions are pixels. Steps, in order:

1. Landmarks with ``visibility < min_visibility`` become NaN: never silently trusted.
2. Outliers become NaN: a Hampel test per landmark and coordinate (deviation from the median of
   a short window, against a few robust SDs), with a floor relative to body size (the median
   torso length) so that steady stretches, whose spread is tiny, do not lose good points.
3. Gaps up to ``max_gap_s`` are filled by linear interpolation in time. Longer gaps stay NaN.
4. A 2nd-order Butterworth low-pass (`stance.analysis.lowpass`): zero-phase (``sosfiltfilt``)
   for files, causal (``sosfilt``) for live use. Each finite run is filtered on its own, so NaN
   runs never leak into good data. When the frame rate varies (phones), each run is resampled to
   a uniform grid at the median frame interval, filtered there and interpolated back to its own
   times.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from stance.analysis.lowpass import butter2_lowpass, sosfilt, sosfilt_zi, sosfiltfilt
from stance.core.track import LM, PoseTrack

log = logging.getLogger(__name__)

CUTOFF_HZ = 4.0
"""Default low-pass cut-off. Holding a single-leg stance is slow (the lift takes ~0.5 s); 4 Hz
keeps that and removes most landmark jitter. The project's choice (gait work often uses 6 Hz)."""

_VFR_TOLERANCE = 0.05  # frame intervals within 5% of the median count as uniform
_MIN_RUN = 4  # runs shorter than this (frames) are left unfiltered


@dataclass(frozen=True)
class CleanParams:
    """The cleaning step's parameters (recorded in the JSON's ``settings.clean``).

    Attributes:
        min_visibility: landmarks seen less than this (MediaPipe visibility, 0-1) become NaN.
        max_gap_s: fill gaps whose good neighbours are at most this far apart (seconds).
        cutoff_hz: low-pass cut-off (Hz); the filter is skipped when it is not below
            0.9 x Nyquist.
        outlier_window_s: length of the Hampel window (seconds).
        outlier_k: a point is an outlier beyond ``outlier_k`` robust SDs (dimensionless) from
            the window median...
        outlier_floor_torso: ...and beyond this fraction of the median torso length.
    """

    min_visibility: float = 0.5
    max_gap_s: float = 0.25
    cutoff_hz: float = CUTOFF_HZ
    outlier_window_s: float = 0.3
    outlier_k: float = 4.0
    outlier_floor_torso: float = 0.25


def clean_track(
    track: PoseTrack,
    params: CleanParams = CleanParams(),
    *,
    causal: bool = False,
) -> PoseTrack:
    """A cleaned copy of ``track`` (same shape; unknown positions NaN).

    Args:
        track: the raw track.
        params: the cleaning parameters (`CleanParams`).
        causal: use a causal filter (live mode) instead of the zero-phase one; a mode of the
            caller, not a setting of the analysis.
    """
    T = len(track)
    if T == 0:
        return track
    xy = np.array(track.xy, dtype=float, copy=True)
    unseen = ~(track.visibility >= params.min_visibility) | ~np.all(np.isfinite(xy), axis=-1)
    xy[unseen] = np.nan

    if T >= 3:
        size = _torso_length(xy)
        win = _odd_window(params.outlier_window_s, track.fps)
        bad = _hampel_outliers(xy, win, k=params.outlier_k, floor=params.outlier_floor_torso * size)
        n_bad = int(bad.sum())
        if n_bad:
            log.debug("clean: %d outlier landmark positions removed", n_bad)
        xy[bad] = np.nan

    t = track.t_s
    flat = xy.reshape(T, -1)
    for j in range(flat.shape[1]):
        flat[:, j] = _fill_gaps(t, flat[:, j], max_gap_s=params.max_gap_s)

    if T >= 2:
        dt = float(np.median(np.diff(t)))
        fs = 1.0 / dt
        if params.cutoff_hz < 0.9 * fs / 2.0:
            sos = butter2_lowpass(params.cutoff_hz, fs)
            uniform = bool(np.all(np.abs(np.diff(t) - dt) <= _VFR_TOLERANCE * dt))
            for j in range(flat.shape[1]):
                flat[:, j] = _lowpass_runs(
                    t, flat[:, j], sos, dt=dt, uniform=uniform, causal=causal
                )
        else:
            log.debug(
                "clean: %.1f fps is too low to low-pass at %.1f Hz; not filtered",
                fs,
                params.cutoff_hz,
            )
    return track.with_xy(flat.reshape(T, -1, 2))


def finite_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs where the boolean (T,) ``mask`` is True."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _torso_length(xy: np.ndarray) -> float:
    """Median shoulder-midpoint to hip-midpoint distance (px); a fallback when unknown."""
    sh = 0.5 * (xy[:, LM.LEFT_SHOULDER] + xy[:, LM.RIGHT_SHOULDER])
    hip = 0.5 * (xy[:, LM.LEFT_HIP] + xy[:, LM.RIGHT_HIP])
    d = np.linalg.norm(sh - hip, axis=-1)
    d = d[np.isfinite(d)]
    if d.size == 0:
        finite = xy[np.isfinite(xy)]
        return float(np.ptp(finite)) * 0.3 if finite.size else 1.0
    return float(np.median(d))


def _odd_window(window_s: float, fps: float) -> int:
    n = max(3, round(window_s * fps))
    return n if n % 2 else n + 1


def _hampel_outliers(xy: np.ndarray, win: int, *, k: float, floor: float) -> np.ndarray:
    """(T, 33) True where a landmark lies too far from the median of its time window."""
    half = win // 2
    pad = np.pad(xy, ((half, half), (0, 0), (0, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(pad, win, axis=0)  # (T, 33, 2, win)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        med = np.nanmedian(windows, axis=-1)
        mad = np.nanmedian(np.abs(windows - med[..., None]), axis=-1)
    limit = np.maximum(k * 1.4826 * mad, floor)
    dev = np.abs(xy - med)
    return np.asarray(np.any(dev > limit, axis=-1))


def _fill_gaps(t: np.ndarray, x: np.ndarray, *, max_gap_s: float) -> np.ndarray:
    """Linear interpolation over interior NaN runs whose good neighbours are close in time."""
    good = np.isfinite(x)
    if good.all() or good.sum() < 2:
        return x
    out = x.copy()
    for a, b in finite_runs(~good):
        if a == 0 or b == x.shape[0]:
            continue  # never extrapolate at the ends
        if t[b] - t[a - 1] <= max_gap_s + 1e-9:
            out[a:b] = np.interp(t[a:b], [t[a - 1], t[b]], [x[a - 1], x[b]])
    return out


def _lowpass_runs(
    t: np.ndarray,
    x: np.ndarray,
    sos: np.ndarray,
    *,
    dt: float,
    uniform: bool,
    causal: bool,
) -> np.ndarray:
    """Low-pass each finite run of ``x`` separately (resampled when time is not uniform)."""
    out = x.copy()
    for a, b in finite_runs(np.isfinite(x)):
        if b - a < _MIN_RUN:
            continue
        ts, xs = t[a:b], x[a:b]
        if uniform:
            out[a:b] = _filter(xs, sos, causal=causal)
        else:
            grid = np.arange(ts[0], ts[-1] + 0.5 * dt, dt)
            if grid.shape[0] < _MIN_RUN:
                continue
            yg = _filter(np.interp(grid, ts, xs), sos, causal=causal)
            out[a:b] = np.interp(ts, grid, yg)
    return out


def _filter(x: np.ndarray, sos: np.ndarray, *, causal: bool) -> np.ndarray:
    if causal:
        y, _ = sosfilt(sos, x, sosfilt_zi(sos) * x[0])
        return y
    padlen = min(3 * (2 * sos.shape[0] + 1), x.shape[0] - 1)
    return sosfiltfilt(sos, x, padlen=padlen)
