"""Find the held single-leg stances (trials) and the quiet double-leg stance before each.

Axis 0 is time; positions are pixels of the cleaned track.

The signal is the height of the LEFT foot above the RIGHT foot, in leg lengths, measured along
the body's own vertical (the clip's median hip-midpoint -> shoulder-midpoint direction), so a
tilted camera changes nothing. The height difference is taken for the ankles, the heels and the
foot tips, and the median of the three is used (a single badly placed landmark cannot move it).
Where the KNEES differ more than the feet and by at least ``LIFT_ON``, the knees' difference is
used instead (below that a pelvic drop alone moves the knees by a few hundredths): a high lift
(hip flexed 45-90 degrees) brings the foot toward the camera, so it rises little in the image,
and loose trousers or a foot hidden behind the standing leg can make the pose model put it
on the floor, while the lifted knee is unmistakably high (a knee cannot rise with its foot on
the floor). Where neither the feet nor the knees show a lift but the feet's own pixels do
(`FootRise`, from `stance.vision.foot_track` when the pose pass watched them: a boot in loose
or armoured trousers that the pose model leaves on the floor while it plainly rises in the
picture), the pixels' rise is used. Leg length is the clip's median hip-to-ankle distance of
the longer (straight, standing) leg.

A foot counts as up when it is ``lift_on`` leg lengths above the other one and as down again
below ``lift_off`` (hysteresis). Lifts of the same foot separated by less than
``max_touchdown_s`` of double stance are one trial with a touch-down (a free foot that brushes
the floor, or a leg swing passing close to it), and so are lifts separated only by up to
``max_unknown_s`` of unknown feet (a lifted foot hidden behind the standing leg is not trusted,
but it does not end the hold either); a touch-down longer than ``max_touchdown_ratio`` times the
foot's time up both before and after it ends the trial (stepping on the spot is no hold even
where the pose model misses the other foot's steps). Lifts shorter than ``min_hold_s`` are
ignored.

The baseline of a trial is the steadiest window (``baseline_s`` long or what there is) of
double-leg stance in the ``max_lookback_s`` before the lift, the latest of the near-steadiest
ones (steadiness: spread of the hip, shoulder and ankle positions). Fallback: the latest double
stance anywhere before the trial. A trial with no double stance before it has ``baseline=None``.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np

from stance.analysis.clean import finite_runs
from stance.analysis.foot_rise import FootRise, Rise, held_rise, pixels_apply
from stance.core.track import LM, PoseTrack, Side

log = logging.getLogger(__name__)

LIFT_ON = 0.08
"""Foot up when this many leg lengths above the other foot (project's choice, set on real
footage: quiet stance stays below ~0.03, the test asks for a lift of ~0.15 or more)."""
LIFT_OFF = 0.04
"""Foot down again below this (hysteresis: half of LIFT_ON)."""

BOTH_DOWN, LEFT_UP, RIGHT_UP, UNKNOWN = 0, 1, 2, -1
BASELINE_S = 1.0
"""Length (s) of the quiet double-leg stance looked for before each lift (project's choice:
long enough to average sway, short enough that people wait for it)."""

_PARTS = ("ankle", "heel", "foot_index")


@dataclass(frozen=True)
class SegmentParams:
    """The segmentation's parameters (recorded in the JSON's ``settings.segment``); see the
    module docstring for what each does.

    Attributes:
        lift_on: a foot is up this many leg lengths above the other one (`LIFT_ON`).
        lift_off: ...and down again below this many leg lengths (`LIFT_OFF`).
        min_hold_s: lifts shorter than this (seconds) are not trials at all (the shortest
            JUDGEABLE hold is `stance.analysis.judge.Thresholds.min_hold_s`).
        max_touchdown_s: lifts of the same foot separated by at most this much double stance
            (seconds) are one trial with a touch-down.
        max_unknown_s: ...or by at most this much of unknown feet (seconds).
        max_touchdown_ratio: ...and a touch-down is no longer than this times the longer
            of the foot's time up before it in the trial and its next stretch up: a held foot
            touches down briefly (a leg swing brushing the floor: 0.1-0.3 s between stretches
            of 0.4-1.3 s), while marching or high knees whose other foot the pose model misses
            put each foot down for longer than it is up on either side (0.65 s between 0.45-s
            lifts; 0.43 between 0.32).
        baseline_s: length of the quiet double stance looked for before a lift (seconds,
            `BASELINE_S`).
        max_lookback_s: how far before a lift the baseline is looked for (seconds).
    """

    lift_on: float = LIFT_ON
    lift_off: float = LIFT_OFF
    min_hold_s: float = 1.0
    max_touchdown_s: float = 1.0
    max_unknown_s: float = 2.0
    max_touchdown_ratio: float = 1.0
    baseline_s: float = BASELINE_S
    max_lookback_s: float = 6.0


@dataclass(frozen=True)
class Phase:
    """A stretch of frames ``i0 <= i < i1``; ``t0_s``/``t1_s`` its first and last frame times."""

    i0: int
    i1: int
    t0_s: float
    t1_s: float

    @property
    def duration_s(self) -> float:
        return self.t1_s - self.t0_s


@dataclass(frozen=True)
class Trial:
    """One held single-leg stance, frames ``i0 <= i < i1``.

    Attributes:
        lifted: the foot that is up.
        start_s: time of frame ``i0``; end_s: time of frame ``i1`` (the first frame down again),
            or the last frame time plus one frame interval when the hold runs to the end.
        baseline: the quiet double-leg stance just before it; None when there is none.
        touchdowns_s: start times of brief touch-downs of the lifted foot inside the hold.
        foot_behind: the lifted foot was held behind the standing leg (found from the bent
            knee, hip extended: the "stork" version) for most of the hold.
    """

    lifted: Side
    i0: int
    i1: int
    start_s: float
    end_s: float
    baseline: Phase | None
    touchdowns_s: tuple[float, ...] = ()
    foot_behind: bool = False

    @property
    def stance(self) -> Side:
        return self.lifted.other

    @property
    def hold_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Segmentation:
    """Trials and baselines of one clip.

    Attributes:
        trials: in time order.
        baselines: the distinct baselines used by the trials, in time order.
        foot_lift: (T,) LEFT foot height above the RIGHT foot in leg lengths along the body's
            vertical (> 0: left foot higher); NaN where unknown.
        lifted: (T,) int8: 0 both feet down, 1 left foot up, 2 right foot up, -1 unknown.
        leg_length_px: the leg length used for normalising (px), NaN when unknown.
        params: what it was found with (the quality gate's sentences quote them).
        held_rise: the foot that rose most above where it stood at the start and stayed
            there for ``params.min_hold_s`` (`held_rise`), or None: with no trial, it tells
            a lift too low to count from no lift at all.
    """

    trials: tuple[Trial, ...]
    baselines: tuple[Phase, ...]
    foot_lift: np.ndarray
    lifted: np.ndarray
    leg_length_px: float = float("nan")
    params: SegmentParams = SegmentParams()
    held_rise: Rise | None = None


def body_up(track: PoseTrack) -> np.ndarray:
    """(2,) unit vector of the body's vertical in the image (toward the head), else image up."""
    v = track.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER) - track.mid(LM.LEFT_HIP, LM.RIGHT_HIP)
    n = np.linalg.norm(v, axis=-1)
    ok = np.isfinite(n) & (n > 0)
    if not np.any(ok):
        return np.array([0.0, -1.0])
    u = np.median(v[ok] / n[ok, None], axis=0)
    return np.asarray(u / np.linalg.norm(u))


