"""Following one subject at the cost of a one-person pose model.

A PoseLandmarker asked for two people runs its person detector on every frame that does not
already track two (about 40 ms a frame on a 2-core CPU, against 25 ms for one person, which
it tracks from frame to frame without the detector). `PersonFollower` therefore follows the
subject with a one-person landmarker and looks for a second person with a two-person one
only:

* on the first frame, then once every ``check_every_s`` seconds of video;
* on every frame while a second person has been seen in the last ``calm_s`` seconds
  ("crowded": the people are then chosen between on every frame, as `SubjectTracker` does);
* on a frame where the one-person landmarker's pose jumps away from every person of the
  frame before by more than ``max_jump`` body heights (it may have switched to someone
  else, or the picture was cut).

On a frame it looks, the two-person landmarker's people are the frame's people (the one-person
landmarker skips that frame). So the count of people (`PoseTrack.n_people`) is exact on those
frames and on crowded ones; between looks, with one person in view, it is that one person
(0 or 1): a second person who stays in view for less than ``check_every_s`` may be missed,
one who stays longer is seen at the next look and counted on every frame from then on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.vision.landmarker import PeopleDetector, PersonPose, PoseEstimator


@dataclass(frozen=True)
class FollowParams:
    """When `PersonFollower` looks for a second person (see the module docstring).

    Attributes:
        check_every_s: seconds of video between two looks while one person is in view. At
            1 s, the subject of negative_side_view_two_people (../shared/footage) was lost to
            the second person as they crossed (seen at a look too late to be tracked
            through it); at 0.5 s it is followed as by a two-person landmarker on every frame.
        calm_s: seconds without a second person after which one-person following resumes.
        max_jump: a one-person pose further than this many body heights from every person of
            the frame before is checked with a look (`SubjectTracker`'s plausible jump).
    """

    check_every_s: float = 0.5
    calm_s: float = 1.0
    max_jump: float = 0.6


EstimatorFactory = Callable[[Path, int], PeopleDetector]
"""Makes a landmarker from (model path, number of people)."""


def _pose_estimator(model_path: Path, num_poses: int) -> PeopleDetector:
    return PoseEstimator(model_path, num_poses=num_poses)


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
        self._one = make(model_path, 1)
        try:
            self._many = make(model_path, 2)
        except BaseException:
            self._one.close()
            raise
        self._next_look = -math.inf
        self._crowded_until = -math.inf
        self._last: list[PersonPose] = []
        self.looks = 0  # frames the two-person landmarker ran on

    def detect(
        self, image_bgr: np.ndarray, t_s: float, *, model_input: Any = None
    ) -> list[PersonPose]:
        """The people in one BGR frame at ``t_s`` seconds (``model_input``: `PoseEstimator.
        detect`'s): all of them on a frame it looks, else the one followed (or nobody)."""
        if t_s >= self._next_look or t_s < self._crowded_until:
            people = self._look(image_bgr, t_s, model_input)
        else:
            people = self._one.detect(image_bgr, t_s, model_input=model_input)
            if people and self._jumped(people[0]):
                people = self._look(image_bgr, t_s, model_input)
        self._last = people
        return people

    def _look(self, image_bgr: np.ndarray, t_s: float, model_input: Any) -> list[PersonPose]:
        people = self._many.detect(image_bgr, t_s, model_input=model_input)
        self.looks += 1
        self._next_look = t_s + self.params.check_every_s
        if len(people) > 1:
            self._crowded_until = t_s + self.params.calm_s
        return people

    def _jumped(self, pose: PersonPose) -> bool:
        if not self._last:
            return False
        jumps = [np.linalg.norm(pose.centre - p.centre) / p.height_px for p in self._last]
        return bool(min(jumps) > self.params.max_jump)

    def close(self) -> None:
        try:
            self._one.close()
        finally:
            self._many.close()

    def __enter__(self) -> PersonFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
