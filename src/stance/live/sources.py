"""Camera, file and window I/O of `stance live`: frame sources at camera pace, a one-item
mailbox between threads, and the OpenCV window."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from stance.core.errors import BadInputError
from stance.io.source import Frame

WINDOW = "stance live"
KEY_QUIT = (ord("q"), 27)
CAMERA_PROBE = 10
"""Camera indices tried when listing the cameras that can be opened."""

T = TypeVar("T")


class Latest(Generic[T]):
    """A one-item mailbox: `put` replaces what was not taken yet (counted as dropped)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()

    @property
    def empty(self) -> bool:
        return self._item is None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> T | None:
        """The newest item (waits for one); None when closed and empty, or on timeout."""
        with self._cond:
            if self._item is None and not self._closed and timeout != 0:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item


@dataclass(frozen=True)
class Captured:
    """A frame as read: the frame (upright, unmirrored) and `perf_counter()` at reading."""

    frame: Frame
    wall: float


def _open_camera(index: int) -> Any:
    """`cv2.VideoCapture(index)` without OpenCV's own log lines for an absent camera (the
    caller says what is wrong in one line)."""
    import cv2

    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        return cv2.VideoCapture(index)
    finally:
        logging.setLogLevel(level)


def openable_cameras(limit: int = CAMERA_PROBE) -> list[int]:
    """Indices of the cameras that open and deliver a frame."""
    found = []
    for i in range(limit):
        if sys.platform.startswith("linux") and not Path(f"/dev/video{i}").exists():
            continue
        cap = _open_camera(i)
        try:
            if cap.isOpened() and cap.read()[0]:
                found.append(i)
        finally:
            cap.release()
    return found


def _camera_error(index: int) -> BadInputError:
    cams = openable_cameras()
    listed = ", ".join(str(i) for i in cams) if cams else "none"
    return BadInputError(
        f"Camera {index} could not be opened (absent, or busy in another program). "
        f"Cameras that can be opened: {listed}. Choose one with --camera N, or run the test "
        "on a recorded video with --source FILE."
    )


def camera_frames(index: int, width: int, height: int) -> tuple[Iterator[Frame], float]:
    """Frames from camera ``index`` (timestamps: seconds since opening) and its frame rate."""
    import cv2

    cap = _open_camera(index)
    if not cap.isOpened():
        cap.release()
        raise _camera_error(index)
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    ok, first = cap.read()
    if not ok:
        cap.release()
        raise _camera_error(index)
    t0 = time.perf_counter()

    def gen() -> Iterator[Frame]:
        try:
            yield Frame(0, 0.0, first)
            n = 1
            while True:
                ok, img = cap.read()
                if not ok:
                    return
                yield Frame(n, time.perf_counter() - t0, img)
                n += 1
        finally:
            cap.release()

    return gen(), fps if 1.0 <= fps <= 240.0 else 30.0


def paced(frames: Iterator[Frame], *, stop: threading.Event) -> Iterator[Frame]:
    """A file's frames at their real pace: each is released at its timestamp (wall clock
    from the first one); a frame already a frame interval late is skipped, as a camera
    would have moved on."""
    start: float | None = None
    t_first = 0.0
    prev_t: float | None = None
    for f in frames:
        if stop.is_set():
            return
        if start is None:
            start, t_first = time.perf_counter(), f.t_s
        due = start + (f.t_s - t_first)
        now = time.perf_counter()
        interval = f.t_s - prev_t if prev_t is not None else 0.0
        prev_t = f.t_s
        if now > due + max(interval, 1e-3):
            continue  # late: dropped
        if due > now:
            time.sleep(due - now)
        yield f


def close_frames(frames: Iterator[Frame]) -> None:
    """Close a frame generator (releases the camera or the file)."""
    close = getattr(frames, "close", None)
    if close is not None:
        close()


class Window:
    """An OpenCV window; refuses clearly when there is no display."""

    def __init__(self) -> None:
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            raise BadInputError(
                "No display to open a window on. Use --headless OUT.mp4 to write what would "
                "be shown to a video file instead."
            )
        import cv2

        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        self._sized = False

    def show(self, img: np.ndarray, title: str | None = None) -> None:
        import cv2

        if title is not None:
            cv2.setWindowTitle(WINDOW, title)
        if not self._sized:
            cv2.resizeWindow(WINDOW, img.shape[1], img.shape[0])
            self._sized = True
        cv2.imshow(WINDOW, img)

    def key(self) -> int:
        import cv2

        return int(cv2.waitKey(1))

    def wait_for_quit(self, timeout_s: float = 600.0) -> None:
        import cv2

        end = time.perf_counter() + timeout_s
        while time.perf_counter() < end:
            k = cv2.waitKey(50)
            if k >= 0 and (k & 0xFF) in (*KEY_QUIT, ord("\r"), ord("\n")):
                return
            if cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                return

    def close(self) -> None:
        import cv2

        cv2.destroyWindow(WINDOW)
        cv2.waitKey(1)
