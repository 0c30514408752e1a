"""The sentences people read about an analysis, shared by the terminal, HTML, live view,
batch index and history: one finding per standing leg, the verdict in one line, its colour.

Words only: every decision they describe was taken in `stance.analysis.judge`.
"""

from __future__ import annotations

from stance.analysis.judge import Outcome, SideFinding, Status, Verdict
from stance.analysis.pelvis import Estimator


def finding_sentence(f: SideFinding) -> str:
    """One plain sentence about one stance side."""
    s, o = f.stance.caps, f.stance.other.caps
    if f.drop_deg is None:
        return f"Standing on your {s} leg: not measured ({_reasons(f) or 'no trial'})."
    drop = f"{abs(f.drop_deg):.1f} deg"
    notes = []
    if f.drop_low_deg is not None and f.drop_high_deg is not None:
        notes.append(f"true drop {f.drop_low_deg:+.1f} to {f.drop_high_deg:+.1f}")
    if f.evidence:
        notes.append("from the " + " and ".join(EVIDENCE_WORDS.get(e, e) for e in f.evidence))
    unc = f" ({'; '.join(notes)})" if notes else ""
    moved = "dropped" if f.drop_deg > 0 else "rose"
    if f.status is Status.POSITIVE:
        tail = f"your {f.stance.value} gluteus medius looks weak."
    elif f.status is Status.COMPENSATED:
        tail = (
            f"your trunk leaned {f.lean_deg:.1f} deg over the {f.stance.value} leg to keep it "
            f"there (compensated): your {f.stance.value} gluteus medius looks weak."
        )
    elif f.status is Status.NORMAL:
        tail = "normal."
    else:
        tail = "inconclusive: " + (_reasons(f) or "too close to call") + "."
    return f"Standing on your {s} leg, your {o} hip {moved} {drop}{unc}: {tail}"


EVIDENCE_WORDS: dict[str, str] = {
    Estimator.PELVIS_IMAGE: "waist texture",
    Estimator.PELVIS_EDGE: "garment edge",
    Estimator.HIP_LINE: "hip landmarks",
}
"""How each estimator is named in the sentences users read."""


def verdict_colour(v: Verdict) -> str:
    """The colour of a verdict in every report: green (no weak side), yellow (cannot tell),
    red (a weak side)."""
    return {Outcome.NONE: "green", Outcome.CANNOT_TELL: "yellow"}.get(v.outcome, "red")


def summary_line(v: Verdict) -> str:
    """The verdict in one line."""
    if v.outcome in (Outcome.LEFT, Outcome.RIGHT):
        return f"Your {v.outcome.weak_sides[0].caps} gluteus medius looks weak."
    if v.outcome is Outcome.BOTH:
        return "Both gluteus medius muscles look weak."
    if v.outcome is Outcome.NONE:
        return "No sign of a weak gluteus medius on either side."
    return cannot_tell_line(v.reason)


def cannot_tell_line(reason: str) -> str:
    """A "cannot tell" verdict in one line, from its reason."""
    if reason.startswith(("Cannot tell", "Only one side")):
        return reason
    return f"Cannot tell: {reason}"


def _reasons(f: SideFinding) -> str:
    return "; ".join(r.rstrip(". ") for r in f.reasons)
