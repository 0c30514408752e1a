"""Is this clip a judgeable single-leg stance test? Flags in plain words.

Axis 0 is time. Works on a raw or a cleaned track: a landmark counts as seen when its position
is finite and its visibility is at least ``min_visibility``.

Per frame (frames with a person only):
- person: at least 3 of the 4 torso landmarks (shoulders, hips) seen;
- frontal: shoulder width + hip width at least ``frontal_ratio`` torso lengths (a side view
  collapses both widths), the person's LEFT shoulder and hip on the image RIGHT of the right
  ones (MediaPipe labels a person who faces the camera that way, mirrored video or not; in a
  back view, or the frames of a turn, the order flips) and the face seen (nose and an eye);
- feet in frame: both ankles and both foot tips inside the frame with MediaPipe ``presence``
  (its in-frame likelihood) at least ``min_visibility``. Visibility is not required: a lifted
  foot hidden behind the other leg is still in the picture.
Tracking jumps: the hip midpoint moves more than ``jump_torso`` torso lengths between frames,
or the torso length changes by more than a factor ``jump_scale`` (cuts, person switches).

Blocking flags end the analysis with "cannot tell"; warnings lower the confidence. This
module decides (each flag's `FlagCode`, whether it blocks, the numbers behind it); the
sentences people read are in `stance.analysis.quality_wording`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np

from stance.analysis import quality_wording as wording
from stance.analysis.lighting import UNKNOWN_LIGHTING, Lighting
from stance.analysis.segment import Segmentation
from stance.core.track import LM, PoseTrack

HIGH_LIFT_LEGS = 0.4
"""A hold with the lifted foot higher than this many leg lengths above the other (median) is
not the clinical test (foot just off the floor, hip flexed 0-30 degrees, about 0.1-0.25 leg
lengths on the sample and real footage) but a tree pose or knee-to-chest lift, which tilts the
pelvis by itself (project's choice; tree_pose_right_studio holds at 0.8)."""

MIN_JUDGEABLE_HOLD_S = 2.0
"""Shortest hold that can be judged: the first 0.5 s is the lift transient, which leaves at least
1.5 s of settled stance to measure (project's choice)."""


SMALL_PERSON = 0.5
"""A person whose landmarks span less than this share of the frame's height is too small for
the pose model: the sample's person scaled into 1280x720 and 3840x2160 frames was found at 60%
of the height and at 80%, never at 40% or 20% (project's measurement, issue 22)."""

LARGE_FRAME_PX = 2560
"""A frame whose longer side has at least this many pixels (1440p, 4K). When nobody at all is
found in such a frame in good light, the likely cause is a person filmed from too far: the
pose model sees the whole picture reduced, so a body a fifth of a 4K frame's height is lost
(project's choice; a smaller frame gets the general advice, which also says to fill it)."""


class NobodyCause(str, Enum):
    """Why nobody (or almost nobody) was found; its sentence is in
    `stance.analysis.quality_wording`."""

    POOR_LIGHT = "poor_lighting"
    TOO_SMALL = "too_small"
    UNSEEN = "unseen"


def person_height(track: PoseTrack) -> float:
    """The median over frames with a detection of the person's height in the picture: the
    vertical span of the landmarks, as a share (0-1) of the frame height; NaN when nobody was
    detected."""
    seen = (track.n_people > 0) & np.isfinite(track.xy[..., 1]).any(axis=1)
    if len(track) == 0 or not seen.any():
        return float("nan")
    y = track.xy[seen, :, 1]
    with np.errstate(all="ignore"):
        span = np.nanmax(y, axis=1) - np.nanmin(y, axis=1)
    return float(np.median(span) / max(track.frame_size[1], 1))


def nobody_cause(track: PoseTrack, lighting: Lighting) -> NobodyCause:
    """The likely reason a clip shows nobody to follow: poor light when it is measured so; a
    person too small in the picture when the detections there are (median height below
    ``SMALL_PERSON``) or, with no detection at all, when the frame is large (longer side at
    least ``LARGE_FRAME_PX``); else nothing more specific (`NobodyCause.UNSEEN`)."""
    if lighting.too_poor:
        return NobodyCause.POOR_LIGHT
    height = person_height(track)
    if np.isfinite(height):
        return NobodyCause.TOO_SMALL if height < SMALL_PERSON else NobodyCause.UNSEEN
    large = max(track.frame_size) >= LARGE_FRAME_PX
    return NobodyCause.TOO_SMALL if large else NobodyCause.UNSEEN


def too_short_message(
    name: str, duration_s: float, *, baseline_s: float, min_hold_s: float
) -> str | None:
    """Why a clip of ``duration_s`` seconds cannot hold a test (one line), or None.

    ``baseline_s`` is the segmentation's baseline length (`SegmentParams.baseline_s`) and
    ``min_hold_s`` the shortest judgeable hold (`stance.analysis.judge.Thresholds.min_hold_s`),
    both seconds (3 s with the default settings). A shorter clip is refused before pose
    inference.
    """
    if duration_s >= baseline_s + min_hold_s:
        return None
    return wording.too_short(name, duration_s, baseline_s=baseline_s, min_hold_s=min_hold_s)


class FlagCode(str, Enum):
    """The stable code of a quality flag (the JSON's ``quality.flags[].code``); its sentence
    is in `stance.analysis.quality_wording`."""

    POOR_LIGHT = "poor_lighting"
    NO_PERSON = "no_person"
    NOT_FRONTAL = "not_frontal"
    FEET_OUT = "feet_out_of_frame"
    CUT_IN_TRIAL = "cut_in_trial"
    NO_TRIAL = "no_trial"
    TOO_SHORT = "hold_too_short"
    NO_BASELINE = "no_baseline"
    MULTI_PERSON = "multiple_people"
    JUMPS = "tracking_jumps"
    LOW_FPS = "low_frame_rate"
    HIGH_LIFT = "lift_too_high"


# the blocking codes in the order a verdict should name them
BLOCKING_ORDER = (
    FlagCode.POOR_LIGHT,
    FlagCode.NO_PERSON,
    FlagCode.NOT_FRONTAL,
    FlagCode.FEET_OUT,
    FlagCode.CUT_IN_TRIAL,
    FlagCode.NO_TRIAL,
    FlagCode.TOO_SHORT,
    FlagCode.NO_BASELINE,
)


@dataclass(frozen=True)
class QualityFlag:
    """One problem: a stable ``code``, a plain-words ``message`` (the problem and what to do)."""

    code: FlagCode
    message: str
    blocking: bool


@dataclass(frozen=True)
class QualityReport:
    """Quality of one clip.

    Attributes:
        flags: problems found, blocking ones first (in ``BLOCKING_ORDER``).
        person_fraction: share of frames with a person.
        frontal_fraction: share of person frames seen from the front (in the trials and their
            baselines when there are trials, else in the whole clip).
        feet_visible_fraction: share of person frames with both feet seen inside the frame
            (trials and baselines when there are trials, else the whole clip).
        multi_person_fraction: share of frames where more than one person was detected.
        lighting: brightness and contrast of the analysed frames (`stance.analysis.lighting`).
    """

    flags: tuple[QualityFlag, ...]
    person_fraction: float
    frontal_fraction: float
    feet_visible_fraction: float
    multi_person_fraction: float
    lighting: Lighting = UNKNOWN_LIGHTING

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.flags)

    @property
    def first_blocking(self) -> QualityFlag | None:
        return next((f for f in self.flags if f.blocking), None)


