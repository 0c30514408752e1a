"""Fuse independent evidence of a trial's pelvic drop, and say how far the truth can be.

Each piece of evidence (the waist-band texture, a garment boundary line, ...) gives its own
drop for a trial (its held level against its own baseline), with a measurement uncertainty
from its quiet-stance noise and its coverage. The trial's drop is their inverse-variance
weighted mean; when they disagree by more than their uncertainties allow, the fused
uncertainty is inflated by the Birge ratio (sqrt of chi-square per degree of freedom), so
conflicting evidence widens the interval instead of averaging the conflict away.

The interval that the truth is expected in (k = 2) adds what validation on rendered bodies
with exact truth showed the image can and cannot see (docs/VALIDATION.md):

- every image measurement reads the garment or skin AT the pelvis, and on rendered bodies
  that surface turns by ``READ_FRACTION_MIN`` (0.3) to 1 times the pelvis (the waist blends
  pelvis and trunk motion in the skinning), never more: a reading ``m`` means a true drop
  between ``m`` and ``m / 0.3``;
- the lifted thigh pulls the garments on its side up, so a level pelvis reads up to
  ``LIFT_BIAS_DEG`` low (true 0 read -1.2 to +0.1): the upper end gets that margin.

So for a reading ``m`` with measurement uncertainty ``U`` (k = 2):
``low = min(m, m / 0.3) - U`` and ``high = max(m, m / 0.3) + U + 1.0``. It is wide on purpose:
it is what the evidence supports, and the judge calls a side normal only when ``high`` is
below the threshold and positive only when ``low`` is above it. The hip-landmark line follows
the lifted thigh rather than the pelvis: its range is its reading +- its largest validated
error (``LANDMARKS``), so it almost never decides a side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from stance.analysis.pelvis import Estimator

READ_FRACTION_MIN = 0.3
"""Least share of a true drop that the garments at the pelvis showed on rendered bodies
(validated: 0.31-0.85 per character, docs/VALIDATION.md)."""

LIFT_BIAS_DEG = 1.0
"""How far the lifted thigh can make a level pelvis read low (validated: -1.2 to +0.1 on level
trials, two of which also lean the trunk), degrees."""

HIP_LINE_MAX_ERROR_DEG = 16.1
"""Largest error of the hip-landmark line on the rendered truth trials (it follows the lifted
thigh, not the pelvis: docs/VALIDATION.md), degrees."""


@dataclass(frozen=True)
class RangeModel:
    """What validation showed an estimator cannot see, for the true-drop range.

    Attributes:
        read_min: it reads between this share and 1 times a true drop (None: no such law).
        low_bias_deg: a level pelvis may read this much low.
        max_error_deg: otherwise it errs by up to this much either way.
    """

    read_min: float | None
    low_bias_deg: float = 0.0
    max_error_deg: float = 0.0


IMAGE = RangeModel(READ_FRACTION_MIN, LIFT_BIAS_DEG)
"""The image estimators: they read the garments and skin at the pelvis."""
LANDMARKS = RangeModel(None, max_error_deg=HIP_LINE_MAX_ERROR_DEG)
"""The hip-landmark line: no law, only its largest error (so it rarely decides anything)."""
RANGE_MODELS: dict[str, RangeModel] = {
    Estimator.PELVIS_IMAGE: IMAGE,
    Estimator.PELVIS_EDGE: IMAGE,
    Estimator.HIP_LINE: LANDMARKS,
}


@dataclass(frozen=True)
class Evidence:
    """One estimator's reading of one trial.

    Attributes:
        name: the estimator.
        drop_deg: its drop (held level), degrees, + = lifted side lower; NaN when not measured.
        noise_deg: SD of its tilt in the baseline (quiet stance), degrees.
        coverage: 0-1, share of baseline and settled-hold frames it measured.
        uncertainty_deg: its measurement uncertainty (k = 2), degrees.
        weight: its share of the fused drop (0 = not used).
        model: what validation showed this estimator cannot see (for the true-drop range);
            None: the model of ``name`` in ``RANGE_MODELS`` (an unknown name: ``LANDMARKS``).
    """

    name: str
    drop_deg: float
    noise_deg: float
    coverage: float
    uncertainty_deg: float
    weight: float = 0.0
    model: RangeModel | None = None

    @property
    def range_model(self) -> RangeModel:
        return self.model or RANGE_MODELS.get(self.name, LANDMARKS)

    @property
    def usable(self) -> bool:
        return math.isfinite(self.drop_deg) and math.isfinite(self.uncertainty_deg)


@dataclass(frozen=True)
class FusedDrop:
    """The fused drop of one trial.

    Attributes:
        drop_deg: uncertainty-weighted mean of the usable evidence (NaN when none).
        uncertainty_deg: its measurement uncertainty (k = 2), inflated when evidence conflicts.
        low_deg / high_deg: where the true drop is expected (k = 2, see the module docstring).
        evidence: every piece of evidence, with its weight.
    """

    drop_deg: float
    uncertainty_deg: float
    low_deg: float
    high_deg: float
    evidence: tuple[Evidence, ...]

    @property
    def carried_by(self) -> tuple[str, ...]:
        """Names of the evidence that carried the number, largest weight first."""
        used = sorted((e for e in self.evidence if e.weight > 0), key=lambda e: -e.weight)
        return tuple(e.name for e in used)


def measurement_uncertainty(
    noise_deg: float, coverage: float, *, floor_deg: float, noise_factor: float
) -> float:
    """k = 2 uncertainty of a held level: ``max(floor, factor x noise)``, larger when fewer
    frames were measured (divided by sqrt(coverage), at least 0.25); twice the floor when the
    noise is unknown."""
    base = (
        2.0 * floor_deg
        if not math.isfinite(noise_deg)
        else max(floor_deg, noise_factor * noise_deg)
    )
    return base / math.sqrt(max(coverage, 0.25))


def drop_interval(
    drop_deg: float, uncertainty_deg: float, model: RangeModel = IMAGE
) -> tuple[float, float]:
    """(low, high) degrees where the true drop is expected for a reading (module docstring)."""
    if not (math.isfinite(drop_deg) and math.isfinite(uncertainty_deg)):
        return math.nan, math.nan
    margin = uncertainty_deg + model.max_error_deg
    if model.read_min is None:
        return drop_deg - margin, drop_deg + margin
    scaled = drop_deg / model.read_min
    low = min(drop_deg, scaled) - margin
    high = max(drop_deg, scaled) + margin + model.low_bias_deg
    return low, high


def fuse(evidence: Sequence[Evidence]) -> FusedDrop:
    """Inverse-variance fusion of the usable evidence, Birge-inflated on conflict."""
    usable = [e for e in evidence if e.usable]
    if not usable:
        nan = math.nan
        return FusedDrop(nan, nan, nan, nan, tuple(replace(e, weight=0.0) for e in evidence))
    w = [1.0 / max(e.uncertainty_deg, 1e-6) ** 2 for e in usable]
    total = sum(w)
    drop = sum(wi * e.drop_deg for wi, e in zip(w, usable, strict=True)) / total
    unc = 1.0 / math.sqrt(total)
    if len(usable) > 1:
        chi2 = sum(wi * (e.drop_deg - drop) ** 2 for wi, e in zip(w, usable, strict=True))
        unc *= math.sqrt(max(1.0, chi2 / (len(usable) - 1)))
    share = {id(e): wi / total for wi, e in zip(w, usable, strict=True)}
    weighted = tuple(replace(e, weight=share.get(id(e), 0.0)) for e in evidence)
    models = {e.range_model for e in usable}
    low, high = drop_interval(drop, unc, models.pop() if len(models) == 1 else LANDMARKS)
    return FusedDrop(drop, unc, low, high, weighted)
