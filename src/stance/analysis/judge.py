"""Judge the measurements: a finding per stance side, then the weak side(s) or "cannot tell".

The weak side is the STANCE side: standing on the right leg, a drop of the (lifted) left side of
the pelvis means the RIGHT gluteus medius is not holding the pelvis level (a positive right
Trendelenburg sign). A level pelvis kept by leaning the trunk over the stance leg is the
compensated sign and is not "normal" either.

Per stance side (the longest valid trial on that leg), with the interval [low, high] in which
the true drop is expected (``stance.analysis.fuse``: the measurement uncertainty, k = 2,
plus what the image is known not to see):
- POSITIVE: low >= threshold;
- INCONCLUSIVE: the threshold inside [low, high], or no valid trial on that leg;
- COMPENSATED: high below the threshold, trunk lean toward the stance side >= lean threshold
  + its uncertainty;
- NORMAL: otherwise (a lean within its uncertainty of the threshold is inconclusive too).
So a reading is called normal only when even the largest true drop it allows is below the
threshold: a weak side is never reported as healthy because the image under-reads.
Lean uncertainty = max(1 deg, ``noise_factor`` x baseline SD of the trunk angle).

Never a verdict when quality is blocking or no trial was found ("cannot_tell" with the reason).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from stance.analysis import explain
from stance.analysis.fuse import Band
from stance.analysis.measure import Measurements, TrialMetrics
from stance.analysis.pelvis import Estimator
from stance.analysis.quality import MIN_JUDGEABLE_HOLD_S, QualityReport
from stance.core.track import Side

HARDCASTLE_NADE_1985 = (
    "Hardcastle P, Nade S. The significance of the Trendelenburg test. "
    "J Bone Joint Surg Br. 1985;67(5):741-746"
)
YOUDAS_2007 = (
    "Youdas JW, Mraz ST, Norstad BJ, Schinke JJ, Hollman JH. Determining meaningful changes in "
    "pelvic-on-femoral position during the Trendelenburg test. J Sport Rehabil. "
    "2007;16(4):326-335"
)
SPRINGER_2007 = (
    "Springer BA, Marin R, Cyhan T, Roberts H, Gill NW. Normative values for the unipedal "
    "stance test with eyes open and closed. J Geriatr Phys Ther. 2007;30(1):8-15"
)

# Unipedal stance, eyes open: best of 3 trials, 45-s ceiling, women and men pooled (the study
# found no sex effect), rounded to whole seconds as reproduced by a secondary summary (The Prehab
# Guys, "Single Leg Balance Assessment"). Check against the paper's table before clinical use.
SINGLE_LEG_STANCE_NORMS_S: tuple[tuple[int, int, float], ...] = (
    (18, 39, 44.0),
    (40, 49, 41.0),
    (50, 59, 41.0),
    (60, 69, 32.0),
    (70, 79, 21.0),
    (80, 99, 9.0),
)

SOURCES: dict[str, str] = {
    "drop_deg": "Project's choice: a TRUE drop of 3 degrees or more of the lifted side counts. "
    "The clinical sign is read by eye (any drop of the unsupported side is abnormal, "
    + HARDCASTLE_NADE_1985
    + "); a positive sign is often quantified as a drop of more than 2 cm across the ASIS, "
    "about 4.5-5 degrees for a 23-26 cm ASIS width; the pelvis-on-femur angle in single-leg "
    "stance has a minimal detectable change of 4 degrees (SEM 2 degrees, "
    + YOUDAS_2007
    + "); a healthy stance keeps the pelvis level or raises the free side a little. 3 degrees "
    "sits below the clinical sign and below the MDC, so that a true 4-5 degree drop is never "
    "called normal, and above what a level pelvis reads on realistic rendered bodies "
    "(docs/VALIDATION.md). Each image reading comes with the range of true drops it allows "
    "(stance.analysis.fuse: the crest band turns 0.85-1.05 times the pelvis) and the threshold "
    "is compared with that range: positive when all of it is above, normal only when all of it "
    "is below.",
    "lean_deg": "Project's choice: 5 degrees of trunk lean toward the stance leg, relative to "
    "quiet standing, marks a compensated sign.",
    "shift_asymmetry": "Project's choice: one side's lateral shift at least twice the other's "
    "(difference >= 50% of the larger) is 'clearly larger' (the seed documents give no number).",
    "dramatic_shift_frac": "Project's choice: a centre of mass moved past the stance ankle "
    "(1.25 x the baseline distance to it) is a 'dramatic' shift.",
    "weight_asymmetry_pct": "Project's choice: a quiet-stance split beyond 60/40 is noted.",
    "min_hold_s": "Project's choice: 0.5 s lift transient + 1.5 s of settled stance.",
    "hold_criterion_s": "30-second single-leg stance of the clinical Trendelenburg test: "
    + HARDCASTLE_NADE_1985,
    "norms": "Single-leg stance times by age, eyes open: " + SPRINGER_2007,
    "confidence": "Project's heuristic: margin to the threshold in uncertainties, hold length, "
    "warnings and the pelvis estimator's known reliability.",
}

# Known reliability of pelvis estimators (multiplies the confidence). The hip-landmark line
# under-reads a real drop (slope ~0.2 on rendered avatars with exact truth).
ESTIMATOR_RELIABILITY: dict[str, float] = {
    Estimator.HIP_LINE: 0.6,
    Estimator.PELVIS_IMAGE: 0.85,
    Estimator.PELVIS_EDGE: 0.85,
    Estimator.FUSED: 0.85,
}


class Outcome(str, Enum):
    """What a verdict says: the weak side(s), none, or that it cannot tell."""

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"
    NONE = "none"
    CANNOT_TELL = "cannot_tell"

    @property
    def weak_sides(self) -> tuple[Side, ...]:
        """The sides whose gluteus medius looks weak (empty for none or cannot tell)."""
        return {
            Outcome.LEFT: (Side.LEFT,),
            Outcome.RIGHT: (Side.RIGHT,),
            Outcome.BOTH: (Side.LEFT, Side.RIGHT),
        }.get(self, ())


class Status(str, Enum):
    """A standing leg's finding."""

    NORMAL = "normal"
    POSITIVE = "positive"
    COMPENSATED = "compensated"
    INCONCLUSIVE = "inconclusive"


