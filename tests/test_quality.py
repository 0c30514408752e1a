"""assess_quality: judgeable clips pass; the problems real clips have are named."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from stance.analysis import quality_wording
from stance.analysis.clean import clean_track
from stance.analysis.judge import Thresholds
from stance.analysis.lighting import UNKNOWN_LIGHTING, Lighting
from stance.analysis.quality import (
    SMALL_PERSON,
    FlagCode,
    NobodyCause,
    QualityReport,
    assess_quality,
    nobody_cause,
    person_height,
)
from stance.analysis.segment import segment
from stance.core.track import LM, PoseTrack, Side
from synthetic import make_test_track

MIN_HOLD_S = Thresholds().min_hold_s
"""The shortest judgeable hold the analysis passes to the gate (the judge's own)."""


def _assess(track: PoseTrack) -> QualityReport:
    return assess_quality(track, segment(clean_track(track)), min_hold_s=MIN_HOLD_S)


def _codes(report: QualityReport) -> set[str]:
    return {f.code for f in report.flags}


def test_good_clip_has_no_flags() -> None:
    report = _assess(make_test_track(noise_px=1.0))
    assert report.flags == ()
    assert not report.blocking
    assert report.person_fraction == 1.0
    assert report.frontal_fraction == 1.0
    assert report.feet_visible_fraction == 1.0
    assert report.multi_person_fraction == 0.0


def test_nobody_found() -> None:
    track = make_test_track(gaps=[(0.0, 15.0)])
    report = _assess(track)
    assert report.blocking
    assert report.first_blocking is not None
    assert report.first_blocking.code == FlagCode.NO_PERSON
    assert report.first_blocking.message.startswith("Nobody found")


def test_side_view_is_not_frontal() -> None:
    track = make_test_track()
    xy = track.xy.copy()
    mid_x = 0.5 * (xy[:, LM.LEFT_HIP, 0] + xy[:, LM.RIGHT_HIP, 0])
    xy[..., 0] = mid_x[:, None] + 0.15 * (xy[..., 0] - mid_x[:, None])  # widths collapse
    report = _assess(track.with_xy(xy))
    assert report.first_blocking is not None
    assert report.first_blocking.code == FlagCode.NOT_FRONTAL
    assert report.frontal_fraction < 0.1


def test_back_view_is_not_frontal() -> None:
    # the person's left on the image LEFT, labels unchanged: seen from behind
    track = make_test_track()
    xy = track.xy.copy()
    xy[..., 0] = track.frame_size[0] - 1 - xy[..., 0]
    report = _assess(track.with_xy(xy))
    assert FlagCode.NOT_FRONTAL in _codes(report)
    assert report.blocking


def test_turning_around_mid_clip_is_not_frontal() -> None:
    track = make_test_track(lift_feet=False)
    xy = track.xy.copy()
    turn = (track.t_s > 6.0) & (track.t_s < 11.0)
    xy[turn, :, 0] = track.frame_size[0] - 1 - xy[turn, :, 0]
    report = _assess(track.with_xy(xy))
    assert FlagCode.NOT_FRONTAL in _codes(report)


def test_feet_out_of_frame() -> None:
    track = make_test_track()
    xy = track.xy.copy()
    xy[..., 1] += 300.0  # the camera points too high: the feet are below the frame
    report = _assess(track.with_xy(xy))
    assert report.first_blocking is not None
    assert report.first_blocking.code == FlagCode.FEET_OUT
    assert report.feet_visible_fraction == 0.0


def test_feet_with_low_presence_are_out_of_frame() -> None:
    track = make_test_track()
    presence = track.presence.copy()
    presence[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]] = 0.1
    assert FlagCode.FEET_OUT in _codes(_assess(replace(track, presence=presence)))


def test_an_occluded_lifted_foot_is_still_in_frame() -> None:
    track = make_test_track()
    vis = track.visibility.copy()
    vis[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL]] = 0.3  # MediaPipe often rates heels this low
    assert _assess(replace(track, visibility=vis)).flags == ()


