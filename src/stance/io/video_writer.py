"""Writing H.264 MP4 files (browser-playable), atomically, from BGR frames.

Used for `analyze --annotated`, `live --headless` and `live --record`. Encoding goes through
the ffmpeg binary of imageio-ffmpeg (no system ffmpeg needed). The file appears at its
path only when `close()` succeeds; an error or an interruption leaves nothing there.

A full disk stops ffmpeg, which our side sees as a broken pipe (or as a file without its
index when the disk fills at the end): either becomes one line, `NoSpaceError` (exit 5) when
the disk is full, else `FfmpegError`, with the temporary file removed.
"""

from __future__ import annotations

import errno
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from stance.core.atomic import (
    LOW_SPACE,
    NO_SPACE_ERRNOS,
    errno_in_chain,
    free_space,
    move_into_place,
    no_space_message,
    target_problem,
    temp_beside,
)
from stance.core.errors import NoSpaceError
from stance.io.ffmpeg import FfmpegError

CRF = 23
"""x264 constant rate factor: 23 is ffmpeg's default, visually clean at modest size."""


def mp4_target_problem(path: Path, option: str) -> str | None:
    """Why ``path`` cannot take an MP4 written for ``option`` (one line), or None if it can."""
    if path.suffix.lower() != ".mp4" and not path.is_dir():
        return f"{option} {path}: the video is an MP4: give a file name ending in .mp4."
    return target_problem(path, option)


def even(img: np.ndarray) -> np.ndarray:
    """``img`` padded by one replicated row/column where its height/width is odd (yuv420p)."""
    h, w = img.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return img
    return np.pad(img, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


class H264Writer:
    """An MP4 (H.264, yuv420p, +faststart) at a constant ``fps``; frames are (H, W, 3) BGR
    uint8 of one size (odd sizes are padded by a pixel). Use as a context manager."""

    def __init__(self, path: Path, fps: float, *, preset: str = "veryfast", crf: int = CRF):
        self.path = Path(path)
        self.fps = float(fps)
        self.preset = preset
        self.crf = crf
        self.frames = 0
        self._writer: Any = None
        self._tmp: Path | None = None

    def write(self, image: np.ndarray) -> None:
        """Append one frame.

        Raises:
            NoSpaceError: the disk is full (ffmpeg stopped); FfmpegError: ffmpeg stopped.
        """
        img = even(image)
        with self._told():
            if self._writer is None:
                self._open(img.shape[1], img.shape[0])
            self._writer.send(np.ascontiguousarray(img))
        self.frames += 1

    @contextmanager
    def _told(self) -> Iterator[None]:
        """Turn ffmpeg stopping (a broken pipe, a full disk) into one line naming the path."""
        try:
            yield
        except NoSpaceError:
            raise NoSpaceError(no_space_message(self.path)) from None
        except OSError as err:
            raise encoder_stopped(self.path, err) from None

    def _open(self, width: int, height: int) -> None:
        import imageio_ffmpeg

        self._tmp = temp_beside(self.path, suffix=".mp4")
        self._writer = imageio_ffmpeg.write_frames(
            str(self._tmp),
            (width, height),
            pix_fmt_in="bgr24",
            pix_fmt_out="yuv420p",
            fps=self.fps,
            codec="libx264",
            quality=None,
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=[
                *("-preset", self.preset, "-crf", str(self.crf)),
                "-movflags",
                "+faststart",
            ],
        )
        self._writer.send(None)

    def close(self, real_fps: float | None = None) -> None:
        """Finish the file and move it into place (nothing is written if no frame came).

        ``real_fps``: the rate the frames really came at (a camera's measured rate), when it
        differs from the ``fps`` the file was opened with; the timestamps are rescaled to it.
        """
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        assert self._tmp is not None
        try:
            with self._told():
                writer.close()
                if not mp4_complete(self._tmp):
                    # ffmpeg exits quietly when it cannot finish the file (its index)
                    raise OSError(errno.EPIPE, "the encoder did not finish the file")
                if real_fps is not None and real_fps > 0 and abs(self.fps / real_fps - 1) > 1e-6:
                    retime(self._tmp, self.fps / real_fps)
                move_into_place(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)

    def abort(self) -> None:
        """Stop and leave nothing at the path."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                writer.close()
            finally:
                if self._tmp is not None:
                    self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def encoder_stopped(path: Path, err: OSError) -> NoSpaceError | FfmpegError:
    """The error to raise when ffmpeg stopped writing ``path`` (``err``: what our side saw):
    `NoSpaceError` when the disk is full (``ENOSPC``, or a broken pipe with less than
    ``LOW_SPACE`` left), else `FfmpegError`; each one line."""
    free = free_space(path.parent)
    if errno_in_chain(err, NO_SPACE_ERRNOS) or (free is not None and free < LOW_SPACE):
        return NoSpaceError(no_space_message(path))
    return FfmpegError(
        f"{path}: the video encoder (ffmpeg) stopped while writing it ({err.strerror or err}"
        "), so it was not written. Run it again; if it happens again, please report it."
    )


def mp4_complete(path: Path) -> bool:
    """True when the MP4 ``path`` is whole: its top-level boxes end exactly at the end of the
    file and one is the index (``moov``). Only box headers are read."""
    try:
        size = path.stat().st_size
        found, pos = False, 0
        with path.open("rb") as f:
            while pos < size:
                f.seek(pos)
                head = f.read(8)
                if len(head) < 8:
                    return False
                length, kind = struct.unpack(">I4s", head)
                if length == 1:
                    big = f.read(8)
                    if len(big) < 8:
                        return False
                    length = struct.unpack(">Q", big)[0]
                elif length == 0:
                    length = size - pos
                if length < 8:
                    return False
                found |= kind == b"moov"
                pos += length
        return found and pos == size
    except OSError:
        return False


def retime(video: Path, scale: float) -> None:
    """Multiply every timestamp of the MP4 ``video`` by ``scale`` in place (stream copy)."""
    from stance.io.ffmpeg import run_ffmpeg

    retimed = temp_beside(video, suffix=".retimed.mp4")
    k = f"{scale:.12g}"
    try:
        run_ffmpeg(
            [
                "-i", str(video),
                "-c", "copy",
                "-bsf:v", f"setts=pts=PTS*{k}:dts=DTS*{k}:duration=DURATION*{k}",
                "-movflags", "+faststart",
                str(retimed),
            ]
        )  # fmt: skip
        retimed.replace(video)
    finally:
        retimed.unlink(missing_ok=True)
