"""Following one subject at the cost of a one-person pose model.

A PoseLandmarker asked for two people runs its person detector on every frame that does not
already track two (about 12 ms more a frame than the 17 ms of a one-person landmarker on a
2-core CPU, which tracks its person from frame to frame without the detector).
`PersonFollower` therefore follows the subject with a one-person landmarker and looks for a
second person with a two-person one (a "look") only:

* on the first frame;
* when the picture has changed outside the followed person since the last look (someone
  walking in, a cut, a moving camera: `changed_outside`), at most once every ``min_gap_s``
  seconds, and in any case once every ``check_every_s`` seconds;
* on every frame while a second person has been seen in the last ``calm_s`` seconds
  ("crowded": the people are then chosen between on every frame, as `SubjectTracker` does);
* on a frame where the one-person landmarker's pose jumps away from every person of the
  frame before by more than ``max_jump`` body heights (it may have switched to someone
  else, or the picture was cut).

On a frame it looks, the two-person landmarker's people are the frame's people. A two-person
landmarker that looks only now and then may have lost a person it tracked at its last look
and not find them again (its detector missed the backlit side view of
negative_side_view_two_people's subject on every frame: only tracking kept them), so when
none of its people is where the followed person was, the one-person landmarker's pose is
added to them. When the first look already finds two people, the followed one is whom the
one-person landmarker follows.

So the count of people (`PoseTrack.n_people`) is exact on the frames it looks and on crowded
ones; between looks, with one person in view and nothing else moving, it is that one person
(0 or 1). A second person who walks in is seen within ``min_gap_s`` once they change more
than ``change_share`` of the picture outside the followed person (someone small and far away,
or who stays inside the followed person's margin, waits for the ``check_every_s`` look); one
who was in view from the start is seen at the first look.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.vision.landmarker import PeopleDetector, PersonPose, PoseEstimator

THUMB_SIDE = 160
"""Long side (pixels) of the grey thumbnail `changed_outside` compares."""


@dataclass(frozen=True)
class FollowParams:
    """When `PersonFollower` looks for a second person (see the module docstring).

    Attributes:
        check_every_s: seconds of video between two looks while nothing changes outside the
            followed person.
        min_gap_s: seconds between two looks while something does. At 1 s a second person
            walking in (negative_side_view_two_people, ../shared/footage) was first seen next
            to the subject, too late to be told apart as they crossed; at 0.5 s the subject
            is followed as by a two-person landmarker on every frame.
        calm_s: seconds without a second person after which one-person following resumes.
        max_jump: a one-person pose further than this many body heights from every person of
            the frame before is checked with a look (`SubjectTracker`'s plausible jump); a
            person of a look this close to the followed one is taken to be them.
        change_level: grey levels (0-255) by which a thumbnail pixel must differ from the last
            look's to count as changed (well above video noise on a blurred thumbnail).
        change_share: share of the thumbnail outside the followed person (their box widened by
            ``margin`` of their height) that must have changed to call for a look: 0.01 is a
            patch about a tenth of the picture's height across, a head and shoulders at the
            frame's edge.
        margin: how far around the followed person's box (in their heights) changes are theirs.
    """

    check_every_s: float = 2.0
    min_gap_s: float = 0.5
    calm_s: float = 1.0
    max_jump: float = 0.6
    change_level: float = 24.0
    change_share: float = 0.01
    margin: float = 0.25


EstimatorFactory = Callable[[Path, int], PeopleDetector]
"""Makes a landmarker from (model path, number of people)."""


def _pose_estimator(model_path: Path, num_poses: int) -> PeopleDetector:
    return PoseEstimator(model_path, num_poses=num_poses)


def _make_both(make: EstimatorFactory, model_path: Path) -> tuple[PeopleDetector, PeopleDetector]:
    """The one- and two-person landmarkers, made at once in two threads (MediaPipe builds a
    graph in native code, without the GIL: about 75 ms for both on 2 cores, against 150 ms one
    after the other). If either cannot be made, the other is closed and the error raised."""
    made: list[PeopleDetector] = []
    failed: list[BaseException] = []

    def make_one() -> None:
        try:
            made.append(make(model_path, 1))
        except BaseException as err:  # raised again below, in the calling thread
            failed.append(err)

    helper = threading.Thread(target=make_one, name="stance-model-load", daemon=True)
    helper.start()
    many: list[PeopleDetector] = []
    try:
        many.append(make(model_path, 2))
        helper.join()
        if failed:
            raise failed[0]
    except BaseException:  # also Ctrl-C while waiting: close what was made, then raise
        helper.join()
        for detector in [*made, *many]:
            detector.close()
        raise
    return made[0], many[0]


def thumbnail(image_bgr: np.ndarray) -> np.ndarray:
    """A small blurred grey copy of a BGR frame (at most `THUMB_SIDE` pixels on its long side,
    float32 grey levels), cheap enough for every frame (about 0.1 ms for 1080p). The
    reduction interpolates (an area average costs 3-4 ms a 1080p frame): each thumbnail pixel
    comes from the same few frame pixels in every frame, so a still picture stays still but
    for noise, which the blur and `FollowParams.change_level` absorb."""
    import cv2

    h, w = image_bgr.shape[:2]
    scale = min(1.0, THUMB_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return cv2.GaussianBlur(grey, (3, 3), 0)


def changed_outside(
    before: np.ndarray,
    now: np.ndarray,
    boxes: list[tuple[float, float, float, float]],
    *,
    level: float,
) -> float:
    """Share of the thumbnail pixels outside ``boxes`` (x0, y0, x1, y1, as fractions of the
    width and height) whose grey level differs by more than ``level`` between two thumbnails
    of the same size (H, W); 1.0 when they differ in size (a different picture), 0.0 when the
    boxes cover everything."""
    if before.shape != now.shape:
        return 1.0
    h, w = now.shape
    outside = np.ones((h, w), dtype=bool)
    for x0, y0, x1, y1 in boxes:  # clipped to the picture (landmarks may lie outside it)
        c0, c1 = (min(w, max(0, v)) for v in (math.floor(x0 * w), math.ceil(x1 * w)))
        r0, r1 = (min(h, max(0, v)) for v in (math.floor(y0 * h), math.ceil(y1 * h)))
        outside[r0:r1, c0:c1] = False
    n = int(outside.sum())
    if n == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(now - before)[outside] > level)) / n


def _distinct(people: list[PersonPose], *, apart: float = 0.2) -> list[PersonPose]:
    """``people`` without the second of two poses of one person (the two-person landmarker
    sometimes returns one person twice): boxes whose centres are less than ``apart`` of the
    taller one's height apart and whose heights differ by less than a quarter."""
    kept: list[PersonPose] = []
    for p in people:
        twin = any(
            np.linalg.norm(p.centre - k.centre) < apart * max(p.height_px, k.height_px)
            and 0.8 < p.height_px / k.height_px < 1.25
            for k in kept
        )
        if not twin:
            kept.append(p)
    return kept


class PersonFollower:
    """A one-person landmarker on most frames, a two-person one when a second person may be
    in view (see the module docstring). Use as a context manager; one per clip or session.

    Raises:
        ModelError: MediaPipe cannot use ``model_path`` (from `PoseEstimator`).
    """

    def __init__(
        self,
        model_path: Path,
        params: FollowParams = FollowParams(),
        *,
        make: EstimatorFactory = _pose_estimator,
    ) -> None:
        self.params = params
        self._one, self._many = _make_both(make, model_path)
        self._last_look = -math.inf
        self._crowded_until = -math.inf
        self._last: list[PersonPose] = []
        self._followed: PersonPose | None = None
        self._look_thumb: np.ndarray | None = None
        self._look_boxes: list[tuple[float, float, float, float]] = []
        self.looks = 0  # frames the two-person landmarker ran on

    def detect(
        self, image_bgr: np.ndarray, t_s: float, *, model_input: Any = None
    ) -> list[PersonPose]:
        """The people in one BGR frame at ``t_s`` seconds (``model_input``: `PoseEstimator.
        detect`'s): all of them on a frame it looks, else the one followed (or nobody)."""
        thumb = thumbnail(image_bgr)
        if self._must_look(t_s, thumb, image_bgr.shape):
            people = self._look(image_bgr, t_s, model_input, thumb)
        else:
            people = self._one.detect(image_bgr, t_s, model_input=model_input)
            if people and self._jumped(people[0]):
                people = self._look(image_bgr, t_s, model_input, thumb, own=people[0])
            else:
                self._followed = people[0] if people else self._followed
        self._last = people
        return people

    def _must_look(self, t_s: float, thumb: np.ndarray, shape: tuple[int, ...]) -> bool:
        p = self.params
        since = t_s - self._last_look
        if since >= p.check_every_s or t_s < self._crowded_until:
            return True
        if since < p.min_gap_s or self._look_thumb is None:
            return False
        h, w = shape[:2]
        boxes = [*self._look_boxes, *self._boxes([self._followed], w, h)]
        changed = changed_outside(self._look_thumb, thumb, boxes, level=p.change_level)
        return changed > p.change_share

    def _look(
        self,
        image_bgr: np.ndarray,
        t_s: float,
        model_input: Any,
        thumb: np.ndarray,
        *,
        own: PersonPose | None = None,
    ) -> list[PersonPose]:
        """The two-person landmarker's people (``own``: the one-person pose of this frame,
        when it ran already)."""
        people = _distinct(self._many.detect(image_bgr, t_s, model_input=model_input))
        self.looks += 1

        def own_pose() -> PersonPose | None:
            poses = self._one.detect(image_bgr, t_s, model_input=model_input)
            return poses[0] if poses else None

        followed = self._followed
        if followed is None and len(people) > 1:  # crowded from the start: the one it follows
            followed = own = own or own_pose()
        if followed is not None and self._nearest(people, followed) is None:
            own = own or own_pose()
            if own is not None and self._near(own, followed):
                people = _distinct([own, *people])
        self._followed = self._nearest(people, followed) if followed is not None else None
        if self._followed is None and len(people) == 1:
            self._followed = people[0]
        self._last_look = t_s
        self._look_thumb = thumb
        h, w = image_bgr.shape[:2]
        self._look_boxes = self._boxes(list(people), w, h)
        if len(people) > 1:
            self._crowded_until = t_s + self.params.calm_s
        return people

    def _boxes(
        self, people: list[PersonPose | None], w: int, h: int
    ) -> list[tuple[float, float, float, float]]:
        """The people's boxes widened by ``margin`` of their height, as fractions of the frame."""
        out: list[tuple[float, float, float, float]] = []
        for p in people:
            if p is None:
                continue
            x0, y0, x1, y1 = p.bbox
            m = self.params.margin * p.height_px
            out.append(((x0 - m) / w, (y0 - m) / h, (x1 + m) / w, (y1 + m) / h))
        return out

    def _near(self, pose: PersonPose, ref: PersonPose) -> bool:
        return bool(
            np.linalg.norm(pose.centre - ref.centre) / ref.height_px <= self.params.max_jump
        )

    def _nearest(self, people: list[PersonPose], ref: PersonPose) -> PersonPose | None:
        near = [p for p in people if self._near(p, ref)]
        return min(near, key=lambda p: float(np.linalg.norm(p.centre - ref.centre)), default=None)

    def _jumped(self, pose: PersonPose) -> bool:
        """Is ``pose`` near none of the people of the frame before (if there were any)?"""
        return bool(self._last) and not any(self._near(pose, p) for p in self._last)

    def close(self) -> None:
        try:
            self._one.close()
        finally:
            self._many.close()

    def __enter__(self) -> PersonFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
