"""Fuse independent evidence of a trial's pelvic drop, and say how far the truth can be.

Each piece of evidence (the waist-band texture, a garment boundary line, ...) gives its own
drop for a trial (its held level against its own baseline), with a measurement uncertainty
from its quiet-stance noise and its coverage. The trial's drop is their inverse-variance
weighted mean; when they disagree by more than their uncertainties allow, the fused
uncertainty is inflated by the Birge ratio (sqrt of chi-square per degree of freedom), so
conflicting evidence widens the interval instead of averaging the conflict away.

What an image reading says about the pelvis depends on HOW HIGH above the hip joints it was
read (docs/VALIDATION.md, the MakeHuman surface study in ../shared/avatar/render/mh): on a
person the skin over the ASIS and the iliac crest lies on bone and turns with the pelvis, the
soft waist above the crest bends with the lumbar spine, and below the crest band the lifted
thigh drags skin and garments up on its side. Heights are in torso lengths ``L`` (hip-landmark
midpoint to shoulder midpoint, about 0.28 x stature) above the hip-landmark line, which sits
about 0.04 L above the hip joint centres; the iliac crest is about 0.25 L above the joints.

- ``Band.CREST`` (``CREST_BAND_L``: about 4-13 cm above the joints): the surface turns
  0.88-1.0 times the pelvis, and the lifted thigh pulls it at most about 1.7 degrees low.
- ``Band.LOW`` (below it: the groin, the hip joints): 0.7-0.9 times the pelvis, and the lifted
  thigh pulls it several degrees low (4-5 at 25 degrees of hip flexion, more when higher; the
  image estimators leave out the columns over the lifted thigh, which leaves up to about 2).
- ``Band.WAIST`` (above it: the soft waist, a high-rise waistband or a top's hem at the
  natural waist): 0.1-0.7 times the pelvis, and a trunk lean toward the stance leg shows in
  it as a hike of up to the lean. It is used only when nothing below it was read, with a range
  that says so: a drop it shows is at least that large (so it can be positive), but a level
  reading allows a large drop (read_min 0.1) plus the trunk's lean, so it is almost never
  called normal unless it clearly hikes (a tree pose hikes the pelvis 12 degrees: real footage).
- ``Band.TRUNK``: a reading from any height that mirrors a clear trunk lean (`follows_trunk`: a
  loose hem hanging from the trunk) is no measurement of the pelvis: reported, never used.

For a reading ``m`` of a band with read fractions ``[read_min, read_max]``, a thigh bias
``low_bias_deg`` and measurement uncertainty ``U`` (k = 2), the true drop is expected in
``low = min(m / read_max, m / read_min) - U`` .. ``high = max(m / read_max, m / read_min) + U +
low_bias_deg``. A foot held behind the standing leg (the knee bent, the hip straight or
extended: the "stork" version) pulls the skin either way, an extended thigh the other way from
a flexed one (a heavy body read 6.3 degrees for a true 5.0 so): ``low`` is then lowered by
``low_bias_deg`` too.
The judge calls a side normal only when ``high`` is below the threshold and
positive only when ``low`` is above it. The hip-landmark line follows the lifted thigh rather
than the pelvis: its range is its reading +- its largest validated error (``LANDMARKS``), so it
almost never decides a side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from stance.analysis.pelvis import Estimator


class Band(str, Enum):
    """Where on the body an image reading was taken, relative to the iliac crest."""

    LOW = "low"  # below the crest band: the groin and hip joints, dragged by the lifted thigh
    CREST = "crest"  # between the hip joints and the iliac crest: turns with the pelvis
    WAIST = "waist"  # above the crest: the soft waist, partly the trunk (used when alone)
    TRUNK = "trunk"  # turned with the trunk, not the pelvis (not used)
    NONE = "none"  # not an image reading (the hip-landmark line)

    def __str__(self) -> str:
        return self.value


CREST_BAND_L = (0.06, 0.25)
"""Heights above the hip-landmark line (torso lengths) between which an image reading turns
with the pelvis (about 4-13 cm above the hip joint centres on adults of 1.50-1.95 m)."""

PELVIS_MAX_DEG = 25.0
"""No pelvis drops or hikes more than this in single-leg stance (degrees): a range is cut there
(a waist reading allows ten times itself)."""

HIP_LINE_MAX_ERROR_DEG = 16.1
"""Largest error of the hip-landmark line on the rendered truth trials (it follows the lifted
thigh, not the pelvis: docs/VALIDATION.md), degrees."""


@dataclass(frozen=True)
class RangeModel:
    """What validation showed an estimator cannot see, for the true-drop range.

    Attributes:
        band: where the reading was taken (`Band`).
        read_min / read_max: it reads between these shares of a true drop (read_min None: no
            such law, only ``max_error_deg``).
        low_bias_deg: a level pelvis may read this much low (the lifted thigh's pull).
        max_error_deg: otherwise it errs by up to this much either way.
        trunk_share: this share of a trunk lean toward the stance leg may show as a hike.
        usable: False: reported but not a measurement of the pelvis (weight 0).
    """

    band: Band
    read_min: float | None
    read_max: float = 1.0
    low_bias_deg: float = 0.0
    max_error_deg: float = 0.0
    trunk_share: float = 0.0
    usable: bool = True


CREST = RangeModel(Band.CREST, read_min=0.85, read_max=1.05, low_bias_deg=1.5)
"""An image reading in the crest band (validated: docs/VALIDATION.md, realistic bodies)."""
LOW = RangeModel(Band.LOW, read_min=0.75, read_max=1.0, low_bias_deg=2.5)
"""An image reading below the crest band: partly thigh."""
WAIST = RangeModel(Band.WAIST, read_min=0.1, read_max=1.0, low_bias_deg=1.5, trunk_share=1.0)
"""An image reading above the crest: a share of the pelvis and of the trunk; used alone only."""
TRUNK = RangeModel(Band.TRUNK, read_min=None, usable=False)
"""A reading that turned with the trunk: never used."""
LANDMARKS = RangeModel(Band.NONE, None, max_error_deg=HIP_LINE_MAX_ERROR_DEG)
"""The hip-landmark line: no law, only its largest error (so it rarely decides anything)."""
RANGE_MODELS: dict[str, RangeModel] = {
    Estimator.PELVIS_IMAGE: CREST,
    Estimator.PELVIS_EDGE: CREST,
    Estimator.HIP_LINE: LANDMARKS,
}
"""Each estimator's model when no height is known (the image estimators report theirs)."""


TRUNK_LEAN_MIN_DEG = 3.0
"""A trunk lean from which a reading that mirrors it is suspect (`follows_trunk`), degrees."""


def follows_trunk(drop_deg: float, lean_deg: float, uncertainty_deg: float) -> bool:
    """Whether a reading looks like the trunk, not the pelvis: with the trunk leaning
    ``lean_deg`` toward the stance side (at least ``TRUNK_LEAN_MIN_DEG``), a garment hanging
    from the trunk (a T-shirt's hem, a loose top) turns with it and reads a hike of about the
    lean, ``drop = -lean`` (a level pelvis with a 7-degree lean read as a 7.4-degree hike). A
    pelvis that hikes by exactly the lean is not what the test shows (a compensated sign keeps
    it level), so such a reading (within its uncertainty, or 30% of the lean) is not used."""
    if not (math.isfinite(drop_deg) and math.isfinite(lean_deg)) or lean_deg < TRUNK_LEAN_MIN_DEG:
        return False
    return abs(drop_deg + lean_deg) <= max(uncertainty_deg, 0.3 * lean_deg)


def range_model_at(height_l: float) -> RangeModel:
    """The range model of an image reading taken ``height_l`` torso lengths above the
    hip-landmark line (NaN: unknown, the crest band's)."""
    if not math.isfinite(height_l):
        return CREST
    if height_l < CREST_BAND_L[0]:
        return LOW
    if height_l > CREST_BAND_L[1]:
        return WAIST
    return CREST


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
    def measured(self) -> bool:
        """It has a reading (wherever it was taken)."""
        return math.isfinite(self.drop_deg) and math.isfinite(self.uncertainty_deg)

    @property
    def usable(self) -> bool:
        """It has a reading that measures the pelvis (not one that turned with the trunk)."""
        return self.measured and self.range_model.usable


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
    drop_deg: float,
    uncertainty_deg: float,
    model: RangeModel = CREST,
    *,
    lean_deg: float = 0.0,
    foot_behind: bool = False,
) -> tuple[float, float]:
    """(low, high) degrees where the true drop is expected for a reading (module docstring);
    ``lean_deg``: the trial's trunk lean toward the stance leg; ``foot_behind``: the lifted
    foot is behind the standing leg, so the thigh's pull may read high as well as low."""
    if not (math.isfinite(drop_deg) and math.isfinite(uncertainty_deg)):
        return math.nan, math.nan
    margin = uncertainty_deg + model.max_error_deg
    if model.read_min is None:
        return drop_deg - margin, drop_deg + margin
    a, b = drop_deg / model.read_max, drop_deg / model.read_min
    lean = model.trunk_share * max(lean_deg, 0.0) if math.isfinite(lean_deg) else 0.0
    below = model.low_bias_deg if foot_behind else 0.0
    low, high = min(a, b) - margin - below, max(a, b) + margin + model.low_bias_deg + lean
    if high > -PELVIS_MAX_DEG:  # cut at what a pelvis can do, unless the reading is beyond it
        low = max(low, -PELVIS_MAX_DEG)
    if low < PELVIS_MAX_DEG:
        high = min(high, PELVIS_MAX_DEG)
    return low, high


