"""PersonFollower: one-person landmarker on most frames, a two-person look on a schedule, when
the picture changes outside the followed person, on every frame while crowded, and when the
followed pose jumps; the followed person kept when the two-person landmarker loses them (no
MediaPipe: fake landmarkers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stance.core.track import N_LANDMARKS
from stance.vision.follow import FollowParams, PersonFollower, changed_outside, thumbnail
from stance.vision.landmarker import PersonPose, TrackBuilder

IMAGE = np.zeros((8, 8, 3), dtype=np.uint8)


def _person(cx: float, h: float = 600.0) -> PersonPose:
    xy = np.column_stack([np.full(N_LANDMARKS, cx), np.linspace(100, 100 + h, N_LANDMARKS)])
    ones = np.ones(N_LANDMARKS)
    return PersonPose(xy=xy, visibility=ones, presence=ones, world=np.zeros((N_LANDMARKS, 3)))


class FakeLandmarker:
    """Returns the scene's people cut to ``num_poses`` (the two-person one returns
    ``scene["many"]`` where there is one, else ``scene["now"]``); records the frames it ran
    on."""

    def __init__(self, scene: dict[str, list[PersonPose]], num_poses: int) -> None:
        self.scene, self.num_poses = scene, num_poses
        self.key = "now" if num_poses == 1 or "many" not in scene else "many"
        self.times: list[float] = []
        self.closed = False

    def detect(
        self, image_bgr: np.ndarray, t_s: float, *, model_input: Any = None
    ) -> list[PersonPose]:
        self.times.append(t_s)
        return self.scene[self.key][: self.num_poses]

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


def _picture(*, patch_at: float | None = None) -> np.ndarray:
    """A 1000x800 grey frame, with a bright 120-px square centred at x = ``patch_at``."""
    image = np.full((800, 1000, 3), 90, dtype=np.uint8)
    if patch_at is not None:
        x = int(patch_at)
        image[340:460, x - 60 : x + 60] = 230
    return image


def test_a_change_outside_the_followed_person_is_looked_at_within_the_gap() -> None:
    scene = {"now": [_person(500)]}
    follower, made = _follower(scene, check_every_s=2.0, min_gap_s=0.5)
    with follower:
        for i in range(30):
            t = i / 10
            image = _picture(patch_at=900 if t >= 1.2 else None)  # someone walks in at 1.2 s
            follower.detect(image, t)
    # the first frame and the change at 1.2 s; after that look the picture is compared with
    # the one it saw (the patch included), so nothing changes and no more looks run
    assert made[2].times == pytest.approx([0.0, 1.2])


def test_a_picture_that_keeps_changing_is_looked_at_once_per_gap() -> None:
    """A moving camera changes everything: a look every ``min_gap_s``, not every frame."""
    scene = {"now": [_person(500)]}
    follower, made = _follower(scene, check_every_s=2.0, min_gap_s=0.5)
    with follower:
        for i in range(30):
            follower.detect(_picture(patch_at=900 if i % 2 else 150), i / 10)
    assert made[2].times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])


def test_a_change_inside_the_followed_persons_box_is_theirs() -> None:
    scene = {"now": [_person(500)]}  # box x 500 +- margin, y 100-700
    follower, made = _follower(scene, check_every_s=2.0, min_gap_s=0.5)
    with follower:
        for i in range(30):
            t = i / 10
            follower.detect(_picture(patch_at=500 if i % 2 else None), t)  # arms waving
    assert made[2].times == pytest.approx([0.0, 2.0]), "only the heartbeat"


def test_changed_outside_counts_only_outside_the_boxes() -> None:
    before = thumbnail(_picture())
    now = thumbnail(_picture(patch_at=900))
    assert changed_outside(before, before, [], level=24.0) == 0.0
    share = changed_outside(before, now, [], level=24.0)
    assert 0.01 < share < 0.05  # a 120x120 patch of a 1000x800 frame is 1.8% of it
    assert changed_outside(before, now, [(0.8, 0.3, 1.0, 0.7)], level=24.0) == 0.0
    assert changed_outside(before, now[:, :-1], [], level=24.0) == 1.0  # another picture
    # a box wholly outside the picture (a pose walking out) masks nothing
    assert changed_outside(before, now, [(-0.5, -0.5, -0.1, -0.1)], level=24.0) == share


def test_the_followed_person_is_kept_when_the_look_loses_them() -> None:
    """A two-person landmarker that looks now and then may lose a person it tracked and not
    detect them again (a backlit side view): the one-person pose is added to its people."""
    subject, other = _person(300), _person(800)
    scene = {"now": [subject], "many": [subject]}
    follower, _ = _follower(scene, check_every_s=1.0, calm_s=1.0)
    builder = TrackBuilder(1000, 800)
    with follower:
        for i in range(20):
            t = i / 10
            if t >= 0.5:
                scene["many"] = [other]  # the look sees only the newcomer
            chosen = builder.add(t, follower.detect(IMAGE, t))
            assert chosen is not None and chosen.centre[0] == pytest.approx(300)
    n = builder.build().n_people
    assert n[10] == 2 and np.all(n[10:] == 2), "both counted from the look at 1.0 s on"


def test_a_clip_that_starts_crowded_keeps_whom_the_one_person_landmarker_follows() -> None:
    """Two people from the first frame: the followed one is taken from the one-person
    landmarker's pose, so a later look that loses them does not swap them for the other."""
    subject, other = _person(300), _person(800)
    scene = {"now": [subject], "many": [subject, other]}
    follower, _ = _follower(scene, calm_s=1.0)
    builder = TrackBuilder(1000, 800)
    with follower:
        for i in range(20):
            t = i / 10
            if t >= 0.5:
                scene["many"] = [other]  # the looks see only the other one from now on
            people = follower.detect(IMAGE, t)
            chosen = builder.add(t, people)
            assert chosen is not None and chosen.centre[0] == pytest.approx(300), t
            assert len(people) == 2, t


def test_a_jump_runs_the_one_person_landmarker_once() -> None:
    scene = {"now": [_person(500)]}
    follower, made = _follower(scene)
    with follower:
        follower.detect(IMAGE, 0.0)
        follower.detect(IMAGE, 0.1)
        scene["now"] = [_person(100)]
        follower.detect(IMAGE, 0.2)  # jumps: a look, with the pose already made
    assert made[1].times == pytest.approx([0.1, 0.2])


def test_one_person_returned_twice_by_a_look_is_counted_once() -> None:
    twin = _person(505, h=590)
    scene = {"now": [_person(500)], "many": [_person(500), twin]}
    follower, made = _follower(scene)
    with follower:
        assert len(follower.detect(IMAGE, 0.0)) == 1
        follower.detect(IMAGE, 0.1)
    assert made[2].times == [0.0], "not crowded"


def test_a_failing_first_landmarker_closes_the_second() -> None:
    """The two landmarkers are made at once in two threads: whichever fails, the other is
    closed and the error raised in the caller."""
    made: list[FakeLandmarker] = []

    def make(_path: Path, num_poses: int) -> FakeLandmarker:
        if num_poses == 1:
            raise RuntimeError("no model")
        made.append(FakeLandmarker({"now": []}, num_poses))
        return made[-1]

    with pytest.raises(RuntimeError, match="no model"):
        PersonFollower(Path("m.task"), make=make)
    assert made and made[0].closed
