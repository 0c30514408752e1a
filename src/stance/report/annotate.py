"""The annotated video (`stance analyze --annotated PATH.mp4`).

Every frame of the input, upright and un-mirrored as analysed, with the overlay of
`stance.report.overlay`: the skeleton, the measured pelvis line coloured by drop over the green
quiet-stance line inside a trial's window, the phase, drop, lateral shift, trunk lean and time,
and a legend. The analysis runs at a decimated rate (`Settings.max_fps`); landmarks and values
of the frames between analysed ones are interpolated linearly in time (`interpolate`), the
phase taken from the nearest analysed frame (`nearest_index`), never carried across gaps in the
analysis.

Encoded as H.264 (libx264, yuv420p, even size, ``+faststart``) with the ffmpeg that
imageio-ffmpeg ships, at ``frames / duration`` frames per second, so a browser plays it with
the input's frame count and duration (a variable-frame-rate input plays at a constant rate;
the time shown on each frame is the input's). Written atomically.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from stance.analysis.segment import BOTH_DOWN, LEFT_UP, RIGHT_UP, UNKNOWN
from stance.core.atomic import atomic_path
from stance.core.track import Side
from stance.io.source import Frame, iter_frames
from stance.io.video_writer import H264Writer, retime
from stance.pipeline import Analysis
from stance.report import overlay as overlay
from stance.report.series_csv import frame_table

log = logging.getLogger(__name__)

PHASE_LABELS = {BOTH_DOWN: "double stance", LEFT_UP: "LEFT foot up", RIGHT_UP: "RIGHT foot up"}
"""Words of `Segmentation.lifted` codes; anything else (and no analysed frame) is 'feet unknown'."""

_HUD_WIDEST = ("RIGHT foot up", "drop +10.0 deg", "shift 100% to stance", "100.00 s")
"""The widest HUD lines: the text size is fitted to them, so it stays the same all clip long."""


def max_gap_s(t_s: np.ndarray) -> float:
    """Longest gap (seconds) bridged between analysed frames at times ``t_s`` (T,): two
    median frame intervals."""
    return 2.0 * float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.2


def interpolate(
    t_src: np.ndarray, values: np.ndarray, t_out: np.ndarray, *, gap_s: float
) -> np.ndarray:
    """``values`` (T, ...) at times ``t_src`` (T,), strictly increasing, linearly interpolated
    at times ``t_out`` (N,); returns (N, ...) floats.

    NaN where a bracketing value is NaN, where the two bracketing analysed frames are more than
    ``gap_s`` apart, and further than ``gap_s / 2`` before the first or after the last analysed
    frame (the end values are held, not extrapolated, up to there).
    """
    values = np.asarray(values, dtype=float)
    t_out = np.asarray(t_out, dtype=float)
    out = np.full((t_out.shape[0], *values.shape[1:]), np.nan)
    if t_src.size == 0:
        return out
    j = np.searchsorted(t_src, t_out, side="right")  # t_src[j - 1] <= t < t_src[j]
    i0, i1 = np.clip(j - 1, 0, t_src.size - 1), np.clip(j, 0, t_src.size - 1)
    span = t_src[i1] - t_src[i0]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(span > 0, (t_out - t_src[i0]) / span, 0.0)
    w = np.clip(w, 0.0, 1.0).reshape(-1, *([1] * (values.ndim - 1)))
    v0, v1 = values[i0], values[i1]
    lerp = np.where(w == 0, v0, np.where(w == 1, v1, v0 + w * (v1 - v0)))
    inside = (j > 0) & (j < t_src.size) & (span <= gap_s)
    before = (j == 0) & (t_src[0] - t_out <= gap_s / 2)
    after = (j == t_src.size) & (t_out - t_src[-1] <= gap_s / 2)
    out[inside] = lerp[inside]
    exact = (j > 0) & (t_out == t_src[i0])  # an analysed frame itself, whatever its gaps
    out[exact] = v0[exact]
    out[before] = values[0]
    out[after] = values[-1]
    return out


def nearest_index(t_src: np.ndarray, t_out: np.ndarray, *, gap_s: float) -> np.ndarray:
    """(N,) index of the analysed frame nearest in time to each ``t_out``, -1 where it is
    further than ``gap_s / 2``."""
    if t_src.size == 0:
        return np.full(t_out.shape[0], -1)
    j = np.clip(np.searchsorted(t_src, t_out), 1, max(t_src.size - 1, 1))
    prev = np.clip(j - 1, 0, t_src.size - 1)
    j = np.clip(j, 0, t_src.size - 1)
    k = np.where(np.abs(t_out - t_src[prev]) <= np.abs(t_src[j] - t_out), prev, j)
    return np.where(np.abs(t_src[k] - t_out) <= gap_s / 2, k, -1)


class _Overlay:
    """Per-frame overlay state of one analysis (the per-analysed-frame values, once)."""

    def __init__(self, a: Analysis) -> None:
        self.a = a
        self.t = np.asarray(a.track.t_s, dtype=float)
        self.gap = max_gap_s(self.t)
        cols = frame_table(a)
        self.trial = cols["trial"]
        self.values = np.stack([cols["drop_deg"], cols["lean_deg"], cols["shift_frac"]], axis=1)
        self.threshold = a.settings.thresholds.drop_deg
        self.quiet: list[float] = []  # per trial, the quiet-stance hip-landmark angle (deg)
        self.lifted: list[Side] = []
        for m in a.measurements.trials:
            b = m.trial.baseline
            xy = a.track.xy[b.i0 : b.i1] if b is not None else a.track.xy[:0]
            self.quiet.append(overlay.hip_angle_deg(xy))
            self.lifted.append(m.trial.lifted)

    def draw(self, img: np.ndarray, t_s: float) -> None:
        """Draw the overlay for time ``t_s`` (seconds) on ``img`` in place."""
        t = np.array([t_s])
        xy = interpolate(self.t, self.a.track.xy, t, gap_s=self.gap)[0]
        values = interpolate(self.t, self.values, t, gap_s=self.gap)[0]  # drop, lean, shift
        drop = float(values[0])
        k = int(nearest_index(self.t, t, gap_s=self.gap)[0])
        trial = int(self.trial[k]) if k >= 0 else -1
        code = int(self.a.segmentation.lifted[k]) if k >= 0 else UNKNOWN
        phase = PHASE_LABELS.get(code, "feet unknown")
        s = overlay.scale_for(img.shape)
        overlay.draw_skeleton(img, xy, s)
        quiet = self.quiet[trial] if trial >= 0 else math.nan
        if math.isfinite(quiet) and math.isfinite(drop):
            change = overlay.tilt_change_deg(drop, self.lifted[trial])
            angle = overlay.pelvis_angle_deg(quiet, change, 0.0)
            colour = overlay.drop_colour(drop, self.threshold)
            overlay.draw_pelvis(img, xy, s=s, angle_deg=angle, colour=colour, quiet_angle_deg=quiet)
        else:
            overlay.draw_pelvis(
                img, xy, s=s, angle_deg=overlay.hip_angle_deg(xy), colour=overlay.GREY
            )
        self._hud(img, s, t_s, phase, values)

    def _hud(self, img: np.ndarray, s: int, t_s: float, phase: str, values: np.ndarray) -> None:
        """Text at the top left (phase; drop, lean, shift; time) and the legend at the bottom."""
        drop, lean, shift = (float(v) for v in values)
        h, w = img.shape[:2]
        lines: list[tuple[str, tuple[int, int, int]]] = [(phase, overlay.WHITE)]
        if math.isfinite(drop):
            lines.append((f"drop {drop:+.1f} deg", overlay.drop_colour(drop, self.threshold)))
        if math.isfinite(shift):
            lines.append((f"shift {100 * shift:.0f}% to stance", overlay.WHITE))
        if math.isfinite(lean):
            lines.append((f"lean {lean:+.1f} deg", overlay.WHITE))
        lines.append((f"{t_s:.2f} s", overlay.WHITE))
        margin = 8 * s
        size = overlay.fit_size(_HUD_WIDEST, min(w, h) // 2 - margin, s=s, size=0.7)
        y = margin
        for text, colour in lines:
            y += overlay.line_height(s=s, size=size)
            overlay.put_text(img, text, (margin, y), s=s, colour=colour, size=size)
        th = self.threshold
        legend = [
            [
                ("pelvis drop: ", overlay.WHITE),
                (f"<{th / 2:g} ", overlay.GREEN),
                (f"<{th:g} ", overlay.AMBER),
                (f">={th:g} deg ", overlay.RED),
                ("none", overlay.GREY),
            ],
            [("thin green: quiet stance", overlay.QUIET_GREEN)],
        ]
        texts = ["".join(p for p, _ in row) for row in legend]
        size = overlay.fit_size(texts, w - 2 * margin, s=s, size=0.5)
        y = h - margin
        for row in reversed(legend):
            overlay.put_pieces(img, row, (margin, y), s=s, size=size)
            y -= overlay.line_height(s=s, size=size)


def annotated_frames(a: Analysis) -> Iterator[Frame]:
    """Every frame of the input (upright, un-mirrored as analysed) with the overlay drawn."""
    ov = _Overlay(a)
    frames = iter_frames(a.path, mirrored=a.settings.mirrored, max_fps=None)
    try:
        for f in frames:
            img = f.image.copy()
            ov.draw(img, f.t_s)
            yield Frame(f.index, f.t_s, img)
    finally:
        frames.close()


def write_annotated(
    a: Analysis, path: Path, progress: Callable[[int, int], None] | None = None
) -> None:
    """Write the annotated video of ``a`` to ``path`` (.mp4, H.264) atomically.

    ``progress`` is called with (frames written, frames expected) after each frame.

    Raises:
        BadInputError: the input can no longer be decoded (e.g. truncated).
        FfmpegError, OSError: encoding failed; nothing is left at ``path``.
    """
    info = a.video
    fps0 = info.fps_nominal  # for MP4 the average rate: claimed frames / duration
    expected = max(info.n_frames, 1)
    path = Path(path)
    n, t_first, t_last = 0, 0.0, 0.0
    with atomic_path(path, suffix=".mp4") as tmp:
        with H264Writer(tmp, fps0) as writer:
            for f in annotated_frames(a):
                writer.write(f.image)
                t_first = f.t_s if n == 0 else t_first
                n, t_last = n + 1, f.t_s
                if progress is not None:
                    progress(n, max(expected, n))
        fps = n / _duration_s(a, n, t_first, t_last)
        if abs(fps / fps0 - 1.0) > 1e-6:
            retime(tmp, fps0 / fps)
    log.info("annotated video: %d frames at %.3f fps -> %s", n, fps, path)


def _duration_s(a: Analysis, n: int, t_first: float, t_last: float) -> float:
    """Duration (seconds) the ``n`` decoded frames should last: the container's when its
    frame count is confirmed by the decode, else the decoded span plus one mean interval."""
    if n == a.video.n_frames and a.video.duration_s > 0:
        return a.video.duration_s
    if n > 1 and t_last > t_first:
        return (t_last - t_first) * n / (n - 1)
    return n / a.video.fps_nominal