def _widest(models: set[RangeModel]) -> RangeModel:
    """One model for evidence of several models: the one that allows the most."""
    if len(models) == 1:
        return next(iter(models))
    if any(m.read_min is None for m in models):
        return LANDMARKS
    bands = {m.band for m in models}
    return RangeModel(
        next(b for b in (Band.WAIST, Band.LOW, Band.CREST) if b in bands),
        read_min=min(m.read_min or 1.0 for m in models),
        read_max=max(m.read_max for m in models),
        low_bias_deg=max(m.low_bias_deg for m in models),
        trunk_share=max(m.trunk_share for m in models),
    )


def fuse(
    evidence: Sequence[Evidence], *, lean_deg: float = 0.0, foot_behind: bool = False
) -> FusedDrop:
    """Inverse-variance fusion of the usable evidence, Birge-inflated on conflict; evidence
    read above the crest only when nothing else was read. ``lean_deg``: the trial's trunk lean
    toward the stance leg (the waist's range allows for it); ``foot_behind``: the lifted foot
    is held behind (`drop_interval`)."""
    usable = [e for e in evidence if e.usable]
    below = [e for e in usable if e.range_model.band is not Band.WAIST]
    usable = below or usable
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
    low, high = drop_interval(
        drop,
        unc,
        _widest({e.range_model for e in usable}),
        lean_deg=lean_deg,
        foot_behind=foot_behind,
    )
    return FusedDrop(drop, unc, low, high, weighted)
