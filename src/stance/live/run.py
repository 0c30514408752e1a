"""`stance live`: the guided test in front of a camera (or a file played as if it were one).

Three threads, so the display never waits for the pose model:

    source thread  reads frames at the camera's pace (a file: at its real pace, late frames
                   skipped like a camera would), saves them for ``--record``, and offers the
                   newest one to the other two; a frame not taken in time is dropped, never
                   queued.
    pose thread    takes the newest frame, runs `LiveSession.process` (pose, pelvis,
                   protocol, live numbers) and publishes the resulting `LiveState`.
    main thread    draws every new frame with the latest state (`live_view.render`) into a
                   window (mirrored like a selfie) or, with ``--headless``, into an MP4; reads
                   the keys: q/Esc quit, r restart, space pause, n accept a short hold.

Sources, the mailbox between threads and the window are in `stance.live.sources`. At the end
`LiveSession.finish` judges the whole session with the code of `stance analyze` and
`LiveRunner` packs it as an `Analysis`, so every report format works on it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stance.core.track import PoseTrack
from stance.io.source import Frame, VideoInfo, iter_frames, probe_video
from stance.io.video_writer import H264Writer
from stance.live.protocol import Attempt, ProtocolConfig, Step
from stance.live.session import LiveSession, LiveState
from stance.live.sources import (
    KEY_QUIT,
    WINDOW,
    Captured,
    Latest,
    Window,
    camera_frames,
    close_frames,
    paced,
)
from stance.live.view import ViewInfo, render
from stance.pipeline import Analysis, Judged, Settings
from stance.report.wording import finding_sentence, summary_line

log = logging.getLogger(__name__)

KEY_RESTART = ord("r")
KEY_PAUSE = ord(" ")
KEY_SKIP = ord("n")
RESULT_SHOW_S = 3.0
"""How long the result card stays in a --headless video (seconds)."""


@dataclass(frozen=True)
class LiveOptions:
    """How to run a live session (see `stance live --help`)."""

    camera: int = 0
    source: Path | None = None
    source_mirrored: bool = False  # the source delivers mirror images (selfie recording)
    mirror_display: bool = True
    headless: Path | None = None
    record: Path | None = None
    width: int = 640
    height: int = 480
    keep_result: bool = True  # the window shows the result card until q
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)
    settings: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class LiveStats:
    """Timing of a session: frames read/shown/analysed, rates (per s), latency (ms)."""

    duration_s: float
    frames_read: int
    frames_shown: int
    frames_analysed: int
    display_fps: float
    pose_fps: float
    latency_ms_median: float
    latency_ms_p95: float


@dataclass(frozen=True)
class LiveResult:
    """A finished session: the report-ready analysis (None if nobody was seen), the holds
    the protocol saw, the last step reached and the timing."""

    analysis: Analysis | None
    attempts: tuple[Attempt, ...]
    last_step: Step
    stats: LiveStats


@dataclass
class _DisplayLog:
    """What the display loop measured: when frames were shown, overlay latencies (ms)."""

    t_start: float
    shown: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    _counts: list[tuple[float, int]] = field(default_factory=list)

    def analysed_rate(self, count: int, now: float, span_s: float = 2.0) -> float:
        """Analysed frames per second over the last ``span_s`` seconds (``count`` so far)."""
        self._counts.append((now, count))
        while len(self._counts) > 2 and now - self._counts[0][0] > span_s:
            self._counts.pop(0)
        (t0, c0), (t1, c1) = self._counts[0], self._counts[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else math.nan

    def stats(self, duration: float, read: int, analysed: int) -> LiveStats:
        lat = np.asarray(self.latencies) if self.latencies else np.full(1, np.nan)
        return LiveStats(
            duration_s=duration,
            frames_read=read,
            frames_shown=len(self.shown),
            frames_analysed=analysed,
            display_fps=len(self.shown) / max(duration, 1e-6),
            pose_fps=analysed / max(duration, 1e-6),
            latency_ms_median=float(np.median(lat)),
            latency_ms_p95=float(np.percentile(lat, 95)),
        )


# -- the session -----------------------------------------------------------------------------
class LiveRunner:
    """Runs one live session; `run()` returns when the source ends or the user quits."""

    def __init__(self, options: LiveOptions, model_path: Path) -> None:
        self.opt = options
        self.model_path = model_path
        self._stop = threading.Event()
        self._display: Latest[Captured] = Latest()
        self._pose_in: Latest[Captured] = Latest()
        self._state: LiveState | None = None
        self._commands: list[str] = []
        self._lock = threading.Lock()
        self._paused = False
        self._read = 0
        self._analysed = 0
        self._source_done = threading.Event()
        self._fresh = threading.Event()  # a new frame or a new pose result
        self._span = (0.0, 0.0)  # timestamps of the first and last frame read (s)
        self._error: BaseException | None = None
        self.video: VideoInfo | None = None
        self._frames, self.fps = self._open_source()

    def _open_source(self) -> tuple[Iterator[Frame], float]:
        o = self.opt
        if o.source is not None:
            self.video = probe_video(o.source)
            frames = iter_frames(o.source, mirrored=o.source_mirrored, max_fps=None)
            return paced(frames, stop=self._stop), self.video.fps_nominal
        return camera_frames(o.camera, o.width, o.height)

    # threads
    def _source_loop(self, recorder: H264Writer | None) -> None:
        try:
            for f in self._frames:
                if self._stop.is_set():
                    break
                cap = Captured(f, time.perf_counter())
                self._span = (f.t_s if self._read == 0 else self._span[0], f.t_s)
                if recorder is not None:
                    recorder.write(f.image)
                self._read += 1
                if not self._paused:
                    self._pose_in.put(cap)
                self._display.put(cap)
                self._fresh.set()
        except BaseException as e:  # reported by run()
            self._error = e
        finally:
            self._source_done.set()
            self._fresh.set()
            self._pose_in.close()
            self._display.close()

    def _pose_loop(self, session: LiveSession) -> None:
        try:
            while not self._stop.is_set():
                self._run_commands(session)
                cap = self._pose_in.get(timeout=0.2)
                if cap is None:
                    if self._source_done.is_set():
                        return
                    continue
                state = session.process(cap.frame, cap.wall)
                self._analysed += 1
                self._state = state
                self._fresh.set()
        except BaseException as e:
            self._error = e
            self._stop.set()

    def _run_commands(self, session: LiveSession) -> None:
        with self._lock:
            todo, self._commands = self._commands, []
        for c in todo:
            if c == "restart":
                session.restart()  # the overlay is replaced by the next analysed frame
            elif c == "skip":
                session.protocol.skip()

    def _command(self, name: str) -> None:
        with self._lock:
            self._commands.append(name)

    # main thread
    def run(self) -> LiveResult:
        o = self.opt
        show = Window() if o.headless is None else None
        session = LiveSession(
            self.model_path, self._frame_size(), settings=o.settings, protocol=o.protocol
        )
        recorder = H264Writer(o.record, self.fps) if o.record is not None else None
        out = H264Writer(o.headless, self.fps) if o.headless is not None else None
        src = threading.Thread(target=self._source_loop, args=(recorder,), daemon=True)
        pose = threading.Thread(target=self._pose_loop, args=(session,), daemon=True)
        display = _DisplayLog(time.perf_counter())
        ok = False
        try:
            src.start()
            pose.start()
            last_img = self._display_loop(display, show, out)
            self._stop.set()
            pose.join(timeout=10)
            src.join(timeout=10)
            close_frames(self._frames)
            if self._error is not None:
                raise self._error
            duration = time.perf_counter() - display.t_start
            finished = session.finish(source_fps=self.fps)
            analysis = None if finished is None else self._analysis(session, finished, duration)
            if last_img is not None:
                card = self._render(last_img, None, ViewInfo(result=_result_lines(analysis)))
                if out is not None:
                    for _ in range(round(RESULT_SHOW_S * self.fps)):
                        out.write(card)
                elif show is not None:
                    show.show(card, title=f"{WINDOW}: result (press q)")
                    if o.keep_result:
                        show.wait_for_quit()
            ok = True
        finally:
            self._stop.set()
            if src.is_alive():  # interrupted (Ctrl-C, SIGTERM): the recorder's writer must
                src.join(timeout=10)  # stop before it is aborted, or it opens a new file
            session.close()
            if out is not None:
                out.close() if ok else out.abort()
            if recorder is not None:
                recorder.close(real_fps=self._camera_fps()) if ok else recorder.abort()
            if show is not None:
                show.close()
        return LiveResult(
            analysis=analysis,
            attempts=tuple(session.protocol.attempts),
            last_step=session.protocol.step,
            stats=display.stats(duration, self._read, self._analysed),
        )

    def _render(self, image: np.ndarray, state: LiveState | None, info: ViewInfo) -> np.ndarray:
        o = self.opt
        return render(
            image,
            state,
            mirror=o.mirror_display,
            threshold_deg=o.settings.thresholds.drop_deg,
            info=info,
        )

    def _display_loop(
        self, log_: _DisplayLog, show: Window | None, out: H264Writer | None
    ) -> np.ndarray | None:
        """Draw until the source ends, the test is done or the user quits; returns the last
        camera frame. A window is redrawn on every new frame AND every new pose result (so
        the overlay appears as soon as it exists); a --headless video gets one frame per
        camera frame."""
        image: np.ndarray | None = None
        drawn: LiveState | None = None
        while not self._stop.is_set():
            self._fresh.wait(0.1)
            self._fresh.clear()
            cap = self._display.get(timeout=0)
            state = self._state
            if cap is None and (state is drawn or out is not None):
                if self._source_done.is_set() and self._display.empty:
                    break
                if show is not None:
                    self._on_key(show.key())
                continue
            if cap is not None:
                image = cap.frame.image
            if image is None:
                continue
            now = time.perf_counter()
            if state is not None and state is not drawn:
                log_.latencies.append(1000.0 * (now - state.captured))
            drawn = state
            if cap is not None:
                log_.shown.append(now)
            info = ViewInfo(
                display_fps=_rate(log_.shown),
                pose_fps=log_.analysed_rate(self._analysed, now),
                latency_ms=log_.latencies[-1] if log_.latencies else math.nan,
                paused=self._paused,
            )
            img = self._render(image, state, info)
            if out is not None:
                out.write(img)
            elif show is not None:
                show.show(img)
                self._on_key(show.key())
            if state is not None and state.status.step is Step.DONE:
                break
        return image

    def _camera_fps(self) -> float | None:
        """A camera's measured frame rate over the session (None for a file source)."""
        if self.opt.source is not None or self._read < 2 or self._span[1] <= self._span[0]:
            return None
        return (self._read - 1) / (self._span[1] - self._span[0])

    def _frame_size(self) -> tuple[int, int]:
        if self.video is not None:
            return self.video.width, self.video.height
        first = self._display_peek()
        return first.shape[1], first.shape[0]

    def _display_peek(self) -> np.ndarray:
        """The first camera frame (kept for the stream) to learn the frame size."""
        first = next(self._frames)
        rest = self._frames

        def again() -> Iterator[Frame]:
            yield first
            yield from rest

        self._frames = again()
        return first.image

    def _on_key(self, key: int) -> None:
        if key < 0:
            return
        key &= 0xFF
        if key in KEY_QUIT:
            self._stop.set()
        elif key == KEY_RESTART:
            self._command("restart")
        elif key == KEY_PAUSE:
            self._paused = not self._paused
        elif key == KEY_SKIP:
            self._command("skip")

    def _analysis(
        self, session: LiveSession, finished: tuple[PoseTrack, Judged], duration: float
    ) -> Analysis:
        raw, judged = finished
        o = self.opt
        if o.source is not None:
            path, mirrored = o.source, o.source_mirrored
        elif o.record is not None:
            path, mirrored = o.record, False
        else:
            path, mirrored = Path(f"camera-{o.camera}"), False
        w, h = session.frame_size
        video = self.video or VideoInfo(
            path=str(path),
            width=w,
            height=h,
            fps_nominal=self._camera_fps() or self.fps,
            n_frames=self._read,
            duration_s=self._read / (self._camera_fps() or self.fps),
            rotation_deg=0,
            codec="camera",
        )
        return Analysis.of(
            judged,
            path=path,
            video=video,
            settings=_replace_mirrored(o.settings, mirrored),
            model_path=self.model_path,
            raw=raw,
            timings_s={"live": duration},
        )


def _replace_mirrored(settings: Settings, mirrored: bool) -> Settings:
    """The settings as recorded with the analysis: every frame analysed, as seen live."""
    from dataclasses import replace

    return replace(settings, mirrored=mirrored, max_fps=None)


def _rate(times: list[float], span: int = 30) -> float:
    """Frames per second over the last ``span`` timestamps."""
    if len(times) < 2:
        return math.nan
    recent = times[-span:]
    return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)


def _result_lines(a: Analysis | None) -> list[str]:
    if a is None:
        return ["Nobody was seen", "Stand 2-3 m from the camera, whole body in view."]
    lines = [summary_line(a.verdict)]
    lines += [finding_sentence(f) for f in a.verdict.findings.values()]
    return [*lines, "Details in the terminal report. Press q to close."]


def run_live(options: LiveOptions, model_path: Path) -> LiveResult:
    """Run one live session (see the module docstring)."""
    return LiveRunner(options, model_path).run()
