"""judge: the weak side is the stance side; never a verdict on a blocked or empty clip."""

from dataclasses import fields, replace

import pytest

from stance.analysis.judge import (
    SOURCES,
    Status,
    Thresholds,
    Verdict,
    judge,
    norm_for_age,
)
from stance.analysis.measure import Measurements
from stance.analysis.quality import FlagCode, QualityFlag, QualityReport
from stance.core.track import PoseTrack, Side
from synthetic import analyse, make_test_track

CLEAN = QualityReport((), 1.0, 1.0, 1.0, 0.0)


def _verdict(track: PoseTrack, *, age: int | None = None) -> Verdict:
    result = analyse(track, age=age)
    verdict: Verdict = result.verdict
    return verdict


def test_left_drop_on_the_right_leg_means_right_weak() -> None:
    v = _verdict(make_test_track(drop_left_deg=5.0))
    assert v.outcome == "right"
    assert v.findings[Side.RIGHT].status is Status.POSITIVE
    assert v.findings[Side.LEFT].status is Status.NORMAL
    right = v.findings[Side.RIGHT]
    assert right.drop_deg == pytest.approx(5.0, abs=0.3)
    assert 0.0 < right.confidence <= 1.0
    assert "RIGHT" in v.reason


def test_mirrored_recording_swaps_the_verdict_and_correction_restores_it() -> None:
    assert _verdict(make_test_track(drop_left_deg=5.0, mirror=True)).outcome == "left"
    assert _verdict(make_test_track(drop_left_deg=5.0, mirror=True).mirrored()).outcome == "right"


def test_both_sides_weak() -> None:
    v = _verdict(make_test_track(drop_left_deg=6.0, drop_right_deg=6.0))
    assert v.outcome == "both"


def test_level_pelvis_with_trunk_lean_is_compensated() -> None:
    v = _verdict(make_test_track(lean_left_deg=8.0))
    assert v.findings[Side.RIGHT].status is Status.COMPENSATED
    assert v.outcome == "right"


def test_level_and_upright_is_none() -> None:
    v = _verdict(make_test_track(noise_px=1.0))
    assert v.outcome == "none"
    assert all(f.status is Status.NORMAL for f in v.findings.values())


def test_drop_at_the_threshold_is_inconclusive() -> None:
    th = Thresholds()
    v = _verdict(make_test_track(drop_left_deg=th.drop_deg, noise_px=1.5))
    right = v.findings[Side.RIGHT]
    assert right.status is Status.INCONCLUSIVE
    assert right.drop_uncertainty_deg is not None
    assert right.drop_deg is not None
    assert abs(right.drop_deg - th.drop_deg) < right.drop_uncertainty_deg
    assert v.outcome == "cannot_tell"
    assert "borderline" in v.reason


def test_camera_roll_and_noise_keep_the_verdict() -> None:
    track = make_test_track(drop_left_deg=5.0, roll_deg=7.0, noise_px=1.5, gaps=[(3.0, 3.2)])
    assert _verdict(track).outcome == "right"


def test_both_feet_down_throughout_cannot_tell() -> None:
    v = _verdict(make_test_track(lift_feet=False))
    assert v.outcome == "cannot_tell"
    assert v.reason.startswith("No single-leg stance found")
    assert v.holds == ()


def test_blocking_quality_flag_means_cannot_tell() -> None:
    meas = analyse(make_test_track(drop_left_deg=8.0)).meas
    flag = QualityFlag(FlagCode.NOT_FRONTAL, "Not a frontal view: side view.", blocking=True)
    v = judge(meas, replace(CLEAN, flags=(flag,)))
    assert v.outcome == "cannot_tell"
    assert v.reason.startswith("Not a frontal view")
    warning = QualityFlag(FlagCode.MULTI_PERSON, "Two people.", blocking=False)
    assert judge(meas, replace(CLEAN, flags=(warning,))).outcome == "right"


def test_warnings_and_hip_line_lower_the_confidence() -> None:
    meas = analyse(make_test_track(drop_left_deg=8.0)).meas
    warned = judge(meas, replace(CLEAN, flags=(QualityFlag(FlagCode.JUMPS, "y", blocking=False),)))
    plain = judge(meas, CLEAN)
    hips = judge(replace(meas, estimator="hip_line"), CLEAN)
    c = [v.findings[Side.RIGHT].confidence for v in (warned, hips, plain)]
    assert c[0] < c[2] and c[1] < c[2] <= 1.0


def test_only_one_side_tested() -> None:
    track = make_test_track(drop_left_deg=6.0)
    one_lift = track.slice(0, int(track.fps * 10.0))  # ends before the right foot lifts
    v = _verdict(one_lift)
    assert v.outcome == "right"
    assert v.findings[Side.LEFT].status is Status.INCONCLUSIVE
    assert v.findings[Side.LEFT].drop_deg is None
    assert "not tested" in v.reason

    level = _verdict(make_test_track().slice(0, int(track.fps * 10.0)))
    assert level.outcome == "cannot_tell"
    assert level.reason.startswith("Only one side was tested")
    assert "RIGHT leg the pelvis stayed level" in level.reason


