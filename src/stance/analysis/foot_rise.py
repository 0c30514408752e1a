"""A foot's rise from evidence other than the landmarks' lift signal.

* `FootRise`: each foot's rise measured on its own pixels (`stance.vision.foot_track`), and
  `pixels_apply`, where the segmentation (`stance.analysis.segment.foot_lift`) may use it;
* `held_rise`: the highest rise a foot kept for a while, even under the lift threshold (the
  quality gate names a lift too low to count).

Leg lengths are hip joint to ankle; axis 0 is time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stance.analysis.clean import finite_runs
from stance.core.track import Side


@dataclass(frozen=True)
class FootRise:
    """How far each foot rose in the image from its own pixels (`stance.vision.foot_track`),
    one value per frame of the track.

    Attributes:
        t_s: (T,) seconds.
        left, right: (T,) rise of each foot's best match above where it stood in quiet
            stance, leg lengths (> 0 up); NaN where there was nothing to match.
        score_left, score_right: (T,) the match scores (normalised cross-correlation).
        min_score: the score under which a rise is not trusted.
    """

    t_s: np.ndarray
    left: np.ndarray
    right: np.ndarray
    score_left: np.ndarray
    score_right: np.ndarray
    min_score: float

    @property
    def lift(self) -> np.ndarray:
        """(T,) LEFT foot height above the RIGHT foot, leg lengths; NaN where either match
        scores under ``min_score``."""
        trusted = (self.score_left >= self.min_score) & (self.score_right >= self.min_score)
        return np.asarray(np.where(trusted, self.left - self.right, np.nan))


def pixels_apply(
    lift: np.ndarray,
    px: np.ndarray,
    t_s: np.ndarray,
    *,
    lift_on: float,
    lift_off: float,
    min_hold_s: float,
) -> np.ndarray:
    """(T,) bool: where the feet's pixels' lift ``px`` replaces the landmarks' ``lift``: the
    landmarks see no lift (finite, under ``lift_on``; under ``lift_off`` or the same foot
    higher) and the pixels see one foot ``lift_on`` higher, the same foot, for at least
    ``min_hold_s`` without a break. A single poor match (a cut, a zoom) cannot make a hold,
    nor break one the landmarks see."""
    agree = (np.abs(lift) < lift_off) | (np.sign(lift) == np.sign(px))
    level = np.isfinite(lift) & (np.abs(lift) < lift_on) & agree
    ok = np.zeros(len(lift), dtype=bool)
    for sign in (1.0, -1.0):
        up = np.nan_to_num(sign * px, nan=0.0) >= lift_on
        for a, b in finite_runs(up):
            if t_s[b - 1] - t_s[a] >= min_hold_s:
                ok[a:b] = True
    return np.asarray(ok & level)


@dataclass(frozen=True)
class Rise:
    """A foot held up: ``side``, by ``leg_lengths`` (above where it stood at the start)."""

    side: Side
    leg_lengths: float


def held_rise(t_s: np.ndarray, lift: np.ndarray, *, hold_s: float, start_s: float) -> Rise | None:
    """The foot that stayed highest for ``hold_s`` seconds, relative to the median foot-lift
    signal ``lift`` (T,) over the first ``start_s`` seconds (a foot placed a little forward
    reads a little lower for the whole clip: that is no rise); None without a start or with
    no rise at all. A window's rise is the lowest rise in it (NaN counts as none)."""
    start = t_s < t_s[0] + start_s if len(t_s) else np.zeros(0, dtype=bool)
    if not np.any(start & np.isfinite(lift)):
        return None
    rel = np.nan_to_num(lift - np.nanmedian(lift[start]), nan=0.0)
    best: Rise | None = None
    for side, signed in ((Side.LEFT, rel), (Side.RIGHT, -rel)):
        j = 0
        for i in range(len(t_s)):  # windows [j, i] spanning at least hold_s
            while j < i and t_s[i] - t_s[j + 1] >= hold_s:
                j += 1
            if t_s[i] - t_s[j] >= hold_s:
                low = float(np.min(signed[j : i + 1]))
                if low > 0 and (best is None or low > best.leg_lengths):
                    best = Rise(side, low)
    return best