def test_two_people_is_a_warning() -> None:
    track = make_test_track()
    report = _assess(replace(track, n_people=np.full(len(track), 2, dtype=np.int32)))
    assert FlagCode.MULTI_PERSON in _codes(report)
    assert not report.blocking
    assert report.multi_person_fraction == 1.0


def test_cut_inside_a_trial_blocks_and_outside_warns() -> None:
    track = make_test_track()
    for t_cut, code, blocking in [(5.0, FlagCode.CUT_IN_TRIAL, True), (0.5, FlagCode.JUMPS, False)]:
        xy = track.xy.copy()
        xy[track.t_s >= t_cut, :, 0] += 250.0  # the picture jumps sideways
        report = assess_quality(
            track.with_xy(xy), segment(clean_track(track)), min_hold_s=MIN_HOLD_S
        )
        assert code in _codes(report)
        assert report.blocking is blocking


def test_low_frame_rate_is_a_warning() -> None:
    report = _assess(make_test_track(fps=10.0))
    assert _codes(report) == {FlagCode.LOW_FPS}
    assert not report.blocking


def test_no_trial_and_too_short() -> None:
    report = _assess(make_test_track(lift_feet=False))
    assert report.first_blocking is not None
    assert report.first_blocking.code == FlagCode.NO_TRIAL
    report = _assess(make_test_track(hold_s=0.9))
    assert report.first_blocking is not None
    assert report.first_blocking.code == FlagCode.TOO_SHORT


def test_missing_baseline() -> None:
    track = make_test_track()
    start = int(np.searchsorted(track.t_s, 4.0))
    report = _assess(track.slice(start, len(track)))
    flag = next(f for f in report.flags if f.code == FlagCode.NO_BASELINE)
    assert not flag.blocking  # the second lift still has one


def test_quality_without_segmentation() -> None:
    report = assess_quality(make_test_track(), min_hold_s=MIN_HOLD_S)
    assert report.flags == ()


def test_a_foot_held_high_is_not_the_clinical_test() -> None:
    track = make_test_track()
    seg = segment(clean_track(track))
    low = assess_quality(track, seg, min_hold_s=MIN_HOLD_S)
    assert FlagCode.HIGH_LIFT not in _codes(low)  # a lift just off the floor
    first = seg.trials[0]
    xy = track.xy.copy()
    feet = [LM.of(first.lifted, p) for p in ("ankle", "heel", "foot_index")]
    xy[first.i0 : first.i1, feet, 1] -= 0.5 * seg.leg_length_px  # tree-pose height
    high = replace(track, xy=xy)
    report = assess_quality(high, segment(clean_track(high)), min_hold_s=MIN_HOLD_S)
    flag = next(f for f in report.flags if f.code == FlagCode.HIGH_LIFT)
    assert not flag.blocking and first.lifted.caps in flag.message


def test_flag_codes_are_typed_and_keep_their_stable_strings() -> None:
    from stance.analysis.quality import FlagCode

    assert [c.value for c in FlagCode] == [
        "poor_lighting",
        "no_person",
        "not_frontal",
        "feet_out_of_frame",
        "cut_in_trial",
        "no_trial",
        "hold_too_short",
        "no_baseline",
        "multiple_people",
        "tracking_jumps",
        "low_frame_rate",
        "lift_too_high",
    ]
    report = _assess(make_test_track(hold_s=1.0))
    assert all(isinstance(f.code, FlagCode) for f in report.flags)
    assert json.dumps([f.code for f in report.flags]) == '["hold_too_short"]'


def _shrunk(track: PoseTrack, factor: float) -> PoseTrack:
    """The same person, ``factor`` times as tall in the picture (about the frame's centre)."""
    centre = np.array(track.frame_size, dtype=float) / 2
    return track.with_xy(centre + factor * (track.xy - centre))