def test_short_hold_is_inconclusive() -> None:
    v = _verdict(make_test_track(drop_left_deg=6.0, hold_s=1.0))
    assert v.outcome == "cannot_tell"
    assert v.reason.startswith("Hold too short")


def test_hold_norms_by_age() -> None:
    assert norm_for_age(25) == 44.0
    assert norm_for_age(45) == 41.0
    assert norm_for_age(65) == 32.0
    assert norm_for_age(75) == 21.0
    assert norm_for_age(85) == 9.0
    assert norm_for_age(12) is None
    v = _verdict(make_test_track(hold_s=10.0), age=75)
    assert len(v.holds) == 2
    for h in v.holds:
        assert not h.meets_criterion  # 30 s (Hardcastle & Nade 1985)
        assert h.norm_s == 21.0
        assert h.below_norm is True
        assert h.norm_source is not None and "Springer" in h.norm_source
    v = _verdict(make_test_track(hold_s=31.0), age=85)
    assert all(h.meets_criterion and h.below_norm is False for h in v.holds)
    assert all(h.norm_s is None for h in _verdict(make_test_track()).holds)


def test_weight_asymmetry_notes() -> None:
    meas = analyse(make_test_track()).meas
    assert judge(meas, CLEAN).weight_asymmetry_note is None
    heavy_left = judge(replace(meas, weight_left_pct=68.0), CLEAN).weight_asymmetry_note
    assert heavy_left is not None and "68% of the weight was on the LEFT foot" in heavy_left
    trials = tuple(
        replace(m, shift_frac=0.9 if m.trial.stance is Side.LEFT else 0.3) for m in meas.trials
    )
    lopsided = judge(Measurements(trials, meas.estimator, 50.0), CLEAN).weight_asymmetry_note
    assert lopsided is not None and "further over the LEFT foot" in lopsided


def test_every_threshold_has_a_source() -> None:
    for f in fields(Thresholds):
        if f.name not in ("min_uncertainty_deg", "noise_factor"):
            assert f.name in SOURCES
    assert "Hardcastle" in SOURCES["hold_criterion_s"]
    assert "Project's choice" in SOURCES["drop_deg"]


def test_every_basis_has_its_own_sentence() -> None:
    """The words come from the typed decision alone (stance.analysis.explain)."""
    from stance.analysis.explain import side_reasons
    from stance.analysis.judge import Basis, SideFinding, Status, Thresholds

    mains = {}
    for basis in Basis:
        f = SideFinding(
            Side.RIGHT, Status.INCONCLUSIVE, 3.0, 1.0, 6.0, 0.4, 20.0, 1.5, 0.0, (),
            drop_low_deg=1.5, drop_high_deg=4.5, basis=basis, drop_coverage=0.3,
            lean_uncertainty_deg=1.2, valid_holds=2, confidence_reduced=True,
        )  # fmt: skip
        reasons = side_reasons(f, Thresholds(), "fused")
        assert "RIGHT leg" in reasons[0], basis
        mains[basis] = reasons[0]
    assert len(set(mains.values())) == len(Basis)
    assert "30%" in mains[Basis.PELVIS_UNSEEN] and "1.5 s" in mains[Basis.HOLD_TOO_SHORT]
    assert (
        "+/-1.2" in mains[Basis.LEAN_BORDERLINE] and "+1.5 to +4.5" in mains[Basis.DROP_BORDERLINE]
    )


@pytest.mark.parametrize(
    ("basis", "words"),
    [("pelvis_unseen", "top tucked in"), ("pelvis_follows_trunk", "follows the trunk")],
)
def test_an_unseen_pelvis_says_what_to_wear(basis: str, words: str) -> None:
    """Where the band between the hip joints and the crest cannot be read, the sentence says
    why and what to wear (issue 20), instead of a reading that would under-read a drop."""
    from stance.analysis.explain import side_reasons
    from stance.analysis.judge import Basis, SideFinding, Status, Thresholds

    f = SideFinding(Side.RIGHT, Status.INCONCLUSIVE, None, None, None, None, None, 4.0, 0.0, (),
                    basis=Basis(basis), drop_coverage=0.0)  # fmt: skip
    (sentence,) = side_reasons(f, Thresholds(), "fused")
    assert "could not be judged" in sentence and words in sentence
    assert "waistband" in sentence or "shorts or leggings" in sentence


def test_a_reading_taken_only_at_the_waist_says_so() -> None:
    from stance.analysis.explain import side_reasons
    from stance.analysis.judge import Basis, SideFinding, Status, Thresholds

    f = SideFinding(Side.LEFT, Status.INCONCLUSIVE, 1.0, 0.5, 0.0, 0.3, 20.0, 4.0, 0.0, (),
                    drop_low_deg=0.5, drop_high_deg=12.0, basis=Basis.DROP_BORDERLINE,
                    read_at_waist=True)  # fmt: skip
    reasons = side_reasons(f, Thresholds(), "fused")
    assert any("only at the waist" in r for r in reasons)
    plain = side_reasons(replace(f, read_at_waist=False), Thresholds(), "fused")
    assert not any("only at the waist" in r for r in plain)
