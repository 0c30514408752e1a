"""What `stance live` shows: the camera image (mirrored like a selfie) with the overlay.

`render` draws one display frame from a camera frame and the latest `LiveState`: the skeleton,
the measured pelvis line coloured by the drop (over the green quiet-stance line), the prompt
banner, the hold countdown, the drop in degrees, trunk lean, a weight-shift (balance) bar and
the frame rates. Labels are always anatomical (the person's LEFT/RIGHT), whichever way the
image is shown. Drawing only: no state, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stance.live.protocol import Step
from stance.live.session import LiveState
from stance.report import overlay as ov

PANEL_ALPHA = 0.6
"""Opacity of the dark panels behind text (0-1)."""
DISPLAY_MAX = (960, 720)
"""Largest displayed frame (width, height) in pixels: bigger camera frames are shown smaller,
so the overlay keeps its proportions on a laptop screen."""


@dataclass(frozen=True)
class ViewInfo:
    """Display-side facts drawn in the corner.

    Attributes:
        display_fps: frames shown per second.
        pose_fps: frames analysed per second.
        latency_ms: frame-to-overlay latency (capture of the analysed frame to display).
        paused: the session is paused (space).
        result: lines of the result card, shown instead of the prompt when not empty.
    """

    display_fps: float = math.nan
    pose_fps: float = math.nan
    latency_ms: float = math.nan
    paused: bool = False
    result: Sequence[str] = ()


def _panel(img: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
    """Darken the rectangle (pixels) so text on it is readable on any background."""
    h, w = img.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi * (1.0 - PANEL_ALPHA)).astype(np.uint8)


def _mirror_xy(xy: np.ndarray, width: int) -> np.ndarray:
    out = xy.copy()
    out[..., 0] = (width - 1) - out[..., 0]
    return out


def render(
    image: np.ndarray,
    state: LiveState | None,
    *,
    mirror: bool,
    threshold_deg: float,
    info: ViewInfo,
) -> np.ndarray:
    """The display frame BGR for camera frame ``image`` (H, W, 3; unmirrored, upright),
    at most ``DISPLAY_MAX`` in size."""
    import cv2

    h, w = image.shape[:2]
    k = min(1.0, DISPLAY_MAX[0] / w, DISPLAY_MAX[1] / h)
    if k < 1.0:
        image = cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    img = np.ascontiguousarray(image[:, ::-1] if mirror else image).copy()
    s = max(1, round(min(h, w) / 480))
    if state is not None and state.xy is not None:
        _draw_body(img, state.xy * k, state, mirror=mirror, threshold_deg=threshold_deg, s=s)
    lines = list(info.result)
    if lines:
        _card(img, lines, s=s)
    elif state is not None:
        _banner(img, state, s=s)
        _readout(img, state, mirror=mirror, threshold_deg=threshold_deg, s=s)
    else:
        _card(img, ["Starting the camera and the pose model..."], s=s)
    if math.isfinite(info.display_fps):
        fps = f"display {info.display_fps:.0f} fps  pose {info.pose_fps:.0f} fps"
        if math.isfinite(info.latency_ms):
            fps += f"  latency {info.latency_ms:.0f} ms"
        size = ov.fit_size([fps], w - 10 * s, s=s, size=0.45)
        ov.put_text(img, fps, (5 * s, h - 6 * s), s=s, size=size, colour=ov.GREY)
    if info.paused:
        _card(img, ["PAUSED", "space: continue   r: restart   q: quit"], s=s)
    return img


def _draw_body(
    img: np.ndarray,
    xy: np.ndarray,
    state: LiveState,
    *,
    mirror: bool,
    threshold_deg: float,
    s: int,
) -> None:
    """Skeleton and pelvis lines; ``xy`` (33, 2) are the landmarks in display pixels
    (before mirroring)."""
    w = img.shape[1]
    ov.draw_skeleton(img, _mirror_xy(xy, w) if mirror else xy, s)
    r = state.readout
    if r.pelvis_angle_deg is None:
        return
    colour = ov.drop_colour(r.drop_deg, threshold_deg)
    for angle, col, thick in (
        (r.pelvis_angle_deg - r.tilt_change_deg, ov.QUIET_GREEN, 2 * s),
        (r.pelvis_angle_deg, colour, 3 * s),
    ):
        pts = ov.pelvis_endpoints(xy, angle)  # unmirrored geometry, then shown
        if pts is not None:
            ov.draw_line(img, _mirror_xy(pts, w) if mirror else pts, col, thick)


def _banner(img: np.ndarray, state: LiveState, *, s: int) -> None:
    """The prompt across the top, the detail line under it, a countdown bar while holding."""
    w = img.shape[1]
    st = state.status
    lines = [st.prompt] + ([st.detail] if st.detail else [])
    size = ov.fit_size([st.prompt], w - 20 * s, s=s, size=0.9)
    small = ov.fit_size(lines[1:], w - 20 * s, s=s, size=0.6)
    h1 = ov.text_size("Ag", s=s, size=size)[1]
    h2 = ov.text_size("Ag", s=s, size=small)[1] if st.detail else 0
    bottom = 12 * s + h1 + (8 * s + h2 if h2 else 0) + 8 * s
    _panel(img, 0, 0, w, bottom)
    colour = ov.WHITE if st.step is not Step.DONE else ov.GREEN
    ov.put_text(img, st.prompt, (10 * s, 8 * s + h1), s=s, size=size, colour=colour)
    if st.detail:
        ov.put_text(img, st.detail, (10 * s, 16 * s + h1 + h2), s=s, size=small, colour=ov.AMBER)
    if st.step is Step.HOLD and st.progress is not None:
        _panel(img, 0, bottom, w, bottom + 8 * s)
        remaining = float(np.clip(1.0 - st.progress, 0.0, 1.0))
        img[bottom + 2 * s : bottom + 6 * s, : round(w * remaining)] = ov.GREEN


def _readout(
    img: np.ndarray, state: LiveState, *, mirror: bool, threshold_deg: float, s: int
) -> None:
    """Drop, lean and the balance bar in a panel at the bottom."""
    h, w = img.shape[:2]
    r = state.readout
    side = state.status.side
    if math.isfinite(r.drop_deg) and side is not None:
        drop = f"hip drop ({side.caps} side) {r.drop_deg:+.1f} deg"
    elif math.isfinite(r.tilt_change_deg):
        drop = f"pelvis tilt {abs(r.tilt_change_deg):.1f} deg"
    elif r.has_baseline:
        drop = "pelvis: not measurable in this frame"
    else:
        drop = "pelvis: measured after a quiet stance"
    lean = "trunk lean n/a"
    if math.isfinite(r.lean_deg):
        toward = "LEFT" if r.lean_deg > 0 else "RIGHT"
        lean = f"trunk lean {abs(r.lean_deg):.1f} deg to the {toward}"
    size = ov.fit_size([drop, lean], w - 20 * s, s=s, size=0.6)
    th = ov.text_size("Ag", s=s, size=size)[1]
    bar_h = 10 * s
    top = h - (3 * th + bar_h + 40 * s)
    _panel(img, 0, top, w, h)
    y = top + 6 * s + th
    ov.put_text(
        img, drop, (10 * s, y), s=s, size=size, colour=ov.drop_colour(r.drop_deg, threshold_deg)
    )
    y += th + 6 * s
    ov.put_text(img, lean, (10 * s, y), s=s, size=size)
    y += 8 * s
    _balance_bar(img, r.balance, (10 * s, y, w - 10 * s, y + bar_h), mirror=mirror, s=s)


def _balance_bar(
    img: np.ndarray, balance: float, box: tuple[int, int, int, int], *, mirror: bool, s: int
) -> None:
    """Weight-shift bar: the person's RIGHT foot at one end, LEFT at the other, a marker at
    the centre of mass. In the mirrored (selfie) view the person's LEFT is on screen left."""
    x0, y0, x1, y1 = box
    img[y0:y1, x0:x1] = (60, 60, 60)
    mid = (x0 + x1) // 2
    img[y0:y1, mid - s : mid + s] = (200, 200, 200)
    left_end, right_end = ("L", "R") if mirror else ("R", "L")
    small = 0.5
    ov.put_text(img, left_end, (x0, y1 + 16 * s), s=s, size=small)
    tw = ov.text_size(right_end, s=s, size=small)[0]
    ov.put_text(img, right_end, (x1 - tw, y1 + 16 * s), s=s, size=small)
    label = "weight: over the feet"
    lw = ov.text_size(label, s=s, size=small)[0]
    ov.put_text(img, label, (mid - lw // 2, y1 + 16 * s), s=s, size=small, colour=ov.GREY)
    if not math.isfinite(balance):
        return
    b = float(np.clip(balance, -1.2, 1.2))
    pos = -b if mirror else b  # +1 is the person's LEFT: screen left when mirrored
    x = round(mid + pos * (x1 - x0) / 2 / 1.2)
    img[y0 - 3 * s : y1 + 3 * s, max(x0, x - 3 * s) : min(x1, x + 3 * s)] = ov.AMBER


def wrap(text: str, width: int, *, s: int, size: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and ov.text_size(f"{lines[-1]} {word}", s=s, size=size)[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _card(img: np.ndarray, lines: Sequence[str], *, s: int) -> None:
    """A centred dark card: the first line large, the others smaller, wrapped to fit the
    width; the fonts shrink until the card fits in 90% of the height."""
    h, w = img.shape[:2]
    inner = int(w * 0.88)
    big, small = 0.9, 0.55
    while True:
        head = wrap(lines[0], inner, s=s, size=big) if lines else []
        body = [p for line in lines[1:] for p in [*wrap(line, inner, s=s, size=small), ""]]
        h0 = ov.text_size("Ag", s=s, size=big)[1] + 6 * s
        h1 = ov.text_size("Ag", s=s, size=small)[1] + 4 * s
        total = len(head) * h0 + len(body) * h1 + 20 * s
        if total <= 0.9 * h or small < 0.3:
            break
        big, small = big * 0.85, small * 0.85
    y0 = max(0, (h - total) // 2)
    _panel(img, int(w * 0.03), y0, int(w * 0.97), y0 + total)
    y = y0 + 10 * s
    x = int(w * 0.06)
    for line in head:
        y += h0
        ov.put_text(img, line, (x, y), s=s, size=big)
    for line in body:
        y += h1
        ov.put_text(img, line, (x, y), s=s, size=small)