class Basis(str, Enum):
    """Why a standing leg got its status (`stance.analysis.explain` puts it into words)."""

    NOT_TESTED = "not_tested"  # no lift of the other foot: inconclusive
    HOLD_TOO_SHORT = "hold_too_short"  # inconclusive
    PELVIS_UNSEEN = "pelvis_unseen"  # the drop was measured in too few frames: inconclusive
    PELVIS_FOLLOWS_TRUNK = "pelvis_follows_trunk"  # only an edge that turned with the trunk
    NO_BASELINE = "no_baseline"  # no quiet standing just before the lift: inconclusive
    DROPPED = "dropped"  # the whole drop range above the threshold: positive
    DROP_BORDERLINE = "drop_borderline"  # the threshold inside the drop range: inconclusive
    LEANED = "leaned"  # level pelvis, clear lean over the stance leg: compensated
    LEAN_BORDERLINE = "lean_borderline"  # level pelvis, lean near its threshold: inconclusive
    LEVEL = "level"  # level pelvis, no lean: normal


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds; each one's source is in ``SOURCES``.

    Attributes:
        drop_deg: pelvic drop of the lifted side (degrees) from which a side is positive.
        lean_deg: trunk lean toward the stance side (degrees) for a compensated sign.
        shift_asymmetry: (larger - smaller) / larger lateral shift for "clearly larger".
        dramatic_shift_frac: shift (fraction of the COM-to-ankle distance) called dramatic.
        weight_asymmetry_pct: quiet-stance weight split away from 50% that is noted.
        min_hold_s: shortest hold that is judged (seconds). The one value of it: the quality
            gate's "hold too short" uses this same field (`stance.pipeline.judge_track`
            passes it to `stance.analysis.quality.assess_quality`), so a changed minimum
            moves the gate and the judge together.
        hold_criterion_s: the clinical test's hold time.
        min_uncertainty_deg: floor of an angle's uncertainty.
        noise_factor: uncertainty = this x the baseline SD of the angle.
    """

    drop_deg: float = 3.0
    lean_deg: float = 5.0
    shift_asymmetry: float = 0.5
    dramatic_shift_frac: float = 1.25
    weight_asymmetry_pct: float = 10.0
    min_hold_s: float = MIN_JUDGEABLE_HOLD_S
    hold_criterion_s: float = 30.0
    min_uncertainty_deg: float = 0.5
    noise_factor: float = 2.0


@dataclass(frozen=True)
class SideFinding:
    """The finding for one STANCE side (None numbers where that leg had no valid trial).

    Attributes:
        drop_deg: pelvic drop of the lifted side, + = lower (degrees).
        drop_uncertainty_deg: its measurement uncertainty, k = 2 (degrees).
        drop_low_deg / drop_high_deg: where the true drop is expected
            (k = 2, ``stance.analysis.fuse``).
        evidence: the estimators that carried the drop, largest weight first.
        lean_deg: trunk lean toward the stance side (degrees).
        shift_frac / shift_pct_hip: lateral COM shift toward the stance ankle.
        confidence: 0-1 that the status is right (0 when inconclusive).
        reasons: plain-words explanations (`stance.analysis.explain`).
        basis: why the status was given.
        drop_coverage: fraction of the judged hold's frames with a measured drop (0-1).
        lean_uncertainty_deg: the lean's uncertainty the lean was compared with (degrees).
        valid_holds: judgeable holds on this leg (the longest one is used).
        confidence_reduced: the estimator's known reliability or quality warnings lowered the
            confidence.
        read_at_waist: the drop was read only above the iliac crest (`stance.analysis.fuse`
            band ``waist``), with the wide range that allows.
    """

    stance: Side
    status: Status
    drop_deg: float | None
    drop_uncertainty_deg: float | None
    lean_deg: float | None
    shift_frac: float | None
    shift_pct_hip: float | None
    hold_s: float | None
    confidence: float
    reasons: tuple[str, ...]
    drop_low_deg: float | None = None
    drop_high_deg: float | None = None
    evidence: tuple[str, ...] = ()
    basis: Basis = Basis.NOT_TESTED
    drop_coverage: float | None = None
    lean_uncertainty_deg: float | None = None
    valid_holds: int = 0
    confidence_reduced: bool = False
    read_at_waist: bool = False


@dataclass(frozen=True)
class HoldAssessment:
    """Longest hold on one stance leg against the 30-s criterion and, given an age, the norm."""

    stance: Side
    hold_s: float
    meets_criterion: bool
    norm_s: float | None
    norm_source: str | None
    below_norm: bool | None = None


@dataclass(frozen=True)
class WeightNotes:
    """How unevenly the weight was carried (each item is there only when it passed its
    threshold in `Thresholds`).

    Attributes:
        heavy / heavy_share_pct: the foot that carried more of the quiet-stance weight, and its
            share (percent), beyond ``weight_asymmetry_pct``.
        dramatic: (stance side, shift as a fraction of the way to the ankle) beyond
            ``dramatic_shift_frac``.
        further: ((side, shift), (other side, shift)) when one shift was clearly larger.
    """

    heavy: Side | None = None
    heavy_share_pct: float | None = None
    dramatic: tuple[tuple[Side, float], ...] = ()
    further: tuple[tuple[Side, float], tuple[Side, float]] | None = None


@dataclass(frozen=True)
class Verdict:
    """The answer.

    Attributes:
        outcome: the weak side(s), none, or cannot tell.
        reason: plain words; for "cannot_tell" it starts with the problem.
    """

    outcome: Outcome
    reason: str
    findings: dict[Side, SideFinding]
    holds: tuple[HoldAssessment, ...]
    weight_asymmetry_note: str | None


def norm_for_age(age: int) -> float | None:
    """Single-leg stance norm (s, eyes open) for an age in years, or None outside the table."""
    for lo, hi, seconds in SINGLE_LEG_STANCE_NORMS_S:
        if lo <= age <= hi:
            return seconds
    return None


def judge(
    meas: Measurements,
    quality: QualityReport,
    *,
    thresholds: Thresholds = Thresholds(),
    age: int | None = None,
) -> Verdict:
    """The verdict for one clip (see the module docstring)."""
    th = thresholds
    warnings_n = sum(1 for f in quality.flags if not f.blocking)
    reliability = ESTIMATOR_RELIABILITY.get(meas.estimator, 1.0)
    findings = {
        side: _side_finding(
            side,
            [m for m in meas.trials if m.trial.stance is side],
            th,
            factor=reliability * 0.85**warnings_n,
        )
        for side in Side
    }
    findings = {
        side: replace(f, reasons=explain.side_reasons(f, th, meas.estimator))
        for side, f in findings.items()
    }
    holds = _holds(meas, th, age)
    note = explain.weight_note(_weight_notes(meas, findings, th))

    blocking = quality.first_blocking
    if blocking is not None:
        return Verdict(Outcome.CANNOT_TELL, blocking.message, findings, holds, note)
    if not meas.trials:
        return Verdict(Outcome.CANNOT_TELL, explain.NO_TRIAL, findings, holds, note)
    outcome = _outcome(findings)
    untested = tuple(s for s in Side if not any(m.trial.stance is s for m in meas.trials))
    reason = explain.verdict_reason(outcome, findings, untested=untested)
    return Verdict(outcome, reason, findings, holds, note)


def _outcome(findings: dict[Side, SideFinding]) -> Outcome:
    """The weak side(s) from the two legs' statuses: positive and compensated count as weak."""
    weak = [s for s in Side if findings[s].status in (Status.POSITIVE, Status.COMPENSATED)]
    if len(weak) == 2:
        return Outcome.BOTH
    if len(weak) == 1:
        return Outcome(weak[0].value)
    if all(findings[s].status is Status.NORMAL for s in Side):
        return Outcome.NONE
    return Outcome.CANNOT_TELL