def leg_length_px(track: PoseTrack) -> float:
    """Median over frames of the longer hip-to-ankle distance (px); NaN when unknown."""
    lengths = [
        np.linalg.norm(track.point(LM.of(s, "hip")) - track.point(LM.of(s, "ankle")), axis=-1)
        for s in Side
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        longest = np.fmax(lengths[0], lengths[1])
        return float(np.nanmedian(longest)) if np.any(np.isfinite(longest)) else float("nan")


def foot_lift(
    track: PoseTrack,
    *,
    up: np.ndarray | None = None,
    leg_px: float | None = None,
    params: SegmentParams = SegmentParams(),
    pixels: FootRise | None = None,
) -> np.ndarray:
    """(T,) LEFT foot height above the RIGHT foot in leg lengths (`lift_with_sources`)."""
    return lift_with_sources(track, up=up, leg_px=leg_px, params=params, pixels=pixels)[0]


def lift_with_sources(
    track: PoseTrack,
    *,
    up: np.ndarray | None = None,
    leg_px: float | None = None,
    params: SegmentParams = SegmentParams(),
    pixels: FootRise | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(T,) LEFT foot height above the RIGHT foot in leg lengths: the feet's; the knees'
    height difference where it is the larger one and at least ``params.lift_on``; the bent
    knee's for a foot hidden behind the standing leg; the feet's own pixels (``pixels``) where
    the landmarks show no lift and the pixels do (see the module docstring). And (T,) bool:
    where the bent knee's was used (the foot behind)."""
    up = body_up(track) if up is None else up
    leg = leg_length_px(track) if leg_px is None else leg_px
    if not np.isfinite(leg) or leg <= 0:
        return np.full(len(track), np.nan), np.zeros(len(track), dtype=bool)
    diffs = np.stack(
        [
            (track.point(LM.of(Side.LEFT, p)) - track.point(LM.of(Side.RIGHT, p))) @ up
            for p in _PARTS
        ],
        axis=-1,
    )
    knee = (track.point(LM.LEFT_KNEE) - track.point(LM.RIGHT_KNEE)) @ up
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        feet = np.nanmedian(diffs, axis=-1)
    higher_knee = (
        np.isfinite(knee) & (np.abs(knee) >= params.lift_on * leg) & ~(np.abs(feet) >= np.abs(knee))
    )
    lift = np.where(higher_knee, knee, feet) / leg
    # a foot hidden behind the standing leg: only that foot unseen, both knees seen
    seen = {
        s: np.any([np.all(np.isfinite(track.point(LM.of(s, p))), axis=-1) for p in _PARTS], axis=0)
        for s in Side
    }
    knees = np.all(np.isfinite(track.point(LM.LEFT_KNEE)), axis=-1) & np.all(
        np.isfinite(track.point(LM.RIGHT_KNEE)), axis=-1
    )
    bent = bent_knee_lift(track)
    behind = knees & np.where(
        bent > 0, seen[Side.RIGHT] & ~seen[Side.LEFT], seen[Side.LEFT] & ~seen[Side.RIGHT]
    )
    use_bent = behind & ~(np.abs(lift) >= params.lift_on) & (np.abs(bent) >= params.lift_on)
    lift = np.where(use_bent, bent, lift)
    if pixels is not None and len(pixels.t_s) == len(lift):
        use = pixels_apply(
            lift,
            pixels.lift,
            track.t_s,
            lift_on=params.lift_on,
            lift_off=params.lift_off,
            min_hold_s=params.min_hold_s,
        )
        lift = np.where(use, pixels.lift, lift)
    return np.asarray(lift), np.asarray(use_bent, dtype=bool)


SHANK_FRACTION = 0.5
"""Shank (knee to ankle) as a share of the leg (hip to ankle): about 0.5 on adults."""


def knee_flexion_deg(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) knee flexion of ``side`` in degrees (0 = straight) from the 3-D world landmarks,
    which the pose model fills in for a foot hidden behind the other leg; NaN where unknown."""
    hip, knee, ankle = (track.world[:, LM.of(side, p)] for p in ("hip", "knee", "ankle"))
    a, b = hip - knee, ankle - knee
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.asarray(180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def bent_knee_lift(track: PoseTrack) -> np.ndarray:
    """(T,) LEFT foot height above the RIGHT foot in leg lengths as the knees' flexion implies
    with the thighs hanging: a shank bent by ``f`` lifts its foot ``SHANK_FRACTION x (1 - cos
    f)``. Used only where one foot cannot be seen while the other foot and both knees can: a
    foot lifted BEHIND the standing leg (the "stork" version of the test) is hidden from a
    frontal camera and its knee stays level with the other one, but its knee is bent 60-120
    degrees while the standing knee is straight. In quiet stance the two estimates differ by
    about 0.02."""
    left, right = (
        SHANK_FRACTION * (1.0 - np.cos(np.radians(knee_flexion_deg(track, s))))
        for s in (Side.LEFT, Side.RIGHT)
    )
    return np.asarray(left - right)


def segment(
    track: PoseTrack, params: SegmentParams = SegmentParams(), pixels: FootRise | None = None
) -> Segmentation:
    """Find the trials of a cleaned track (see the module docstring for the method);
    ``pixels``: the feet's rise from their own pixels on the same frames, if observed."""
    T = len(track)
    up = body_up(track)
    leg = leg_length_px(track)
    lift, behind = lift_with_sources(track, up=up, leg_px=leg, params=params, pixels=pixels)
    state = _hysteresis(lift, params)
    t = track.t_s
    dt = float(np.median(np.diff(t))) if T > 1 else 0.0

    holds = _merge_holds(
        state,
        t,
        max_down_s=params.max_touchdown_s,
        max_unknown_s=params.max_unknown_s,
        max_touchdown_ratio=params.max_touchdown_ratio,
    )
    trials: list[Trial] = []
    prev_end = 0
    for side_code, i0, i1, touch in holds:
        end_s = float(t[i1]) if i1 < T else float(t[-1] + dt)
        if end_s - t[i0] >= params.min_hold_s:
            lifted = Side.LEFT if side_code == LEFT_UP else Side.RIGHT
            base = _baseline(
                track,
                state,
                i0,
                prev_end,
                leg=leg,
                baseline_s=params.baseline_s,
                lookback_s=params.max_lookback_s,
            )
            trials.append(
                Trial(
                    lifted=lifted,
                    i0=i0,
                    i1=i1,
                    start_s=float(t[i0]),
                    end_s=end_s,
                    baseline=base,
                    touchdowns_s=tuple(float(t[i]) for i in touch),
                    foot_behind=bool(np.mean(behind[i0:i1]) > 0.5),
                )
            )
        prev_end = i1
    baselines = sorted(
        {tr.baseline for tr in trials if tr.baseline is not None}, key=lambda p: p.i0
    )
    for tr in trials:
        log.debug(
            "trial: %s foot up %.2f-%.2f s, baseline %s, touch-downs %s",
            tr.lifted.value,
            tr.start_s,
            tr.end_s,
            None
            if tr.baseline is None
            else (round(tr.baseline.t0_s, 2), round(tr.baseline.t1_s, 2)),
            tr.touchdowns_s,
        )
    return Segmentation(
        trials=tuple(trials),
        baselines=tuple(baselines),
        foot_lift=lift,
        lifted=state,
        leg_length_px=leg,
        params=params,
        held_rise=held_rise(t, lift, hold_s=params.min_hold_s, start_s=params.baseline_s),
    )


def foot_state(lift: float, previous: int, params: SegmentParams = SegmentParams()) -> int:
    """One step of the foot-up hysteresis, shared by the recorded analysis and the live
    protocol: the state (``LEFT_UP``, ``RIGHT_UP``, ``BOTH_DOWN``, ``UNKNOWN``) after a frame
    whose foot-lift signal is ``lift`` (leg lengths, + = left foot higher), given the
    ``previous`` state. A foot goes up above ``params.lift_on`` and stays up until it falls
    below ``params.lift_off``."""
    on, off = params.lift_on, params.lift_off
    if not math.isfinite(lift):
        return UNKNOWN
    if previous == LEFT_UP and lift >= off:
        return LEFT_UP
    if previous == RIGHT_UP and lift <= -off:
        return RIGHT_UP
    if lift > on:
        return LEFT_UP
    if lift < -on:
        return RIGHT_UP
    return BOTH_DOWN


def _hysteresis(lift: np.ndarray, params: SegmentParams) -> np.ndarray:
    """(T,) int8 foot state from the foot-lift signal (`foot_state` frame by frame)."""
    state = np.full(lift.shape[0], UNKNOWN, dtype=np.int8)
    s = UNKNOWN
    for i, v in enumerate(lift):
        s = foot_state(float(v), s, params)
        state[i] = s
    return state


def _merge_holds(
    state: np.ndarray,
    t: np.ndarray,
    *,
    max_down_s: float,
    max_unknown_s: float,
    max_touchdown_ratio: float,
) -> list[tuple[int, int, int, list[int]]]:
    """Runs of one foot up, merged across short breaks: (side code, i0, i1, touch-down frames).

    Two runs of the same foot merge when the other foot does not go up between them, the
    break lasts at most ``max_down_s`` when the feet were seen down in it (a touch-down: its
    first frame is recorded), or at most ``max_unknown_s`` when the feet were only unknown
    (e.g. the lifted foot hidden behind the standing leg); a touch-down also at most
    ``max_touchdown_ratio`` times the longer of the time the foot was up before it in the trial
    and the run after it.
    """
    runs: list[tuple[int, int, int]] = []
    for code in (LEFT_UP, RIGHT_UP):
        runs += [(a, code, b) for a, b in finite_runs(state == code)]
    runs.sort()
    period = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    merged: list[tuple[int, int, int, list[int]]] = []
    for i0, code, i1 in runs:
        if merged:
            c, a, b, touch = merged[-1]
            down = np.flatnonzero(state[b:i0] == BOTH_DOWN)
            limit = max_down_s if down.size else max_unknown_s
            if down.size:  # a touch-down: no longer than the foot was up before or after it
                up_s = period * max(int(np.count_nonzero(state[a:b] == code)), i1 - i0)
                limit = min(limit, max_touchdown_ratio * up_s)
            if c == code and t[i0] - t[b - 1] <= limit:
                if down.size:
                    touch.append(b + int(down[0]))
                merged[-1] = (c, a, i1, touch)
                continue
        merged.append((code, i0, i1, []))
    return merged


def _baseline(
    track: PoseTrack,
    state: np.ndarray,
    i0: int,
    prev_end: int,
    *,
    leg: float,
    baseline_s: float,
    lookback_s: float,
) -> Phase | None:
    """The quiet double stance just before frame ``i0`` (see the module docstring)."""
    t = track.t_s
    lo = max(prev_end, int(np.searchsorted(t, t[i0] - lookback_s)))
    runs = [(a + lo, b + lo) for a, b in finite_runs(state[lo:i0] == BOTH_DOWN)]
    if not runs:
        runs = finite_runs(state[:i0] == BOTH_DOWN)
        if not runs:
            return None
        runs = runs[-1:]
        log.debug(
            "trial at %.2f s: no double stance just before it; using %.2f s", t[i0], t[runs[0][0]]
        )
    pts = np.stack(
        [
            track.mid(LM.LEFT_HIP, LM.RIGHT_HIP),
            track.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER),
            track.point(LM.LEFT_ANKLE),
            track.point(LM.RIGHT_ANKLE),
        ],
        axis=1,
    )  # (T, 4, 2)
    scale = leg if np.isfinite(leg) and leg > 0 else 1.0
    candidates: list[tuple[float, int, int]] = []  # (spread, first frame, stop frame)
    dt = float(np.median(np.diff(t))) if t.shape[0] > 1 else 1.0
    for a, b in runs:
        n = min(b - a, max(2, round(baseline_s / dt)))
        for s in range(a, b - n + 1):
            w = pts[s : s + n]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                spread = float(np.nanmax(np.nanstd(w, axis=0))) / scale
            if np.isfinite(spread):
                candidates.append((spread, s, s + n))
    if not candidates:
        a, b = runs[-1]
        return Phase(a, b, float(t[a]), float(t[b - 1]))
    tol = 1.5 * min(candidates)[0] + 0.002  # leg lengths: as steady as the steadiest, or nearly
    latest = max((c for c in candidates if c[0] <= tol), key=lambda c: c[1])
    _, a, b = latest
    return Phase(a, b, float(t[a]), float(t[b - 1]))
