"""segment: which foot is up, when, and the quiet stance before each lift."""

from dataclasses import replace

import numpy as np
import pytest

from stance.analysis.clean import clean_track
from stance.analysis.segment import BOTH_DOWN, Segmentation, segment
from stance.core.track import LM, PoseTrack, Side
from synthetic import make_test_track, phase_times

LEFT_FOOT = [LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX]


def _segment(track: PoseTrack) -> Segmentation:
    return segment(clean_track(track))


def _check_protocol(seg: Segmentation, *, first: Side = Side.LEFT) -> None:
    assert [tr.lifted for tr in seg.trials] == [first, first.other]
    for tr, (side, t_up, t_down) in zip(seg.trials, phase_times(first=first), strict=True):
        assert tr.lifted is side
        assert tr.stance is side.other
        # the foot crosses 8% of leg length part-way through a 0.7 s lift / lowering
        assert t_up < tr.start_s < t_up + 0.7
        assert t_down < tr.end_s < t_down + 0.7
        assert tr.hold_s == pytest.approx(tr.end_s - tr.start_s)
        assert tr.baseline is not None
        # quiet: ends before the foot moves (the weight shift starts 0.3 s before it, slowly)
        assert tr.baseline.t1_s <= t_up - 0.1
        assert tr.baseline.duration_s >= 0.8
        assert tr.touchdowns_s == ()


def test_protocol_is_found() -> None:
    seg = _segment(make_test_track())
    _check_protocol(seg)
    assert np.nanmax(seg.foot_lift) > 0.12
    assert np.nanmin(seg.foot_lift) < -0.12
    assert seg.lifted.dtype == np.int8


def test_right_foot_first() -> None:
    _check_protocol(_segment(make_test_track(first=Side.RIGHT)), first=Side.RIGHT)


@pytest.mark.parametrize("roll", [-7.0, 7.0])
def test_camera_roll_changes_nothing(roll: float) -> None:
    level = _segment(make_test_track())
    rolled = _segment(make_test_track(roll_deg=roll))
    _check_protocol(rolled)
    for a, b in zip(level.trials, rolled.trials, strict=True):
        assert (a.i0, a.i1) == pytest.approx((b.i0, b.i1), abs=1)


def test_mirrored_recording_swaps_the_feet() -> None:
    seg = _segment(make_test_track(mirror=True))
    assert [tr.lifted for tr in seg.trials] == [Side.RIGHT, Side.LEFT]
    _check_protocol(_segment(make_test_track(mirror=True).mirrored()))


def test_noise_gaps_and_low_frame_rate() -> None:
    _check_protocol(_segment(make_test_track(noise_px=1.5, gaps=[(3.0, 3.2), (9.0, 9.15)])))
    _check_protocol(_segment(make_test_track(fps=8.0)))


def test_both_feet_down_throughout_finds_no_trial() -> None:
    seg = _segment(make_test_track(lift_feet=False, noise_px=1.0))
    assert seg.trials == ()
    assert seg.baselines == ()
    assert np.all(seg.lifted == BOTH_DOWN)


def test_short_lifts_are_not_trials() -> None:
    seg = _segment(make_test_track(hold_s=0.2))
    assert seg.trials == ()


def _lower_left_foot(track: PoseTrack, windows: list[tuple[float, float]]) -> PoseTrack:
    """Put the lifted LEFT foot back on the floor (its rest position) during ``windows``."""
    xy = track.xy.copy()
    for t0, t1 in windows:
        w = (track.t_s >= t0) & (track.t_s < t1)
        xy[np.ix_(w, LEFT_FOOT)] = track.xy[0, LEFT_FOOT]
    return track.with_xy(xy)


def test_touch_downs_and_close_passes_stay_one_trial() -> None:
    # a leg swing that brings the free foot to the floor three times during the hold
    track = _lower_left_foot(make_test_track(hold_s=6.0), [(3.5, 3.8), (5.0, 5.2), (6.5, 6.9)])
    seg = _segment(track)
    left = [tr for tr in seg.trials if tr.lifted is Side.LEFT]
    assert len(left) == 1
    assert len(left[0].touchdowns_s) == 3
    assert left[0].touchdowns_s[0] == pytest.approx(3.5, abs=0.25)


def test_a_long_put_down_ends_the_trial() -> None:
    track = _lower_left_foot(make_test_track(hold_s=7.0), [(4.5, 6.0)])
    seg = _segment(track)
    assert [tr.lifted for tr in seg.trials] == [Side.LEFT, Side.LEFT, Side.RIGHT]


