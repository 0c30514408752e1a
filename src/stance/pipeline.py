"""The whole analysis of one clip: source -> pose -> clean -> segment -> measure -> judge.

`analyze` is the one per-clip function that the CLI, the batch runner and the benchmarks
call. It streams frames (memory flat in clip length) and keeps only landmark arrays.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from stance.analysis import quality_wording
from stance.analysis.clean import CleanParams, clean_track
from stance.analysis.foot_rise import FootRise
from stance.analysis.fuse import range_model_at
from stance.analysis.judge import Thresholds, Verdict, judge
from stance.analysis.lighting import UNKNOWN_LIGHTING, Lighting, LightMeter
from stance.analysis.measure import Measurements, measure
from stance.analysis.pelvis import (
    IMAGE_EVIDENCE,
    Estimator,
    FusedTilt,
    HipLineEstimator,
    PelvisEstimator,
    PrecomputedTilt,
)
from stance.analysis.quality import (
    QualityParams,
    QualityReport,
    assess_quality,
    nobody_cause,
    person_height,
    too_short_message,
)
from stance.analysis.segment import Segmentation, SegmentParams, segment
from stance.core.errors import BadInputError, NoValidTestError
from stance.core.track import PoseTrack
from stance.io.prefetch import Prefetch, decode_threads, prompt_handoff
from stance.io.source import Frame, VideoInfo, as_decoded, iter_frames, probe_video
from stance.vision.foot_track import FootParams  # these modules load OpenCV lazily
from stance.vision.pelvis_edge import EdgeParams
from stance.vision.pelvis_texture import TextureParams

if TYPE_CHECKING:
    import numpy as np

    from stance.vision.landmarker import FrameObserver
    from stance.vision.pelvis_edge import PelvisEdgeTracker
    from stance.vision.pelvis_texture import PelvisImageTracker

log = logging.getLogger(__name__)

ESTIMATORS = tuple(Estimator)
"""Pelvic-drop estimators, the default first (`stance.analysis.pelvis.Estimator`)."""

DEFAULT_MAX_FPS = 10.0
"""Default analysis rate (frames per second), chosen by measurement: the lowest rate at which
every trial's drop and lean stayed within 0.3 degrees of the full-rate result on real footage
(24-30 fps clips; see the README's Performance section)."""

PREFETCH_BYTES = 96 * 2**20
"""Decoded frames (BGR, and RGB for the model) waiting for the pose model take at most about
this much memory (2 to 16 frames: 7 of 1080p), whatever the clip's length (`stance.io.prefetch`)."""

ProgressFn = Callable[[int, int], None]
"""Called with (frames done, frames expected) during the pose pass."""


@dataclass(frozen=True)
class Settings:
    """Everything that changes the result of an analysis: written whole to the JSON's
    ``settings`` (`stance.report.document`) and hashed whole into the batch resume key
    (`stance.batch.keys.settings_hash`), so a new field is recorded and keyed by itself.

    Attributes:
        model: pose model, a manifest name or a .task path; None = the default model.
        mirrored: the video is mirrored (a selfie recording).
        max_fps: analyse at most this many frames per second; None = every frame.
        estimator: the pelvic-drop estimator (one of `ESTIMATORS`).
        age: the person's age in years, for the hold-time norms; None = unknown.
        thresholds: the judge's decision thresholds; ``thresholds.min_hold_s`` is also the
            quality gate's shortest judgeable hold (the one value of it).
        clean: the cleaning step (`stance.analysis.clean.clean_track`).
        segment: finding the trials (`stance.analysis.segment.segment`).
        quality: the quality gate (`stance.analysis.quality.assess_quality`).
        texture: the waist-band texture estimator (`stance.vision.pelvis_texture`).
        edge: the waist-band edge estimator (`stance.vision.pelvis_edge`).
        feet: the feet's own pixels (`stance.vision.foot_track`), for finding the trials.
    """

    model: str | None = None
    mirrored: bool = False
    max_fps: float | None = DEFAULT_MAX_FPS  # analyse at most this many frames/s; None = all
    estimator: Estimator = Estimator.FUSED  # a plain name is converted (ValueError if unknown)
    age: int | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    clean: CleanParams = field(default_factory=CleanParams)
    segment: SegmentParams = field(default_factory=SegmentParams)
    quality: QualityParams = field(default_factory=QualityParams)
    texture: TextureParams = field(default_factory=TextureParams)
    edge: EdgeParams = field(default_factory=EdgeParams)
    feet: FootParams = field(default_factory=FootParams)

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimator", Estimator(self.estimator))


@dataclass(frozen=True)
class Analysis:
    """The result of analysing one clip, with every intermediate product."""

    path: Path
    video: VideoInfo
    settings: Settings
    model_path: Path
    raw: PoseTrack  # as the pose model gave it
    track: PoseTrack  # cleaned
    segmentation: Segmentation
    quality: QualityReport
    measurements: Measurements
    verdict: Verdict
    timings_s: dict[str, float]

    @classmethod
    def of(
        cls,
        judged: Judged,
        *,
        path: Path,
        video: VideoInfo,
        settings: Settings,
        model_path: Path,
        raw: PoseTrack,
        timings_s: dict[str, float],
    ) -> Analysis:
        """The analysis of a clip from what `judge_track` made of its raw track."""
        return cls(
            path=path,
            video=video,
            settings=settings,
            model_path=model_path,
            raw=raw,
            track=judged.track,
            segmentation=judged.segmentation,
            quality=judged.quality,
            measurements=judged.measurements,
            verdict=judged.verdict,
            timings_s=timings_s,
        )


class PelvisObserver:
    """Frame observer driving the image estimators of one analysis (see `pelvis_observer`)."""

    def __init__(
        self, name: Estimator, trackers: dict[Estimator, PelvisImageTracker | PelvisEdgeTracker]
    ):
        self.name = name
        self.trackers = trackers

    def observe(self, frame: Frame, xy: np.ndarray | None) -> None:
        for t in self.trackers.values():
            t.observe(frame, xy)

    @property
    def last_tilt_deg(self) -> float:
        """The latest frame's tilt from the first estimator that has one (live display)."""
        for t in self.trackers.values():
            v = t.last_tilt_deg
            if math.isfinite(v):
                return v
        return float("nan")


def pelvis_observer(settings: Settings) -> PelvisObserver | None:
    """The frame observer ``settings.estimator`` needs during the pose pass (None for
    landmark-only), its trackers made with ``settings.texture`` and ``settings.edge``."""
    name = settings.estimator
    if name is Estimator.HIP_LINE:
        return None
    from stance.vision.pelvis_edge import PelvisEdgeTracker
    from stance.vision.pelvis_texture import PelvisImageTracker

    make: dict[Estimator, Callable[[], PelvisImageTracker | PelvisEdgeTracker]] = {
        Estimator.PELVIS_IMAGE: lambda: PelvisImageTracker(settings.texture),
        Estimator.PELVIS_EDGE: lambda: PelvisEdgeTracker(settings.edge),
    }
    names = IMAGE_EVIDENCE if name is Estimator.FUSED else (name,)
    return PelvisObserver(name, {n: make[n]() for n in names})


def pelvis_estimator(name: Estimator, observer: PelvisObserver | None) -> PelvisEstimator:
    """The estimator for the numeric steps, from the observer that watched the frames."""
    if observer is None:
        return HipLineEstimator()
    parts = tuple(
        PrecomputedTilt(n, r.tilt_deg, range_model_at(r.height_l))
        for n, r in ((n, t.result()) for n, t in observer.trackers.items())
    )
    if name == Estimator.FUSED:  # (a plain name from a benchmark compares equal too)
        return FusedTilt(Estimator.FUSED, parts)
    return parts[0]


@dataclass(frozen=True)
class Judged:
    """The numeric steps' products for one pose track."""

    track: PoseTrack  # cleaned
    segmentation: Segmentation
    quality: QualityReport
    measurements: Measurements
    verdict: Verdict


def judge_track(
    raw: PoseTrack,
    *,
    pelvis: PelvisEstimator,
    settings: Settings,
    source_fps: float | None = None,
    lighting: Lighting = UNKNOWN_LIGHTING,
    feet: FootRise | None = None,
) -> Judged:
    """clean -> segment -> quality -> measure -> judge on one raw pose track.

    ``source_fps`` is the recording's frame rate when the track was decimated from it;
    ``lighting`` how its frames were lit (`stance.analysis.lighting.LightMeter`); ``feet``
    the feet's rise from their pixels (`stance.vision.foot_track.FootTracker`).
    """
    th = settings.thresholds
    track = clean_track(raw, settings.clean)
    seg = segment(track, settings.segment, feet)
    quality = assess_quality(
        track,
        seg,
        settings.quality,
        min_hold_s=th.min_hold_s,  # the judge's own minimum: gate and judge agree
        source_fps=source_fps,
        lighting=lighting,
    )
    meas = measure(
        track,
        seg,
        pelvis=pelvis,
        uncertainty_floor_deg=th.min_uncertainty_deg,
        noise_factor=th.noise_factor,
    )
    verdict = judge(meas, quality, thresholds=th, age=settings.age)
    return Judged(track, seg, quality, meas, verdict)


def run_pose(
    path: Path,
    video: VideoInfo,
    *,
    model_path: Path,
    settings: Settings,
    observers: list[FrameObserver],
    progress: ProgressFn | None = None,
) -> PoseTrack:
    """Decode the clip (in a thread, `stance.io.prefetch`) and run the pose model on every
    analysed frame."""
    from stance.vision.follow import PersonFollower
    from stance.vision.landmarker import track_frames

    expected = video.n_frames
    if settings.max_fps and video.fps_nominal > settings.max_fps:
        expected = int(video.n_frames * settings.max_fps / video.fps_nominal) + 1
    done = 0

    def tick(_frame: Frame) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, expected)

    frames = iter_frames(
        path, mirrored=settings.mirrored, max_fps=settings.max_fps, threads=decode_threads()
    )
    depth = max(2, min(16, PREFETCH_BYTES // max(1, 2 * video.width * video.height * 3)))
    # The decoding starts while the pose models load; it and the image estimators yield the
    # CPU to the model (`stance.io.prefetch`).
    with (
        prompt_handoff(),
        Prefetch(_with_model_input(frames), depth=depth, low_priority=True) as decoded,
        PersonFollower(model_path) as estimator,
    ):
        return track_frames(
            decoded,
            estimator,
            frame_size=(video.width, video.height),
            observers=observers,
            on_frame=tick,
        )


def _with_model_input(frames: Generator[Frame, None, None]) -> Iterator[Frame]:
    """``frames`` with the pose model's input made (`stance.vision.landmarker.model_input_of`),
    in the thread that decodes them; ``frames`` is closed when this generator is."""
    from stance.vision.landmarker import model_input_of

    try:
        for frame in frames:
            yield replace(frame, model_input=model_input_of(frame.image))
    finally:
        frames.close()


def _refuse_too_short(path: Path, duration_s: float, settings: Settings) -> None:
    """Raise BadInputError when a clip of ``duration_s`` seconds cannot hold a test."""
    problem = too_short_message(
        path.name,
        duration_s,
        baseline_s=settings.segment.baseline_s,
        min_hold_s=settings.thresholds.min_hold_s,
    )
    if problem is not None:
        raise BadInputError(problem)


def analyze(
    path: str | Path,
    *,
    settings: Settings | None = None,
    progress: ProgressFn | None = None,
) -> Analysis:
    """Analyse one clip of the single-leg stance test.

    Raises:
        BadInputError: the file is missing, not a video, or corrupt.
        ModelError: no pose model could be provisioned.
        NoValidTestError: nobody was found in the clip.
    """
    from stance.io.models import ensure_model

    settings = settings or Settings()
    path = Path(path)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    video = probe_video(path)
    _refuse_too_short(path, video.duration_s if video.n_frames else math.inf, settings)
    model_path = ensure_model(settings.model)
    timings["setup"] = time.perf_counter() - t0

    from stance.vision.foot_track import FootTracker

    observer = pelvis_observer(settings)
    light, feet = LightMeter(), FootTracker(settings.feet)
    t0 = time.perf_counter()
    raw = run_pose(
        path,
        video,
        model_path=model_path,
        settings=settings,
        observers=[light, feet, *([observer] if observer is not None else [])],
        progress=progress,
    )
    timings["decode_pose"] = time.perf_counter() - t0
    # The container's duration may be wrong: the decoded frames' span decides.
    _refuse_too_short(path, raw.duration_s(video.fps_nominal), settings)
    video = as_decoded(video, raw.duration_s(video.fps_nominal))
    lighting = light.result()
    if len(raw) == 0 or not (raw.n_people > 0).any():
        raise NoValidTestError(
            quality_wording.nobody_found(
                path.name,
                nobody_cause(raw, lighting),
                lighting,
                raw.frame_size,
                person_height(raw),
            )
        )

    t0 = time.perf_counter()
    judged = judge_track(
        raw,
        pelvis=pelvis_estimator(settings.estimator, observer),
        settings=settings,
        source_fps=video.fps_nominal,
        lighting=lighting,
        feet=feet.result(),
    )
    timings["numeric"] = time.perf_counter() - t0
    log.info("analysed %s in %s", path, {k: round(v, 3) for k, v in timings.items()})
    return Analysis.of(
        judged,
        path=path,
        video=video,
        settings=settings,
        model_path=model_path,
        raw=raw,
        timings_s=timings,
    )