class _Adder(Protocol):
    """The flag-adding callback: (code, message, *, blocking)."""

    def __call__(self, code: FlagCode, message: str, *, blocking: bool) -> None: ...


@dataclass(frozen=True)
class QualityParams:
    """The quality gate's parameters (recorded in the JSON's ``settings.quality``; see the
    module docstring for the per-frame checks).

    The shortest judgeable hold is deliberately NOT here: it is the judge's
    `stance.analysis.judge.Thresholds.min_hold_s`, which `stance.pipeline.judge_track` passes
    to `assess_quality`, so that the gate ("hold too short") and the judge can never disagree
    about which holds count. One number, one owner: it stays in ``settings.thresholds``,
    where the JSON has always recorded it.

    Attributes:
        min_visibility: a landmark counts as seen at this MediaPipe visibility (0-1) or more.
        min_person: blocking below this share (0-1) of frames with a person.
        min_frontal: blocking below this share (0-1) of person frames seen from the front.
        min_feet_trial: blocking below this share (0-1) of the trials' and baselines' person
            frames with both feet in the frame...
        min_feet_clip: ...or below this share (0-1) of the whole clip's person frames.
        max_multi_person: a warning above this share (0-1) of frames with several people.
        min_fps: a warning below this recording rate (frames per second).
        frontal_ratio: frontal when shoulder width + hip width is at least this many torso
            lengths.
        jump_torso: a tracking jump when the hip midpoint moves more than this many torso
            lengths between frames...
        jump_scale: ...or the torso length changes by more than this factor.
    """

    min_visibility: float = 0.5
    min_person: float = 0.5
    min_frontal: float = 0.8
    min_feet_trial: float = 0.8
    min_feet_clip: float = 0.6
    max_multi_person: float = 0.05
    min_fps: float = 15.0
    frontal_ratio: float = 0.6
    jump_torso: float = 0.5
    jump_scale: float = 1.5


