"""Fusion of pelvic-drop evidence and the true-drop range the judge decides on."""

from __future__ import annotations

import math

import pytest

from stance.analysis.fuse import (
    CREST,
    CREST_BAND_L,
    LANDMARKS,
    LOW,
    PELVIS_MAX_DEG,
    TRUNK,
    WAIST,
    Band,
    Evidence,
    drop_interval,
    fuse,
    measurement_uncertainty,
    range_model_at,
)


def _ev(name: str, drop: float, unc: float, coverage: float = 1.0) -> Evidence:
    return Evidence(name, drop, 0.1, coverage, unc)


def test_agreeing_evidence_is_averaged_by_its_uncertainty() -> None:
    f = fuse([_ev("a", 3.0, 0.5), _ev("b", 4.0, 1.0)])
    # weights 4 : 1
    assert f.drop_deg == pytest.approx((4 * 3.0 + 1 * 4.0) / 5)
    assert f.uncertainty_deg == pytest.approx(1 / math.sqrt(4 + 1))
    assert [e.weight for e in f.evidence] == pytest.approx([0.8, 0.2])
    assert f.carried_by == ("a", "b")


def test_conflicting_evidence_widens_the_uncertainty() -> None:
    agree = fuse([_ev("a", 3.0, 0.5), _ev("b", 3.2, 0.5)])
    conflict = fuse([_ev("a", 3.0, 0.5), _ev("b", 9.0, 0.5)])
    assert agree.uncertainty_deg == pytest.approx(0.5 / math.sqrt(2))
    # Birge ratio: the spread of the readings, not their nominal precision
    assert conflict.uncertainty_deg > 2.5
    assert conflict.low_deg <= 3.0 + 1e-9 and conflict.high_deg > 9.0


def test_unmeasured_evidence_carries_no_weight() -> None:
    f = fuse([_ev("a", math.nan, 1.0, coverage=0.2), _ev("b", 2.0, 0.6)])
    assert f.drop_deg == pytest.approx(2.0)
    assert f.carried_by == ("b",)
    assert f.evidence[0].weight == 0.0
    none = fuse([_ev("a", math.nan, 1.0)])
    assert math.isnan(none.drop_deg) and none.carried_by == ()


def test_the_range_covers_what_the_image_cannot_see() -> None:
    # a crest-band reading of 2.4 +- 0.5: the surface turns 0.85-1.05 times the pelvis, and the
    # lifted thigh may pull it a little low
    assert CREST.read_min is not None
    low, high = drop_interval(2.4, 0.5)
    assert low == pytest.approx(2.4 / CREST.read_max - 0.5)
    assert high == pytest.approx(2.4 / CREST.read_min + 0.5 + CREST.low_bias_deg)
    # a hike is read the same way (the band turns with the pelvis both ways)
    low, high = drop_interval(-3.0, 0.5)
    assert low == pytest.approx(-3.0 / CREST.read_min - 0.5)
    assert high == pytest.approx(-3.0 / CREST.read_max + 0.5 + CREST.low_bias_deg)
    low, high = drop_interval(-0.8, 0.5)
    assert low < 0.0 < high
    # narrow enough to decide: a reading of 5 allows 4.3 to 7.9
    low, high = drop_interval(5.0, 0.5)
    assert high - low < 4.0


def test_the_band_a_reading_came_from_chooses_its_range() -> None:
    """Below the crest band the lifted thigh pulls the surface low; above it the waist follows
    the trunk and is no measurement of the pelvis at all."""
    lo, hi = CREST_BAND_L
    assert range_model_at((lo + hi) / 2) is CREST
    assert range_model_at(lo - 0.02) is LOW
    assert range_model_at(hi + 0.02) is WAIST
    assert range_model_at(math.nan) is CREST
    crest = drop_interval(-1.0, 0.5, CREST)
    low = drop_interval(-1.0, 0.5, LOW)
    # a low reading allows a larger drop behind a level one (the lifted thigh's pull)
    assert low[1] == pytest.approx(-1.0 / LOW.read_max + 0.5 + LOW.low_bias_deg)
    assert LOW.low_bias_deg > CREST.low_bias_deg and low[1] > crest[1]
    assert WAIST.band is Band.WAIST and not TRUNK.usable


