"""One live session without threads or windows: frame in, pose, protocol and live numbers out.

`LiveSession.process` runs the pose model on one (unmirrored, upright) frame, follows the
subject, feeds the image-based pelvis estimator, advances the guided `Protocol` and computes
the numbers shown on screen. `LiveSession.finish` judges the whole session with exactly the
code of the recorded-video analysis (`stance.pipeline.judge_track`).

Live numbers (shown while the test runs; the verdict uses the full analysis at the end):
- drop: the pelvis tilt change since the quiet stance before the hold, + = lifted side lower
  (as `stance.analysis.measure`), from the image estimator;
- balance: where the centre of mass is between the feet of that quiet stance, -1 = over the
  RIGHT ankle, 0 = midway, +1 = over the LEFT ankle;
- lean: trunk angle change since that quiet stance, + = toward the person's LEFT, degrees.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from stance.analysis.lighting import LightMeter
from stance.analysis.measure import center_of_mass, trunk_angle_deg
from stance.analysis.pelvis import line_tilt_deg
from stance.core.numeric import finite_median, finite_median_rows
from stance.core.track import LM, PoseTrack, Side
from stance.live.protocol import Prompt, Protocol, ProtocolConfig, Step, observe
from stance.pipeline import Judged, Settings, judge_track, pelvis_estimator, pelvis_observer
from stance.vision.follow import PersonFollower
from stance.vision.landmarker import TrackBuilder

if TYPE_CHECKING:
    from pathlib import Path

    from stance.io.source import Frame

WINDOW_FRAMES = 12
"""Recent frames the protocol's observation looks at (about 0.5-1 s at live rates)."""


@dataclass(frozen=True)
class Readout:
    """The live numbers of one frame (see the module docstring; NaN/None when unknown).

    Attributes:
        drop_deg: pelvic drop of the lifted side (deg; NaN unless a foot is held up).
        tilt_change_deg: pelvis tilt change since the quiet stance (deg, + = person's LEFT up).
        pelvis_angle_deg: screen angle of the measured pelvis line (`stance.analysis.pelvis`
            convention), or None before a quiet stance was seen.
        balance: centre of mass between the quiet-stance ankles, -1 RIGHT .. +1 LEFT.
        lean_deg: trunk lean change since the quiet stance, + toward the person's LEFT (deg).
        has_baseline: a quiet stance was seen (the numbers are relative to it).
    """

    drop_deg: float = math.nan
    tilt_change_deg: float = math.nan
    pelvis_angle_deg: float | None = None
    balance: float = math.nan
    lean_deg: float = math.nan
    has_baseline: bool = False


@dataclass(frozen=True)
class LiveState:
    """What the display needs about the latest analysed frame.

    Attributes:
        t_s: the frame's time in seconds.
        captured: `time.perf_counter()` when the frame was read (for latency).
        xy: (33, 2) subject landmarks in pixels of the unmirrored frame, or None.
        status: the protocol's step and prompt.
        readout: the live numbers.
    """

    t_s: float
    captured: float
    xy: np.ndarray | None
    status: Prompt
    readout: Readout


@dataclass(frozen=True)
class _Baseline:
    tilt: float
    hip_angle: float
    trunk: float
    com: np.ndarray  # (2,) px
    left_ankle: np.ndarray  # (2,) px
    right_ankle: np.ndarray  # (2,) px


