"""The pose track: the typed hand-off from the pose step to the numeric steps.

Axis 0 is time everywhere in this package. Coordinates are PIXELS of the upright,
unmirrored frame (x right, y down); angles are computed in pixel units because
normalised coordinates distort angles whenever the frame is not square.

Sides are always the person's own (anatomical): landmark 23 is the person's LEFT hip
when the image is not mirrored (it then appears on the IMAGE RIGHT of a person who
faces the camera).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

N_LANDMARKS = 33


class Side(str, Enum):
    """The person's own (anatomical) side."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT

    @property
    def caps(self) -> str:
        """'LEFT' or 'RIGHT', for emphasis in messages."""
        return self.value.upper()


class LM:
    """MediaPipe pose landmark indices (BlazePose 33-point topology)."""

    NOSE = 0
    LEFT_EYE = 2
    RIGHT_EYE = 5
    LEFT_EAR = 7
    RIGHT_EAR = 8
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @staticmethod
    def of(side: Side, part: str) -> int:
        """Index of ``part`` ('hip', 'knee', 'ankle', 'heel', 'foot_index', 'shoulder', ...)."""
        return int(getattr(LM, f"{side.value.upper()}_{part.upper()}"))


def _mirror_permutation() -> np.ndarray:
    """Index permutation that swaps every left landmark with its right partner."""
    perm = np.arange(N_LANDMARKS)
    pairs = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


MIRROR_PERMUTATION = _mirror_permutation()


@dataclass(frozen=True)
class PoseTrack:
    """Landmarks of one person over a clip.

    Attributes:
        t_s: (T,) frame timestamps in seconds, strictly increasing.
        xy: (T, 33, 2) landmark positions in pixels of the upright frame; NaN where unknown.
        visibility: (T, 33) MediaPipe visibility in [0, 1]; 0 where no person.
        presence: (T, 33) MediaPipe presence in [0, 1]; 0 where no person.
        world: (T, 33, 3) world landmarks in metres (hip-centred, MediaPipe axes); NaN if
            unknown.
        frame_size: (width, height) of the upright frame in pixels.
        n_people: (T,) number of people the detector saw in each frame (counted on the
            frames `stance.vision.follow.PersonFollower` looks for a second person; 0 or 1,
            the person followed, on the others).
    """

    t_s: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    frame_size: tuple[int, int]
    n_people: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    def __post_init__(self) -> None:
        T = self.t_s.shape[0]
        if self.t_s.ndim != 1:
            raise ValueError(f"t_s must be (T,), got {self.t_s.shape}")
        expected = {
            "xy": (T, N_LANDMARKS, 2),
            "visibility": (T, N_LANDMARKS),
            "presence": (T, N_LANDMARKS),
            "world": (T, N_LANDMARKS, 3),
        }
        for name, shape in expected.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"{name} must be {shape}, got {got}")
        if self.n_people.shape[0] == 0 and T > 0:
            object.__setattr__(self, "n_people", np.ones(T, dtype=np.int32))
        elif self.n_people.shape != (T,):
            raise ValueError(f"n_people must be ({T},), got {self.n_people.shape}")
        if T > 1 and not np.all(np.diff(self.t_s) > 0):
            raise ValueError("t_s must be strictly increasing")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def fps(self) -> float:
        """Median frame rate in frames per second (0 for fewer than 2 frames)."""
        if len(self) < 2:
            return 0.0
        return float(1.0 / np.median(np.diff(self.t_s)))

    def duration_s(self, frame_rate: float) -> float:
        """Seconds the track covers: first to last timestamp plus one frame of the source
        (``frame_rate`` in frames per second; 0 for an empty track)."""
        if len(self) == 0:
            return 0.0
        return float(self.t_s[-1] - self.t_s[0]) + 1.0 / frame_rate

    def point(self, index: int) -> np.ndarray:
        """(T, 2) pixel positions of one landmark."""
        return np.asarray(self.xy[:, index, :])

    def mid(self, a: int, b: int) -> np.ndarray:
        """(T, 2) midpoint of two landmarks in pixels."""
        return np.asarray(0.5 * (self.xy[:, a, :] + self.xy[:, b, :]))

    def with_xy(self, xy: np.ndarray) -> PoseTrack:
        """A copy with new pixel positions (same shape)."""
        return replace(self, xy=xy)

    def slice(self, i0: int, i1: int) -> PoseTrack:
        """Frames ``i0 <= i < i1``."""
        return replace(
            self,
            t_s=self.t_s[i0:i1],
            xy=self.xy[i0:i1],
            visibility=self.visibility[i0:i1],
            presence=self.presence[i0:i1],
            world=self.world[i0:i1],
            n_people=self.n_people[i0:i1],
        )

    def mirrored(self) -> PoseTrack:
        """The track of the mirror image: x flipped and left/right landmarks swapped.

        Analysing a mirrored (selfie) recording with this correction gives the person's
        true sides back.
        """
        w = self.frame_size[0]
        perm = MIRROR_PERMUTATION
        xy = self.xy[:, perm, :].copy()
        xy[..., 0] = (w - 1) - xy[..., 0]
        world = self.world[:, perm, :].copy()
        world[..., 0] = -world[..., 0]
        return replace(
            self,
            xy=xy,
            visibility=self.visibility[:, perm],
            presence=self.presence[:, perm],
            world=world,
        )
