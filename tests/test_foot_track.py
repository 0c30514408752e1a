"""FootTracker: each foot's rise from its own pixels, and the hold it lets the segmentation
find where the pose model leaves a lifted foot on the floor (synthetic images)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from stance.analysis.clean import clean_track
from stance.analysis.segment import segment
from stance.core.track import LM, N_LANDMARKS, PoseTrack, Side
from stance.vision.foot_track import FootTracker

W, H = 320, 480
HIP_Y, ANKLE_Y = 200.0, 400.0  # a leg of 200 px
FEET_X = {Side.LEFT: 190.0, Side.RIGHT: 130.0}  # frontal, unmirrored: LEFT on image right


@dataclass
class _Frame:
    t_s: float
    image: np.ndarray


def _landmarks() -> np.ndarray:
    """A person standing still (33, 2); the feet where they stood in quiet stance."""
    xy = np.full((N_LANDMARKS, 2), np.nan)
    for s, x in FEET_X.items():
        xy[LM.of(s, "shoulder")] = (x, 60.0)
        xy[LM.of(s, "hip")] = (x, HIP_Y)
        xy[LM.of(s, "knee")] = (x, 300.0)
        xy[LM.of(s, "ankle")] = (x, ANKLE_Y)
        xy[LM.of(s, "heel")] = (x - 3, ANKLE_Y + 8)
        xy[LM.of(s, "foot_index")] = (x + 3, ANKLE_Y + 14)
    return xy


def _scene(rise_px: dict[Side, int], shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """A textured floor and wall with two textured boots, each ``rise_px`` up; the whole
    picture moved by ``shift`` (x, y) pixels (a moving camera)."""
    rng = np.random.default_rng(1)
    image = rng.integers(90, 140, (H + 40, W + 40, 3)).astype(np.uint8)
    boots = np.random.default_rng(2).integers(0, 255, (2, 60, 30, 3)).astype(np.uint8)
    for k, (s, x) in enumerate(FEET_X.items()):
        y0 = int(ANKLE_Y - 40 - rise_px.get(s, 0)) + 20
        image[y0 : y0 + 60, int(x) - 15 + 20 : int(x) + 15 + 20] = boots[k]
    dx, dy = shift
    return np.ascontiguousarray(image[20 - dy : 20 - dy + H, 20 - dx : 20 - dx + W])


def _watch(scenes: list[np.ndarray]) -> FootTracker:
    tracker = FootTracker()
    for i, image in enumerate(scenes):
        tracker.observe(_Frame(i / 10, image), _landmarks())
    return tracker


def test_a_rising_boot_is_measured_where_the_landmarks_stay() -> None:
    scenes = [_scene({})] * 5 + [_scene({Side.LEFT: 30})] * 5
    r = _watch(scenes).result()
    assert np.allclose(r.left[:5], 0.0) and np.allclose(r.right, 0.0, atol=0.01)
    assert r.left[5:] == pytest.approx(np.full(5, 30 / 200), abs=0.01)
    assert np.all(r.score_left[5:] > 0.9)
    assert r.lift[5:] == pytest.approx(np.full(5, 0.15), abs=0.01)


def test_a_moving_camera_moves_both_boots_alike() -> None:
    scenes = [_scene({})] * 3 + [_scene({}, shift=(6, -12))] * 3
    r = _watch(scenes).result()
    assert r.left[3:] == pytest.approx(np.full(3, 12 / 200), abs=0.01)
    assert r.lift == pytest.approx(np.zeros(6), abs=0.01)


def test_no_level_feet_no_reference_and_no_rise() -> None:
    tracker = FootTracker()
    xy = _landmarks()
    xy[LM.LEFT_ANKLE, 1] -= 30  # the left foot is up from the first frame
    tracker.observe(_Frame(0.0, _scene({})), xy)
    tracker.observe(_Frame(0.1, _scene({})), None)
    r = tracker.result()
    assert np.isnan(r.left).all() and np.isnan(r.lift).all()


def _standing_track(n: int) -> PoseTrack:
    xy = np.repeat(_landmarks()[None], n, axis=0)
    xy[..., 0] += np.random.default_rng(0).normal(0, 0.3, xy.shape[:2])
    ones = np.ones((n, N_LANDMARKS))
    return PoseTrack(
        t_s=np.arange(n) / 10,
        xy=xy,
        visibility=ones,
        presence=ones,
        world=np.zeros((n, N_LANDMARKS, 3)),
        frame_size=(W, H),
        n_people=np.ones(n, dtype=np.int32),
    )


def test_the_segmentation_finds_the_hold_the_landmarks_miss() -> None:
    # 2 s standing, the LEFT boot 30 px up for 3 s, 2 s standing: the landmarks never move
    scenes = [_scene({})] * 20 + [_scene({Side.LEFT: 30})] * 30 + [_scene({})] * 20
    pixels = _watch(scenes).result()
    track = clean_track(_standing_track(len(scenes)))
    assert segment(track).trials == ()
    trials = segment(track, pixels=pixels).trials
    assert [tr.lifted for tr in trials] == [Side.LEFT]
    assert trials[0].start_s == pytest.approx(2.0, abs=0.15)
    assert trials[0].end_s == pytest.approx(5.0, abs=0.15)
    # a match too poor to trust adds nothing
    assert segment(track, pixels=replace(pixels, min_score=1.01)).trials == ()


def test_a_smaller_frame_gives_no_rise_and_no_error() -> None:
    tracker = FootTracker()
    tracker.observe(_Frame(0.0, _scene({})), _landmarks())
    tracker.observe(_Frame(0.1, _scene({})[:200, :100]), _landmarks())  # cropped away
    r = tracker.result()
    assert r.left[0] == 0.0 and np.isnan(r.left[1]) and np.isnan(r.lift[1])