def test_a_tiny_person_seen_in_few_frames_is_told_to_come_closer() -> None:
    track = _shrunk(make_test_track(gaps=[(2.0, 15.0)]), 0.3)
    assert person_height(track) < SMALL_PERSON
    assert nobody_cause(track, UNKNOWN_LIGHTING) is NobodyCause.TOO_SMALL
    flag = _assess(track).first_blocking
    assert flag is not None and flag.code == FlagCode.NO_PERSON
    assert "too small in the picture" in flag.message and "Move closer" in flag.message


def test_a_person_of_normal_size_seen_in_few_frames_gets_the_general_advice() -> None:
    track = make_test_track(gaps=[(2.0, 15.0)])
    assert person_height(track) > SMALL_PERSON
    assert nobody_cause(track, UNKNOWN_LIGHTING) is NobodyCause.UNSEEN
    flag = _assess(track).first_blocking
    assert flag is not None and flag.code == FlagCode.NO_PERSON
    assert "too small" not in flag.message and "2-4 m" in flag.message


@pytest.mark.parametrize(
    ("size", "cause"),
    [
        ((3840, 2160), NobodyCause.TOO_SMALL),
        ((2160, 3840), NobodyCause.TOO_SMALL),
        ((1280, 720), NobodyCause.UNSEEN),
        ((720, 1280), NobodyCause.UNSEEN),
    ],
)
def test_nobody_detected_in_a_large_frame_is_likely_too_small(
    size: tuple[int, int], cause: NobodyCause
) -> None:
    track = make_test_track(gaps=[(0.0, 60.0)], width=size[0], height=size[1])
    assert not (track.n_people > 0).any() and np.isnan(person_height(track))
    assert nobody_cause(track, UNKNOWN_LIGHTING) is cause
    words = quality_wording.nobody_found("c.mp4", cause, UNKNOWN_LIGHTING, size, math.nan)
    assert words.startswith("Nobody was found in c.mp4")
    assert (f"too small in this {size[0]}x{size[1]} picture" in words) == (
        cause is NobodyCause.TOO_SMALL
    )
    assert "fills most of the picture's height" in words


def test_poor_light_comes_before_size_as_the_cause() -> None:
    dark = Lighting(brightness=0.01, contrast=0.005, n_frames=10)
    track = _shrunk(make_test_track(gaps=[(2.0, 15.0)], width=3840, height=2160), 0.3)
    assert nobody_cause(track, dark) is NobodyCause.POOR_LIGHT
    words = quality_wording.nobody_found(
        "c.mp4", NobodyCause.POOR_LIGHT, dark, track.frame_size, person_height(track)
    )
    assert "Too dark" in words and "too small" not in words


def _low_lifts(track: PoseTrack, to_leg_lengths: float) -> PoseTrack:
    """``track`` with every lifted foot and knee raised only ``to_leg_lengths`` at most."""
    seg = segment(clean_track(track))
    scale = to_leg_lengths / float(np.nanmax(np.abs(seg.foot_lift)))
    legs = [LM.of(s, p) for s in Side for p in ("knee", "ankle", "heel", "foot_index")]
    xy = track.xy.copy()
    xy[:, legs] = track.xy[0, legs] + scale * (track.xy[:, legs] - track.xy[0, legs])
    return track.with_xy(xy)


def test_a_lift_too_low_to_count_is_said_with_its_height() -> None:
    report = _assess(_low_lifts(make_test_track(), 0.05))
    flag = report.first_blocking
    assert flag is not None and flag.code == FlagCode.NO_TRIAL
    assert "foot was held only about 0.05 leg lengths up" in flag.message
    # no lift at all: nothing is said about a height
    report = _assess(make_test_track(lift_feet=False, noise_px=1.0))
    assert report.first_blocking is not None
    assert "held only" not in report.first_blocking.message
