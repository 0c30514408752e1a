"""The mediapipe adapter, subject following, and the PoseTrack container."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from stance.core.track import LM, N_LANDMARKS, PoseTrack, Side
from stance.vision.landmarker import PersonPose, SubjectTracker, TrackBuilder, from_mediapipe


def _person(cx: float, cy: float, h: float) -> PersonPose:
    rng = np.random.default_rng(int(cx))
    xy = np.column_stack(
        [cx + rng.uniform(-h / 6, h / 6, N_LANDMARKS), cy + np.linspace(-h / 2, h / 2, N_LANDMARKS)]
    )
    ones = np.ones(N_LANDMARKS)
    return PersonPose(xy=xy, visibility=ones, presence=ones, world=np.zeros((N_LANDMARKS, 3)))


def test_from_mediapipe_converts_to_pixels() -> None:
    lm = [SimpleNamespace(x=0.25, y=0.5, z=0.0, visibility=0.9, presence=0.8)] * N_LANDMARKS
    wl = [SimpleNamespace(x=0.1, y=0.2, z=0.3)] * N_LANDMARKS
    result = SimpleNamespace(pose_landmarks=[lm], pose_world_landmarks=[wl])
    (p,) = from_mediapipe(result, 640, 480)
    assert p.xy.shape == (N_LANDMARKS, 2)
    np.testing.assert_allclose(p.xy[0], [160.0, 240.0])
    np.testing.assert_allclose(p.world[0], [0.1, 0.2, 0.3])
    assert p.visibility[0] == pytest.approx(0.9)


def test_subject_is_central_and_largest_then_followed() -> None:
    tracker = SubjectTracker(1000, 800)
    small_edge = _person(100, 400, 200)
    big_centre = _person(520, 400, 600)
    assert tracker.choose([small_edge, big_centre]) is big_centre
    # The subject walks off to the side step by step while a bigger person stands at the
    # centre: keep following the subject.
    for cx in (480, 420, 360, 300, 240):
        subject = _person(cx, 400, 600)
        assert tracker.choose([_person(800, 400, 700), subject]) is subject
    assert tracker.choose([]) is None


def test_track_builder_counts_people_and_fills_gaps() -> None:
    b = TrackBuilder(1000, 800)
    b.add(0.0, [_person(500, 400, 600), _person(100, 400, 300)])
    b.add(0.1, [])
    track = b.build()
    assert track.n_people.tolist() == [2, 0]
    assert np.isnan(track.xy[1]).all() and track.visibility[1].max() == 0


def test_mirrored_track_swaps_sides_and_flips_x() -> None:
    T = 3
    xy = np.zeros((T, N_LANDMARKS, 2))
    xy[:, LM.LEFT_HIP] = [600.0, 500.0]
    xy[:, LM.RIGHT_HIP] = [400.0, 510.0]
    vis = np.zeros((T, N_LANDMARKS))
    vis[:, LM.LEFT_HIP] = 0.9
    track = PoseTrack(
        t_s=np.arange(T) / 10.0,
        xy=xy,
        visibility=vis,
        presence=vis,
        world=np.zeros((T, N_LANDMARKS, 3)),
        frame_size=(1001, 800),
    )
    m = track.mirrored()
    np.testing.assert_allclose(m.xy[0, LM.RIGHT_HIP], [400.0, 500.0])
    np.testing.assert_allclose(m.xy[0, LM.LEFT_HIP], [600.0, 510.0])
    assert m.visibility[0, LM.RIGHT_HIP] == pytest.approx(0.9)
    np.testing.assert_allclose(m.mirrored().xy, track.xy)
    assert LM.of(Side.LEFT, "hip") == LM.LEFT_HIP and Side.LEFT.other is Side.RIGHT


def test_pose_track_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="xy"):
        PoseTrack(
            t_s=np.array([0.0, 1.0]),
            xy=np.zeros((2, 10, 2)),
            visibility=np.zeros((2, N_LANDMARKS)),
            presence=np.zeros((2, N_LANDMARKS)),
            world=np.zeros((2, N_LANDMARKS, 3)),
            frame_size=(10, 10),
        )
