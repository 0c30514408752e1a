"""Pose step: MediaPipe PoseLandmarker (VIDEO mode) over a frame stream -> a `PoseTrack`.

The mediapipe adapter lives here, at the edge: `from_mediapipe` turns one result into
plain arrays and nothing downstream imports mediapipe. One estimator serves a whole clip.
When several people are in view, `SubjectTracker` follows one subject consistently: the
one who is central and largest when first seen (`stance.vision.follow.PersonFollower` decides
on which frames to look for several people at all).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from stance.core.errors import ModelError
from stance.core.track import N_LANDMARKS, PoseTrack

if TYPE_CHECKING:
    from stance.io.source import Frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersonPose:
    """One detected person in one frame.

    Attributes:
        xy: (33, 2) landmark positions in pixels.
        visibility: (33,) in [0, 1].
        presence: (33,) in [0, 1].
        world: (33, 3) metres, hip-centred.
    """

    xy: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in pixels over the confidently visible landmarks."""
        ok = self.visibility > 0.3
        pts = self.xy[ok] if ok.sum() >= 4 else self.xy
        return (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )

    @property
    def centre(self) -> np.ndarray:
        """(2,) centre of the bounding box in pixels."""
        x0, y0, x1, y1 = self.bbox
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])

    @property
    def height_px(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return max(y1 - y0, x1 - x0, 1.0)


def from_mediapipe(result: Any, width: int, height: int) -> list[PersonPose]:
    """Convert a mediapipe ``PoseLandmarkerResult`` into `PersonPose` objects (pixels)."""
    people = []
    worlds = result.pose_world_landmarks or [None] * len(result.pose_landmarks)
    for lms, wlms in zip(result.pose_landmarks, worlds, strict=False):
        arr = np.array(
            [(p.x, p.y, p.visibility or 0.0, p.presence or 0.0) for p in lms], dtype=np.float64
        )
        xy = arr[:, :2] * np.array([width, height], dtype=np.float64)
        world = (
            np.array([(p.x, p.y, p.z) for p in wlms], dtype=np.float64)
            if wlms is not None
            else np.full((N_LANDMARKS, 3), np.nan)
        )
        people.append(PersonPose(xy=xy, visibility=arr[:, 2], presence=arr[:, 3], world=world))
    return people


class SubjectTracker:
    """Chooses which detected person is the subject, consistently over a clip.

    At first sight the subject is the person with the best ``size x centrality`` score;
    afterwards the person nearest (in units of body height) to the subject's last
    position, as long as the jump is plausible.
    """

    def __init__(self, width: int, height: int, *, max_jump: float = 0.6) -> None:
        self._size = np.array([width, height], dtype=np.float64)
        self._last: PersonPose | None = None
        self._max_jump = max_jump

    def choose(self, people: list[PersonPose]) -> PersonPose | None:
        if not people:
            return None
        if self._last is None or len(people) == 1:
            pick = people[0] if len(people) == 1 else max(people, key=self._first_sight_score)
        else:
            last = self._last
            pick = min(people, key=lambda p: np.linalg.norm(p.centre - last.centre))
            jump = np.linalg.norm(pick.centre - last.centre) / last.height_px
            if jump > self._max_jump:
                pick = max(people, key=self._first_sight_score)
        self._last = pick
        return pick

    def _first_sight_score(self, p: PersonPose) -> float:
        off = np.abs(p.centre / self._size - 0.5) * 2  # 0 at the centre, 1 at the border
        centrality = 1.0 - float(np.clip(off.max(), 0.0, 1.0))
        return p.height_px / float(self._size[1]) * (0.25 + centrality)


class FrameObserver(Protocol):
    """Something that looks at every analysed frame during the pose pass (e.g. an
    image-based pelvis estimator). ``xy`` is the subject's (33, 2) landmarks or None."""

    def observe(self, frame: Frame, xy: np.ndarray | None) -> None: ...


class PeopleDetector(Protocol):
    """Finds the people in one frame (`PoseEstimator`; `stance.vision.follow.PersonFollower`,
    which the analysis and live mode use)."""

    def detect(
        self, image_bgr: np.ndarray, t_s: float, *, model_input: Any = None
    ) -> list[PersonPose]: ...

    def close(self) -> None: ...


def one_line(err: BaseException, *, limit: int | None = None) -> str:
    """An exception's message on one line (MediaPipe's may span several), at most
    ``limit`` characters."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def model_input_of(image_bgr: np.ndarray) -> Any:
    """A BGR frame (H, W, 3) as MediaPipe takes it: an RGB copy in a ``mediapipe.Image``
    (3-4 ms for 1080p, made beside the decoding by `stance.pipeline.run_pose`)."""
    import cv2

    from stance.vision.mediapipe_import import import_mediapipe

    mp = import_mediapipe()
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


class PoseEstimator:
    """A MediaPipe PoseLandmarker in VIDEO mode. Use as a context manager; one per clip.

    Raises:
        ModelError: MediaPipe cannot create a PoseLandmarker from ``model_path`` (the
            message names the file).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        num_poses: int = 2,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        threads: int | None = None,
    ) -> None:
        from stance.vision.native import quiet_native, quiet_stderr

        quiet_native()  # no usage upload; no native log lines where the command line asks
        with quiet_stderr():
            from stance.vision.mediapipe_import import import_mediapipe

            mp = import_mediapipe()
            from mediapipe.tasks.python import vision
            from mediapipe.tasks.python.core.base_options import BaseOptions

            options = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(model_path)),
                running_mode=vision.RunningMode.VIDEO,
                num_poses=num_poses,
                min_pose_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            try:
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
            except (ValueError, RuntimeError, OSError) as err:
                reason = one_line(err, limit=200)
                raise ModelError(
                    f"MediaPipe cannot load the pose model {model_path} ({reason}): fetch a "
                    "fresh copy with `stance models fetch --force`, or pass --model a "
                    "PoseLandmarker .task file."
                ) from err
        self._mp = mp
        self._last_ms = -1
        self._model_path = model_path
        self._failed = False

    def detect(
        self, image_bgr: np.ndarray, t_s: float, *, model_input: Any = None
    ) -> list[PersonPose]:
        """All people in one BGR frame (H, W, 3) at time ``t_s`` seconds; ``model_input``:
        `model_input_of` the frame when it was made already (`stance.io.source.Frame`)."""
        t_ms = max(round(t_s * 1000.0), self._last_ms + 1)
        self._last_ms = t_ms
        image = model_input_of(image_bgr) if model_input is None else model_input
        try:
            result = self._landmarker.detect_for_video(image, t_ms)
        except (ValueError, RuntimeError) as err:
            self._failed = True
            raise ModelError(
                f"MediaPipe failed running the pose model {self._model_path} "
                f"({one_line(err, limit=200)}): is it a PoseLandmarker bundle? Fetch one with "
                "`stance models fetch`, or pass --model a PoseLandmarker .task file."
            ) from err
        h, w = image_bgr.shape[:2]
        return from_mediapipe(result, w, h)

    def close(self) -> None:
        """Stop the landmarker. After a failed frame MediaPipe reports the failure again on
        close and keeps its handle, so its own finaliser would try once more at interpreter
        exit (and fail noisily); the handle is dropped here instead."""
        landmarker = getattr(self, "_landmarker", None)
        if landmarker is None:
            return
        self._landmarker = None
        try:
            landmarker.close()
        except (ValueError, RuntimeError) as err:
            landmarker._handle = None
            if not self._failed:
                raise ModelError(
                    f"MediaPipe failed closing the pose model {self._model_path} "
                    f"({one_line(err, limit=200)})."
                ) from err

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TrackBuilder:
    """Accumulates per-frame subject landmarks into a `PoseTrack` (only arrays are kept)."""

    def __init__(self, width: int, height: int) -> None:
        self.frame_size = (width, height)
        self._tracker = SubjectTracker(width, height)
        self._t: list[float] = []
        self._xy: list[np.ndarray] = []
        self._vis: list[np.ndarray] = []
        self._pres: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._n: list[int] = []

    def add(self, t_s: float, people: list[PersonPose]) -> PersonPose | None:
        """Record one frame; returns the chosen subject (or None)."""
        subject = self._tracker.choose(people)
        self._t.append(t_s)
        self._n.append(len(people))
        if subject is None:
            self._xy.append(np.full((N_LANDMARKS, 2), np.nan))
            self._vis.append(np.zeros(N_LANDMARKS))
            self._pres.append(np.zeros(N_LANDMARKS))
            self._world.append(np.full((N_LANDMARKS, 3), np.nan))
        else:
            self._xy.append(subject.xy)
            self._vis.append(subject.visibility)
            self._pres.append(subject.presence)
            self._world.append(subject.world)
        return subject

    def __len__(self) -> int:
        return len(self._t)

    def build(self) -> PoseTrack:
        """The whole track so far."""
        return self.tail(len(self._t))

    def tail(self, n: int) -> PoseTrack:
        """The last ``n`` frames (cheap for small ``n``: used per frame in live mode)."""
        i0 = max(0, len(self._t) - n)
        T = len(self._t) - i0
        return PoseTrack(
            t_s=np.asarray(self._t[i0:], dtype=np.float64),
            xy=np.asarray(self._xy[i0:], dtype=np.float64).reshape(T, N_LANDMARKS, 2),
            visibility=np.asarray(self._vis[i0:], dtype=np.float64).reshape(T, N_LANDMARKS),
            presence=np.asarray(self._pres[i0:], dtype=np.float64).reshape(T, N_LANDMARKS),
            world=np.asarray(self._world[i0:], dtype=np.float64).reshape(T, N_LANDMARKS, 3),
            frame_size=self.frame_size,
            n_people=np.asarray(self._n[i0:], dtype=np.int32),
        )