def _seen(track: PoseTrack, idx: list[int], min_visibility: float) -> np.ndarray:
    """(T, len(idx)) True where a landmark is finite and visible enough."""
    finite = np.all(np.isfinite(track.xy[:, idx, :]), axis=-1)
    return np.asarray(finite & (track.visibility[:, idx] >= min_visibility))


@dataclass(frozen=True)
class FrameChecks:
    """Per-frame checks of a track, each (T,) bool (see the module docstring)."""

    person: np.ndarray
    frontal: np.ndarray
    feet: np.ndarray
    jump: np.ndarray


def frame_checks(track: PoseTrack, params: QualityParams = QualityParams()) -> FrameChecks:
    """Per-frame (T,) boolean checks: person, frontal, feet, jump (see the module docstring)."""
    T = len(track)
    torso_idx = [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP]
    person = _seen(track, torso_idx, params.min_visibility).sum(axis=1) >= 3

    sh_w = np.linalg.norm(track.point(LM.LEFT_SHOULDER) - track.point(LM.RIGHT_SHOULDER), axis=-1)
    hip_w = np.linalg.norm(track.point(LM.LEFT_HIP) - track.point(LM.RIGHT_HIP), axis=-1)
    mid_hip = track.mid(LM.LEFT_HIP, LM.RIGHT_HIP)
    torso = np.linalg.norm(track.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER) - mid_hip, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        wide = (sh_w + hip_w) / torso >= params.frontal_ratio
        facing = (track.xy[:, LM.LEFT_SHOULDER, 0] > track.xy[:, LM.RIGHT_SHOULDER, 0]) & (
            track.xy[:, LM.LEFT_HIP, 0] > track.xy[:, LM.RIGHT_HIP, 0]
        )
    face = _seen(track, [LM.NOSE], params.min_visibility)[:, 0] & np.any(
        _seen(track, [LM.LEFT_EYE, LM.RIGHT_EYE], params.min_visibility), axis=1
    )
    frontal = person & wide & facing & face

    feet_idx = [LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]
    w, h = track.frame_size
    fxy = track.xy[:, feet_idx, :]
    with np.errstate(invalid="ignore"):
        outside = (fxy[..., 0] < 0) | (fxy[..., 0] > w) | (fxy[..., 1] < 0) | (fxy[..., 1] > h)
    # a cleaned track has NaN for points seen too little; presence still says "in the frame"
    inside = ~outside
    present = track.presence[:, feet_idx] >= params.min_visibility
    feet = person & np.all(inside & present, axis=1)

    jump = np.zeros(T, dtype=bool)
    if T > 1:
        step = np.linalg.norm(np.diff(mid_hip, axis=0), axis=-1)
        ref = np.fmin(torso[1:], torso[:-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.fmax(torso[1:], torso[:-1]) / ref
            jump[1:] = (step > params.jump_torso * ref) | (ratio > params.jump_scale)
        jump[1:] &= person[1:] & person[:-1]
    return FrameChecks(person=person, frontal=frontal, feet=feet, jump=jump)


def assess_quality(
    track: PoseTrack,
    seg: Segmentation | None = None,
    params: QualityParams = QualityParams(),
    *,
    min_hold_s: float,
    source_fps: float | None = None,
    lighting: Lighting = UNKNOWN_LIGHTING,
) -> QualityReport:
    """Assess a track (and its segmentation, when given); see the module docstring.

    ``min_hold_s`` is the shortest judgeable hold (seconds), required and never defaulted
    here: pass the judge's own `stance.analysis.judge.Thresholds.min_hold_s` (see
    `QualityParams`). ``source_fps`` is the recording's rate when
    the track was decimated from it; ``lighting`` (measured on the frames during the pose
    pass) adds the poor-lighting flag.
    """
    T = len(track)
    checks = frame_checks(track, params)
    person = checks.person
    person_fraction = float(person.mean()) if T else 0.0
    multi = float(np.mean(track.n_people > 1)) if T else 0.0

    def share(name: str, where: np.ndarray) -> float:
        base = person & where
        return float(getattr(checks, name)[base].mean()) if base.any() else 0.0

    everywhere = np.ones(T, dtype=bool)
    in_trials = np.zeros(T, dtype=bool)
    trials = seg.trials if seg is not None else ()
    for tr in trials:
        in_trials[tr.i0 : tr.i1] = True
        if tr.baseline is not None:
            in_trials[tr.baseline.i0 : tr.baseline.i1] = True
    scope = in_trials if in_trials.any() else everywhere
    frontal_fraction = share("frontal", scope)
    feet_trial = share("feet", scope)
    feet_clip = share("feet", everywhere)

    flags: list[QualityFlag] = []

    def add(code: FlagCode, message: str, *, blocking: bool) -> None:
        flags.append(QualityFlag(code, message, blocking))

    if lighting.too_poor:
        add(FlagCode.POOR_LIGHT, wording.poor_lighting(lighting), blocking=True)
    if person_fraction < params.min_person:
        cause = nobody_cause(track, lighting)
        message = wording.no_person(person_fraction, cause, track.frame_size, person_height(track))
        add(FlagCode.NO_PERSON, message, blocking=True)
    if person.any() and frontal_fraction < params.min_frontal:
        add(FlagCode.NOT_FRONTAL, wording.not_frontal(frontal_fraction), blocking=True)
    if person.any() and (feet_trial < params.min_feet_trial or feet_clip < params.min_feet_clip):
        add(FlagCode.FEET_OUT, wording.feet_out(min(feet_trial, feet_clip)), blocking=True)
    jump_frames = np.flatnonzero(checks.jump)
    cuts_in_trial = [i for i in jump_frames if in_trials[i]]
    if cuts_in_trial:
        t_cut = float(track.t_s[cuts_in_trial[0]])
        add(FlagCode.CUT_IN_TRIAL, wording.cut_in_trial(t_cut), blocking=True)
    if seg is not None:
        _trial_flags(seg, min_hold_s, add)

    if multi > params.max_multi_person:
        add(FlagCode.MULTI_PERSON, wording.multi_person(multi), blocking=False)
    if jump_frames.size and not cuts_in_trial:
        first = float(track.t_s[jump_frames[0]])
        add(FlagCode.JUMPS, wording.tracking_jumps(int(jump_frames.size), first), blocking=False)
    # The recording's own rate matters, not the (deliberately lower) analysis rate.
    recorded_fps = source_fps if source_fps else track.fps
    if T > 1 and recorded_fps < params.min_fps:
        add(FlagCode.LOW_FPS, wording.low_frame_rate(recorded_fps), blocking=False)
    order = {c: i for i, c in enumerate(BLOCKING_ORDER)}
    flags.sort(key=lambda f: (not f.blocking, order.get(f.code, len(order))))
    return QualityReport(
        flags=tuple(flags),
        person_fraction=person_fraction,
        frontal_fraction=frontal_fraction,
        feet_visible_fraction=feet_trial,
        multi_person_fraction=multi,
        lighting=lighting,
    )


NOTICED_RISE = 0.03
"""A foot held this many leg lengths above where it stood at the start, but under the lift
threshold, is said in the no-trial message (a lift too low to count); below it, quiet stance
and a turning body reach ~0.025 on real footage."""


def _trial_flags(seg: Segmentation, min_hold_s: float, add: _Adder) -> None:
    if not seg.trials:
        rise = seg.held_rise
        low = rise if rise and NOTICED_RISE <= rise.leg_lengths < seg.params.lift_on else None
        add(FlagCode.NO_TRIAL, wording.no_trial(seg.params.min_hold_s, low), blocking=True)
        return
    long_enough = [tr for tr in seg.trials if tr.hold_s >= min_hold_s]
    if not long_enough:
        longest = max(tr.hold_s for tr in seg.trials)
        add(FlagCode.TOO_SHORT, wording.hold_too_short(longest, min_hold_s), blocking=True)
        return
    for tr in long_enough:
        with np.errstate(all="ignore"):
            height = float(np.nanmedian(np.abs(seg.foot_lift[tr.i0 : tr.i1])))
        if height > HIGH_LIFT_LEGS:
            add(FlagCode.HIGH_LIFT, wording.lift_too_high(tr.lifted, height), blocking=False)
    with_base = [tr for tr in long_enough if tr.baseline is not None]
    if len(with_base) < len(long_enough):
        message = wording.no_baseline(any_with_baseline=bool(with_base))
        add(FlagCode.NO_BASELINE, message, blocking=not with_base)