def _margin_confidence(margin: float, uncertainty: float) -> float:
    """0.5 at one uncertainty from the threshold, rising toward 1 (project's heuristic)."""
    z = abs(margin) / uncertainty
    return max(0.0, min(1.0, 1.0 - 0.5 * math.exp(-(z - 1.0))))


def _only_trunk(m: TrialMetrics) -> bool:
    """The trial's pelvis was read, but only by evidence that turned with the trunk."""
    return m.fused is not None and any(e.measured and not e.usable for e in m.fused.evidence)


def _side_finding(
    stance: Side, trials: list[TrialMetrics], th: Thresholds, *, factor: float
) -> SideFinding:
    """The status of one standing leg and why (the words are added by the caller)."""
    if not trials:
        return SideFinding(stance, Status.INCONCLUSIVE, None, None, None, None, None, None, 0.0,
                           (), basis=Basis.NOT_TESTED)  # fmt: skip
    valid = [m for m in trials if m.valid and m.hold_s >= th.min_hold_s]
    longest = max(trials, key=lambda m: m.hold_s)
    if not valid:
        if longest.hold_s < th.min_hold_s:
            basis = Basis.HOLD_TOO_SHORT
        elif longest.trial.baseline is not None and not np.isfinite(longest.drop_deg):
            basis = Basis.PELVIS_FOLLOWS_TRUNK if _only_trunk(longest) else Basis.PELVIS_UNSEEN
        else:
            basis = Basis.NO_BASELINE
        return SideFinding(
            stance, Status.INCONCLUSIVE, None, None, None, None, None, longest.hold_s, 0.0, (),
            basis=basis, drop_coverage=longest.drop_coverage,
        )  # fmt: skip
    m = max(valid, key=lambda v: v.hold_s)
    assert m.fused is not None  # a valid trial has a fused drop
    unc, low, high = m.fused.uncertainty_deg, m.fused.low_deg, m.fused.high_deg
    lean_unc = _uncertainty(m.lean_noise_deg, th, floor=1.0)
    hold_factor = min(1.0, math.sqrt(m.hold_s / 5.0))
    if low >= th.drop_deg:
        status, basis = Status.POSITIVE, Basis.DROPPED
        conf = _margin_confidence(m.drop_deg - th.drop_deg, unc)
    elif high >= th.drop_deg:
        status, basis, conf = Status.INCONCLUSIVE, Basis.DROP_BORDERLINE, 0.0
    elif m.lean_deg >= th.lean_deg + lean_unc:
        status, basis = Status.COMPENSATED, Basis.LEANED
        conf = min(
            _margin_confidence(m.lean_deg - th.lean_deg, lean_unc),
            _margin_confidence(high - th.drop_deg, unc),
        )
    elif m.lean_deg > th.lean_deg - lean_unc:
        status, basis, conf = Status.INCONCLUSIVE, Basis.LEAN_BORDERLINE, 0.0
    else:
        status, basis = Status.NORMAL, Basis.LEVEL
        conf = min(
            _margin_confidence(high - th.drop_deg, unc),
            _margin_confidence(m.lean_deg - th.lean_deg, lean_unc),
        )
    return SideFinding(
        stance=stance,
        status=status,
        drop_deg=m.drop_deg,
        drop_uncertainty_deg=unc,
        lean_deg=m.lean_deg,
        shift_frac=m.shift_frac,
        shift_pct_hip=m.shift_pct_hip,
        hold_s=m.hold_s,
        confidence=conf * hold_factor * factor,
        reasons=(),
        drop_low_deg=low,
        drop_high_deg=high,
        evidence=m.fused.carried_by,
        basis=basis,
        drop_coverage=m.drop_coverage,
        lean_uncertainty_deg=lean_unc,
        valid_holds=len(valid),
        confidence_reduced=factor < 1.0 and status is not Status.INCONCLUSIVE,
        read_at_waist=any(
            e.weight > 0 and e.range_model.band is Band.WAIST for e in m.fused.evidence
        ),
    )


