"""PersonFollower: one-person landmarker on most frames, a two-person look on a schedule, on
every frame while crowded, and when the followed pose jumps (no MediaPipe: fake landmarkers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stance.core.track import N_LANDMARKS
from stance.vision.follow import FollowParams, PersonFollower
from stance.vision.landmarker import PersonPose, TrackBuilder

IMAGE = np.zeros((8, 8, 3), dtype=np.uint8)


def _person(cx: float, h: float = 600.0) -> PersonPose:
    xy = np.column_stack([np.full(N_LANDMARKS, cx), np.linspace(100, 100 + h, N_LANDMARKS)])
    ones = np.ones(N_LANDMARKS)
    return PersonPose(xy=xy, visibility=ones, presence=ones, world=np.zeros((N_LANDMARKS, 3)))


class FakeLandmarker:
    """Returns ``scene(t_s)`` cut to ``num_poses`` people; records the frames it ran on."""

    def __init__(self, scene: dict[str, list[PersonPose]], num_poses: int) -> None:
        self.scene, self.num_poses = scene, num_poses
        self.times: list[float] = []
        self.closed = False

    def detect(
        self, image_bgr: np.ndarray, t_s: float, *, model_input: Any = None
    ) -> list[PersonPose]:
        self.times.append(t_s)
        return self.scene["now"][: self.num_poses]

    def close(self) -> None:
        self.closed = True


def _follower(scene: dict[str, list[PersonPose]], **kw: float):
    made: dict[int, FakeLandmarker] = {}

    def make(_path: Path, num_poses: int) -> FakeLandmarker:
        made[num_poses] = FakeLandmarker(scene, num_poses)
        return made[num_poses]

    return PersonFollower(Path("m.task"), FollowParams(**kw), make=make), made


def test_one_person_looks_once_a_second() -> None:
    scene = {"now": [_person(500)]}
    follower, made = _follower(scene, check_every_s=1.0)
    with follower:
        for i in range(30):  # 3 s at 10 fps
            assert len(follower.detect(IMAGE, i / 10)) == 1
    assert made[2].times == pytest.approx([0.0, 1.0, 2.0])
    assert len(made[1].times) == 27  # the one-person landmarker skips the looked-at frames
    assert made[1].closed and made[2].closed


def test_a_second_person_is_seen_at_the_next_look_and_counted_while_there() -> None:
    subject, other = _person(500), _person(900)
    scene = {"now": [subject]}
    follower, made = _follower(scene, check_every_s=1.0)
    builder = TrackBuilder(1000, 800)
    with follower:
        for i in range(60):
            t = i / 10
            scene["now"] = [subject, other] if 1.5 <= t < 3.5 else [subject]
            chosen = builder.add(t, follower.detect(IMAGE, t))
            assert chosen is not None and chosen.centre[0] == pytest.approx(500)
    n = builder.build().n_people
    t = np.arange(60) / 10
    assert np.all(n[(t >= 2.0) & (t < 3.5)] == 2), "counted on every frame once seen"
    assert np.all(n[(t < 1.5) | (t >= 3.5)] <= 1)
    # crowded frames all ran the two-person landmarker; one second after the second person
    # left, the one-person landmarker follows again
    assert set(np.round(np.arange(20, 44) / 10, 3)) <= set(np.round(made[2].times, 3))
    assert max(made[1].times) == pytest.approx(5.9)


def test_a_jump_of_the_followed_pose_is_looked_at() -> None:
    scene = {"now": [_person(500)]}
    follower, made = _follower(scene)
    with follower:
        for i in range(5):
            follower.detect(IMAGE, i / 10)
        scene["now"] = [_person(100)]  # 0.67 body heights away: a switch or a cut
        follower.detect(IMAGE, 0.5)
        follower.detect(IMAGE, 0.6)
    assert made[2].times == pytest.approx([0.0, 0.5])


def test_a_failing_second_landmarker_closes_the_first() -> None:
    made: list[FakeLandmarker] = []

    def make(_path: Path, num_poses: int) -> FakeLandmarker:
        if num_poses == 2:
            raise RuntimeError("no model")
        made.append(FakeLandmarker({"now": []}, num_poses))
        return made[-1]

    with pytest.raises(RuntimeError):
        PersonFollower(Path("m.task"), make=make)
    assert made[0].closed
