"""The sentences that explain the judge's decisions (no decision is taken here).

`stance.analysis.judge` decides each standing leg's status and *why* (a `Basis` with the
numbers behind it) and the clip's outcome; this module turns those typed decisions into the
plain words people read in every report. Changing a sentence here cannot change a result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stance.core.track import Side

if TYPE_CHECKING:
    from stance.analysis.judge import Outcome, SideFinding, Thresholds, WeightNotes

NO_TRIAL = "No single-leg stance found: no foot was lifted and held."
ALL_NORMAL = "Both legs held the pelvis level without leaning: no sign of a weak gluteus medius."


def side_reasons(f: SideFinding, th: Thresholds, estimator: str) -> tuple[str, ...]:
    """The finding's explanation: its main sentence first, then notes (``estimator``: the
    pelvis estimator that measured it, named when it lowered the confidence)."""
    from stance.analysis.judge import Basis

    leg, lifted = f.stance.caps, f.stance.other.value
    b = f.basis
    if b is Basis.NOT_TESTED:
        return (f"The {leg} leg was not tested (no lift of the {lifted} foot was found).",)
    if b in (
        Basis.HOLD_TOO_SHORT,
        Basis.PELVIS_UNSEEN,
        Basis.PELVIS_FOLLOWS_TRUNK,
        Basis.NO_BASELINE,
    ):
        if b is Basis.HOLD_TOO_SHORT:
            why = f"hold too short ({f.hold_s:.1f} s, at least {th.min_hold_s:.0f} s needed)"
        elif b is Basis.PELVIS_UNSEEN:
            why = (
                f"the pelvis could be measured in only {100 * (f.drop_coverage or 0.0):.0f}% of "
                "the frames (hidden by clothing, hands or the lifted thigh, or too plain to "
                "track): wear shorts or leggings with the top tucked in or ending above the "
                "waist, and keep the hands away from the hips"
            )
        elif b is Basis.PELVIS_FOLLOWS_TRUNK:
            why = (
                "the only garment edge near the pelvis follows the trunk rather than the pelvis "
                "(it is at the waist, above the hip bones, or hangs from the trunk): tuck the top "
                "in, or wear a fitted top ending above the waist and shorts or leggings whose "
                "waistband sits on the hip bones"
            )
        else:
            why = "no quiet standing on both feet just before the lift to compare with"
        return (f"The {leg} leg could not be judged: {why}.",)
    drop, low, high, lean = f.drop_deg or 0.0, f.drop_low_deg, f.drop_high_deg, f.lean_deg or 0.0
    drop_txt = f"the {lifted} side of the pelvis moved {drop:+.1f} deg (+ = dropped)"
    if b is Basis.DROPPED:
        main = (
            f"Standing on the {leg} leg the {lifted} side of the pelvis dropped "
            f"{drop:.1f} deg (threshold {th.drop_deg:.0f} deg): the {leg} gluteus medius "
            "looks weak (positive Trendelenburg sign)."
        )
    elif b is Basis.DROP_BORDERLINE:
        main = (
            f"Standing on the {leg} leg {drop_txt}; the true drop may be anywhere from "
            f"{low:+.1f} to {high:+.1f} deg, which includes the {th.drop_deg:.0f}-degree "
            "threshold: borderline."
        )
    elif b is Basis.LEANED:
        main = (
            f"Standing on the {leg} leg the pelvis stayed level but the trunk leaned "
            f"{lean:.1f} deg over the {leg} leg (threshold {th.lean_deg:.0f} deg): a "
            f"compensated sign, the {leg} gluteus medius looks weak."
        )
    elif b is Basis.LEAN_BORDERLINE:
        main = (
            f"Standing on the {leg} leg the pelvis stayed level but the trunk leaned "
            f"{lean:.1f} deg, within its uncertainty (+/-{f.lean_uncertainty_deg:.1f} deg) of the "
            f"{th.lean_deg:.0f}-degree threshold: borderline."
        )
    else:
        main = f"Standing on the {leg} leg the pelvis stayed level ({drop_txt}) without leaning."
    reasons = [main]
    if f.read_at_waist:
        reasons.append(
            "The pelvis was read only at the waist, above the hip bones, which turns less than "
            "the pelvis and partly with the trunk, so the range is wide: shorts or leggings whose "
            "waistband sits on the hip bones, or a top ending above them, give a narrower one."
        )
    if f.valid_holds > 1:
        reasons.append(f"{f.valid_holds} holds on the {leg} leg; the longest one was used.")
    if f.confidence_reduced:
        reasons.append(_confidence_note(estimator))
    return tuple(reasons)


def _confidence_note(estimator: str) -> str:
    from stance.analysis.judge import ESTIMATOR_RELIABILITY

    if estimator in ESTIMATOR_RELIABILITY:
        return (
            f"Confidence is reduced: the pelvis was measured with '{estimator}', which is known "
            "to under-read a real drop, and/or the video has quality warnings."
        )
    return "Confidence is reduced by the video's quality warnings."


def verdict_reason(
    outcome: Outcome, findings: dict[Side, SideFinding], *, untested: tuple[Side, ...]
) -> str:
    """Why the clip got ``outcome`` (judged clips; a blocked or empty clip has its own text)."""
    from stance.analysis.judge import Outcome, Status

    if outcome is Outcome.BOTH:
        return " ".join(findings[s].reasons[0] for s in Side)
    if outcome in (Outcome.LEFT, Outcome.RIGHT):
        side = Side(outcome.value)
        reason = findings[side].reasons[0]
        other = findings[side.other]
        if other.status is Status.INCONCLUSIVE:
            reason += " " + other.reasons[0]
        return reason
    if outcome is Outcome.NONE:
        return ALL_NORMAL
    unclear = [findings[s] for s in Side if findings[s].status is Status.INCONCLUSIVE]
    head = "Only one side was tested: " if untested else "Cannot tell: "
    reason = head + " ".join(f.reasons[0] for f in unclear)
    normal = [s for s in Side if findings[s].status is Status.NORMAL]
    if normal:
        reason += f" Standing on the {normal[0].caps} leg the pelvis stayed level."
    return reason


def weight_note(notes: WeightNotes) -> str | None:
    """Plain words about unequal weight distribution, or None when there is nothing to say."""
    words = []
    if notes.heavy is not None:
        words.append(
            f"Standing quietly, about {notes.heavy_share_pct:.0f}% of the weight was on the "
            f"{notes.heavy.caps} foot."
        )
    for side, frac in notes.dramatic:
        words.append(
            f"To stand on the {side.caps} leg the body shifted dramatically over it "
            f"({frac:.0%} of the way to the ankle)."
        )
    if notes.further is not None:
        (big, hi), (small, lo) = notes.further
        words.append(
            f"The body shifted clearly further over the {big.caps} foot ({hi:.0%}) than over "
            f"the {small.caps} foot ({lo:.0%}) before lifting the other foot."
        )
    if not words:
        return None
    return " ".join(words) + " This suggests unequal weight distribution when standing."