def _uncertainty(noise_deg: float, th: Thresholds, *, floor: float | None = None) -> float:
    lo = th.min_uncertainty_deg if floor is None else max(floor, th.min_uncertainty_deg)
    if not math.isfinite(noise_deg):
        return 2.0 * lo
    return max(lo, th.noise_factor * noise_deg)


def _holds(meas: Measurements, th: Thresholds, age: int | None) -> tuple[HoldAssessment, ...]:
    norm = norm_for_age(age) if age is not None else None
    out = []
    for side in Side:
        ts = [m.hold_s for m in meas.trials if m.trial.stance is side]
        if not ts:
            continue
        hold = max(ts)
        out.append(
            HoldAssessment(
                stance=side,
                hold_s=hold,
                meets_criterion=hold >= th.hold_criterion_s,
                norm_s=norm,
                norm_source=SPRINGER_2007 if norm is not None else None,
                below_norm=None if norm is None else hold < norm,
            )
        )
    return tuple(out)


def _weight_notes(
    meas: Measurements, findings: dict[Side, SideFinding], th: Thresholds
) -> WeightNotes:
    """Which weight-distribution observations pass their thresholds."""
    heavy, share = None, None
    w = meas.weight_left_pct
    if w is not None and abs(w - 50.0) > th.weight_asymmetry_pct:
        heavy = Side.LEFT if w > 50.0 else Side.RIGHT
        share = w if heavy is Side.LEFT else 100.0 - w
    shifts = {s: findings[s].shift_frac for s in Side}
    dramatic = tuple(
        (s, v)
        for s, v in shifts.items()
        if v is not None and math.isfinite(v) and v >= th.dramatic_shift_frac
    )
    further = None
    a, b = shifts[Side.LEFT], shifts[Side.RIGHT]
    if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
        big, small = (Side.LEFT, Side.RIGHT) if a >= b else (Side.RIGHT, Side.LEFT)
        hi, lo = max(a, b), min(a, b)
        if hi > 0 and (hi - lo) / hi >= th.shift_asymmetry:
            further = ((big, hi), (small, lo))
    return WeightNotes(heavy, share, dramatic, further)