class LiveSession:
    """Pose + protocol + live numbers for one person in front of one camera."""

    def __init__(
        self,
        model_path: Path,
        frame_size: tuple[int, int],
        *,
        settings: Settings,
        protocol: ProtocolConfig,
    ) -> None:
        self.settings = settings
        self.frame_size = frame_size
        self.protocol_config = protocol
        self._estimator = PersonFollower(model_path)
        self.restart()

    def restart(self) -> None:
        """Forget everything measured so far (key r)."""
        self.protocol = Protocol(self.protocol_config, self.settings.segment)
        self.builder = TrackBuilder(*self.frame_size)
        self._pelvis = pelvis_observer(self.settings)
        self._light = LightMeter()
        self._t: list[float] = []
        self._tilt: list[float] = []
        self._baseline: _Baseline | None = None
        self._baseline_span: tuple[float, float] | None = None

    def close(self) -> None:
        self._estimator.close()

    def process(self, frame: Frame, captured: float | None = None) -> LiveState:
        """Analyse one frame (upright, unmirrored) and return what to display."""
        people = self._estimator.detect(frame.image, frame.t_s)
        subject = self.builder.add(frame.t_s, people)
        xy = None if subject is None else subject.xy
        self._light.observe(frame, xy)
        if self._pelvis is not None:
            self._pelvis.observe(frame, xy)
            tilt = self._pelvis.last_tilt_deg
        else:
            tilt = math.nan
        window = self.builder.tail(WINDOW_FRAMES)
        if self._pelvis is None:
            tilt = float(self._hip_tilt(window)[-1])
        self._t.append(frame.t_s)
        self._tilt.append(tilt)
        status = self.protocol.update(observe(window, self.settings.segment, self.settings.quality))
        return LiveState(
            t_s=frame.t_s,
            captured=time.perf_counter() if captured is None else captured,
            xy=xy,
            status=status,
            readout=self._readout(window, status, tilt),
        )

    @staticmethod
    def _hip_tilt(track: PoseTrack) -> np.ndarray:
        return line_tilt_deg(track.point(LM.LEFT_HIP), track.point(LM.RIGHT_HIP))

    def _readout(self, window: PoseTrack, status: Prompt, tilt: float) -> Readout:
        holding = status.step in (Step.HOLD, Step.DOWN)
        span = self.protocol.hold_baseline if holding else self.protocol.last_quiet
        if span is not None and span != self._baseline_span:
            self._baseline = self._make_baseline(span) or self._baseline
            self._baseline_span = span
        b = self._baseline
        if b is None:
            return Readout()
        last = window.slice(len(window) - 1, len(window))
        change = tilt - b.tilt
        drop = math.nan
        if holding and status.side is not None:
            drop = -change if status.side is Side.LEFT else change
        com = center_of_mass(last)[0]
        axis = b.left_ankle - b.right_ankle
        reach = float(axis @ axis)
        balance = math.nan
        if reach > 0 and np.all(np.isfinite(com)):
            balance = float(2.0 * ((com - b.right_ankle) @ axis) / reach - 1.0)
        return Readout(
            drop_deg=drop,
            tilt_change_deg=change,
            pelvis_angle_deg=b.hip_angle + change if math.isfinite(change) else None,
            balance=balance,
            lean_deg=float(trunk_angle_deg(last)[0]) - b.trunk,
            has_baseline=True,
        )

    def _make_baseline(self, span: tuple[float, float]) -> _Baseline | None:
        """Medians over the frames of a quiet stance ``span`` (start, end) seconds."""
        t = np.asarray(self._t)
        i0 = int(np.searchsorted(t, span[0]))
        i1 = int(np.searchsorted(t, span[1], side="right"))
        if i1 <= i0:
            return None
        part = self.builder.tail(len(self.builder) - i0).slice(0, i1 - i0)
        tilt = np.asarray(self._tilt[i0:i1])
        hip = self._hip_tilt(part)
        return _Baseline(
            tilt=finite_median(tilt),
            hip_angle=finite_median(hip),
            trunk=finite_median(trunk_angle_deg(part)),
            com=finite_median_rows(center_of_mass(part)),
            left_ankle=finite_median_rows(part.point(LM.LEFT_ANKLE)),
            right_ankle=finite_median_rows(part.point(LM.RIGHT_ANKLE)),
        )

    def finish(self, *, source_fps: float | None = None) -> tuple[PoseTrack, Judged] | None:
        """Judge the whole session as `stance analyze` would; None if nobody was seen."""
        raw = self.builder.build()
        if len(raw) == 0 or not (raw.n_people > 0).any():
            return None
        judged = judge_track(
            raw,
            pelvis=pelvis_estimator(self.settings.estimator, self._pelvis),
            settings=self.settings,
            source_fps=source_fps,
            lighting=self._light.result(),
        )
        return raw, judged