def test_evidence_above_the_crest_is_used_only_alone_and_never_calls_a_drop_normal() -> None:
    """The waist turns 0.1-0.7 times the pelvis and shows a trunk lean: used only when nothing
    below it was read; a drop it shows is at least that large, a level reading allows a large
    drop (never normal), a clear hike with little lean is a hike."""
    waist = Evidence("pelvis_edge", 0.5, 0.1, 1.0, 0.5, model=WAIST)
    crest = Evidence("pelvis_image", 4.0, 0.1, 1.0, 0.5, model=CREST)
    f = fuse([waist, crest])
    assert f.drop_deg == pytest.approx(4.0) and f.carried_by == ("pelvis_image",)
    alone = fuse([waist])
    assert alone.drop_deg == pytest.approx(0.5) and alone.carried_by == ("pelvis_edge",)
    assert alone.high_deg > 5.0  # a level-looking waist may hide a real drop
    big = fuse([Evidence("pelvis_edge", 6.0, 0.1, 1.0, 0.5, model=WAIST)])
    assert big.low_deg == pytest.approx(5.5)  # a drop it shows is at least that large
    hike = fuse([Evidence("pelvis_edge", -12.0, 0.1, 1.0, 0.5, model=WAIST)], lean_deg=3.0)
    assert hike.high_deg == pytest.approx(-12.0 + 0.5 + WAIST.low_bias_deg + 3.0)
    assert hike.low_deg == -PELVIS_MAX_DEG  # ten times the reading, cut at what a pelvis does
    leaning = fuse([Evidence("pelvis_edge", -4.0, 0.1, 1.0, 0.5, model=WAIST)], lean_deg=7.0)
    assert leaning.high_deg > 3.0  # a lean over the stance leg may hide a drop at the waist


def test_evidence_that_turned_with_the_trunk_is_reported_but_never_used() -> None:
    trunk = Evidence("pelvis_edge", -7.0, 0.1, 1.0, 0.5, model=TRUNK)
    alone = fuse([trunk])
    assert math.isnan(alone.drop_deg) and alone.evidence[0].measured
    assert not alone.evidence[0].usable


def test_mixed_bands_take_the_range_that_allows_most() -> None:
    f = fuse(
        [
            Evidence("pelvis_edge", 3.0, 0.1, 1.0, 0.5, model=LOW),
            Evidence("pelvis_image", 3.2, 0.1, 1.0, 0.5, model=CREST),
        ]
    )
    only_crest = fuse([Evidence("pelvis_image", 3.1, 0.1, 1.0, 0.35, model=CREST)])
    assert LOW.read_min is not None
    assert f.high_deg > only_crest.high_deg
    assert f.high_deg >= f.drop_deg / LOW.read_min + LOW.low_bias_deg


def test_measurement_uncertainty_grows_with_noise_and_missing_frames() -> None:
    base = measurement_uncertainty(0.1, 1.0, floor_deg=0.5, noise_factor=2.0)
    assert base == pytest.approx(0.5)  # the floor
    assert measurement_uncertainty(1.0, 1.0, floor_deg=0.5, noise_factor=2.0) == pytest.approx(2.0)
    assert measurement_uncertainty(0.1, 0.25, floor_deg=0.5, noise_factor=2.0) == pytest.approx(1.0)
    assert measurement_uncertainty(math.nan, 1.0, floor_deg=0.5, noise_factor=2.0) == 1.0


def test_the_hip_landmark_line_gets_its_own_wide_range() -> None:
    """It follows the lifted thigh (a true 8-degree drop read -5): no read-fraction law holds,
    so its range is its reading +- its largest validated error, and it rarely decides."""
    f = fuse([Evidence("hip_line", -5.2, 0.1, 1.0, 0.5)])
    assert f.low_deg < -15.0 and f.high_deg > 8.0
    assert drop_interval(-5.2, 0.5, LANDMARKS) == pytest.approx((-5.2 - 16.6, -5.2 + 16.6))


def test_a_reading_that_mirrors_the_trunk_lean_is_not_the_pelvis() -> None:
    """A loose hem hanging from a trunk leaning 7 deg toward the stance leg reads a 7.4-deg
    hike: it follows the trunk. A level or dropping pelvis under the same lean does not."""
    from stance.analysis.fuse import follows_trunk

    assert follows_trunk(-7.4, 7.0, 0.5)
    assert not follows_trunk(-0.5, 7.0, 0.5)  # compensated: level pelvis, leaning trunk
    assert not follows_trunk(5.0, 7.0, 0.5)  # a drop with a lean
    assert not follows_trunk(-2.0, 2.0, 0.5)  # too little lean to tell
    assert not follows_trunk(math.nan, 7.0, 0.5)


def test_a_foot_held_behind_may_read_high_as_well_as_low() -> None:
    """An extended thigh pulls the skin the other way from a flexed one: the range allows the
    thigh's bias below the reading as well as above it."""
    low, high = drop_interval(6.3, 0.5, CREST)
    assert low > 5.0  # lx_04: read 6.3 for a true 5.0, outside the range of a flexed thigh
    behind_low, behind_high = drop_interval(6.3, 0.5, CREST, foot_behind=True)
    assert behind_low == pytest.approx(low - CREST.low_bias_deg)
    assert behind_high == pytest.approx(high)
    assert behind_low < 5.0 < behind_high