def test_hidden_lifted_foot_does_not_end_the_hold() -> None:
    track = make_test_track()
    vis = track.visibility.copy()
    hidden = (track.t_s >= 4.0) & (track.t_s < 5.5)
    vis[np.ix_(hidden, LEFT_FOOT)] = 0.3  # behind the standing leg: not trusted
    seg = _segment(replace(track, visibility=vis))
    _check_protocol(seg)


def test_no_double_stance_before_means_no_baseline() -> None:
    track = make_test_track()
    start = int(np.searchsorted(track.t_s, 4.0))  # the clip starts with the left foot up
    seg = _segment(track.slice(start, len(track)))
    assert seg.trials[0].lifted is Side.LEFT
    assert seg.trials[0].baseline is None
    assert seg.trials[1].baseline is not None


def _foot_behind(track: PoseTrack, *, bend_world: bool) -> PoseTrack:
    """The synthetic protocol with every lifted foot hidden behind the standing leg (the
    "stork" version): the pose model sees neither foot's landmarks (visibility 0) and puts the
    knees level; with ``bend_world`` its 3-D landmarks bend the lifted knee 100 degrees."""
    vis = track.visibility.copy()
    xy = track.xy.copy()
    world = track.world.copy()
    for side, t_up, t_down in phase_times():
        hold = (track.t_s >= t_up) & (track.t_s < t_down + 0.7)
        foot = [LM.of(side, p) for p in ("ankle", "heel", "foot_index")]
        vis[np.ix_(hold, foot)] = 0.0
        knee, other = LM.of(side, "knee"), LM.of(side.other, "knee")
        xy[hold, knee, 1] = xy[hold, other, 1]  # the knees level in the image
        if bend_world:
            shank = world[hold, LM.of(side, "ankle")] - world[hold, knee]
            length = np.linalg.norm(shank, axis=-1, keepdims=True)
            a = np.radians(100.0)  # rotate the shank backward (away from the camera)
            behind = np.stack(
                [np.zeros(len(length)), -np.cos(a) * length[:, 0], -np.sin(a) * length[:, 0]],
                axis=-1,
            )
            world[hold, LM.of(side, "ankle")] = world[hold, knee] + behind
    return replace(track, xy=xy, visibility=vis, world=world)


def test_a_foot_lifted_behind_is_found_from_the_bent_knee() -> None:
    """Issue 21: a foot held behind the standing leg, hidden from the camera, is a hold: the
    3-D knee flexion tells it (without it the clip had 'no single-leg stance found')."""
    track = make_test_track()
    assert not _segment(_foot_behind(track, bend_world=False)).trials
    seg = _segment(_foot_behind(track, bend_world=True))
    assert [tr.lifted for tr in seg.trials] == [Side.LEFT, Side.RIGHT]
    for tr, (_, t_up, t_down) in zip(seg.trials, phase_times(), strict=True):
        assert abs(tr.start_s - t_up) < 0.5 and abs(tr.end_s - (t_down + 0.7)) < 0.5
        assert tr.foot_behind
    assert not any(tr.foot_behind for tr in _segment(track).trials)


def test_a_straight_leg_in_quiet_stance_is_no_bent_knee_lift() -> None:
    from stance.analysis.segment import bent_knee_lift

    track = make_test_track(lift_feet=False)
    assert np.nanmax(np.abs(bent_knee_lift(track))) < 0.04


def test_stepping_on_the_spot_with_the_other_foot_unseen_is_no_hold() -> None:
    # marching: the LEFT foot up 0.45 s, down 0.65 s, while the pose model misses every step of
    # the RIGHT foot (its own lifts never show); each touch-down is short enough to be one
    track = make_test_track(hold_s=7.0)
    _, t_up, t_down = phase_times(hold_s=7.0)[0]
    downs = [(t_up + 0.45 + k * 1.1, t_up + 1.1 + k * 1.1) for k in range(8)]
    downs = [(a, min(b, t_down)) for a, b in downs if a < t_down]
    seg = _segment(_lower_left_foot(track, downs))
    assert Side.LEFT not in [tr.lifted for tr in seg.trials]
    # the same touch-downs, shorter (a swing brushing the floor), leave one held trial
    brushes = [(a, a + 0.2) for a, _ in downs]
    seg = _segment(_lower_left_foot(track, brushes))
    assert [tr.lifted for tr in seg.trials].count(Side.LEFT) == 1
