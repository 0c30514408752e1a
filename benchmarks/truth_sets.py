"""The truth clips split into sets, and the decision metrics of each set.

Two sets are reported apart (docs/VALIDATION.md):

* ``realistic``: MakeHuman bodies (../shared/avatar/render/mh), whose skin between the hip
  joints and the iliac crest turns with the pelvis as on a person: the set that calibrates the
  size of a drop and its range;
* ``game``: the game characters (the bundled sample, dev_A-G, held-out renders), skinned half to
  a counter-rotated spine bone: a robustness set (clothes, lifts, shapes), never the size of a
  drop.

Per set, body and outfit kind: slope, RMSE, worst error, range coverage (the true drop inside
the reported range), median range width, holds found, and the share of standing legs with an
expected status that got it (``decisive``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stance.analysis.judge import Status, Thresholds

REALISTIC = "realistic"
GAME = "game"

CLEAR_MARGIN_DEG = 2.5
"""A true drop this far above the threshold must be judged positive."""
LEVEL_DEG = 0.5
"""A true drop this small is a level pelvis."""
CLEAR_LEAN_MARGIN_DEG = 2.0
"""A lean this far above the lean threshold is a clear lean (compensated expected); a lean under
``NO_LEAN_DEG`` is none (normal expected)."""
NO_LEAN_DEG = 2.0


def truth_set(truth: dict[str, Any]) -> str:
    """``REALISTIC`` for a MakeHuman render, else ``GAME``."""
    model = str((truth.get("case") or {}).get("model") or truth.get("model") or "")
    return REALISTIC if "body" in truth or model.startswith(("MH_", "MakeHuman")) else GAME


def outfit_kind(truth: dict[str, Any]) -> str:
    """The outfit in a few words: where the top ends relative to the waistband, and the
    bottom's rise (heights above the hip joint centres)."""
    o = truth.get("outfit") or {}
    if not o:
        return "n/a"
    rise = float(o.get("bottom_rise_cm", 6.0))
    length = o.get("bottom_length", "leggings")
    hem = o.get("top_hem_cm") if o.get("top") is not None else None
    if hem is None:
        top = "bare midriff"
    elif hem < rise - 1.0:
        top = "top over the waistband"
    elif hem <= rise + 2.0:
        top = "top at the waistband"
    else:
        top = "top above the waistband"
    return f"{top}, {length} rise {rise:.0f} cm"


def expected_status(drop_deg: float, lean_deg: float, th: Thresholds) -> Status | None:
    """The status a standing leg must get, or None where either of two is right (a drop near
    the threshold, a slight lean)."""
    if drop_deg >= th.drop_deg + CLEAR_MARGIN_DEG:
        return Status.POSITIVE
    if abs(drop_deg) <= LEVEL_DEG:
        if lean_deg >= th.lean_deg + CLEAR_LEAN_MARGIN_DEG:
            return Status.COMPENSATED
        if abs(lean_deg) < NO_LEAN_DEG:
            return Status.NORMAL
    return None


@dataclass(frozen=True)
class Decisions:
    """What a group of truth trials got (default estimator)."""

    trials: int
    found: int
    measured: int
    in_range: int
    median_width_deg: float
    expected: int
    correct: int

    @staticmethod
    def of(rows: list[Any], th: Thresholds, est: str) -> Decisions:
        found = [r for r in rows if r.found[est] is not None]
        ranged = [
            r.found[est].fused
            for r in found
            if r.found[est].fused is not None and np.isfinite(r.found[est].fused.low_deg)
        ]
        inside = sum(
            1
            for r in found
            if (f := r.found[est].fused) is not None
            and np.isfinite(f.low_deg)
            and f.low_deg <= r.truth["drop_deg"] <= f.high_deg
        )
        widths = [f.high_deg - f.low_deg for f in ranged]
        exp = [(r, expected_status(r.truth["drop_deg"], r.truth["lean_deg"], th)) for r in rows]
        exp = [(r, s) for r, s in exp if s is not None]
        return Decisions(
            trials=len(rows),
            found=len(found),
            measured=len(ranged),
            in_range=inside,
            median_width_deg=float(np.median(widths)) if widths else float("nan"),
            expected=len(exp),
            correct=sum(1 for r, s in exp if r.status.get(est) is s),
        )

    def cells(self) -> str:
        share = f"{self.correct}/{self.expected}" if self.expected else "n/a"
        return (
            f"{self.found}/{self.trials} | {self.measured} | {self.in_range}/{self.measured} | "
            f"{self.median_width_deg:.1f} | {share}"
        )