def track_frames(
    frames: Iterable[Frame],
    estimator: PeopleDetector,
    *,
    frame_size: tuple[int, int],
    observers: Iterable[FrameObserver] = (),
    on_frame: Callable[[Frame], None] | None = None,
) -> PoseTrack:
    """Run the estimator over a frame stream and follow one subject.

    Args:
        frames: upright, unmirrored frames with increasing timestamps.
        estimator: one detector for the whole clip (a `stance.vision.follow.PersonFollower`).
        frame_size: (width, height) in pixels.
        observers: called with every frame and the subject's landmarks, in order, in a
            thread of their own at a lower priority than the model's (`stance.io.prefetch.
            Behind`), done when this returns.
        on_frame: progress callback.
    """
    from stance.io.prefetch import Behind

    builder = TrackBuilder(*frame_size)
    observers = list(observers)

    def observe(frame: Frame, xy: np.ndarray | None) -> None:
        for obs in observers:
            obs.observe(frame, xy)

    # The observers (image estimators) look at a frame while the model looks at the next.
    with Behind(depth=2, low_priority=True) as later:
        for frame in frames:
            subject = builder.add(
                frame.t_s, estimator.detect(frame.image, frame.t_s, model_input=frame.model_input)
            )
            if observers:
                later.submit(observe, frame, None if subject is None else subject.xy)
            if on_frame is not None:
                on_frame(frame)
    return builder.build()
