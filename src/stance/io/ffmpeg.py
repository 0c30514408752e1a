"""Running the ffmpeg that ``imageio-ffmpeg`` ships (there may be no system ffmpeg).

Used to remux and re-encode written videos (:mod:`stance.io.video_writer`); the test and
harness helpers that make clip variants with it live in ``tests/videotools.py``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from stance.core.errors import NoSpaceError, StanceError

STDERR_TAIL = 1500  # characters of ffmpeg's stderr quoted in errors


class FfmpegError(StanceError):
    """ffmpeg exited with an error (writing a video failed: exit 1, as an internal error);
    the message ends with the tail of its stderr."""


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


NO_SPACE_TEXT = "No space left on device"
"""What ffmpeg prints (strerror of ENOSPC) when its output's disk is full."""


def run_ffmpeg(args: Sequence[str], *, timeout_s: float = 600.0) -> None:
    """Run ``ffmpeg -y -hide_banner -nostdin -loglevel error <args>``.

    Raises:
        NoSpaceError: ffmpeg stopped because its output's disk is full (the last argument
            is taken to be the output).
        FfmpegError: ffmpeg failed otherwise, or timed out (message includes the tail of
            stderr).
    """
    cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    try:
        result = subprocess.run(
            cmd, capture_output=True, text=True, errors="replace", timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise FfmpegError(f"ffmpeg timed out after {timeout_s:.0f} s: {' '.join(cmd)}") from exc
    if result.returncode != 0:
        if NO_SPACE_TEXT in result.stderr or "Disk quota exceeded" in result.stderr:
            from pathlib import Path

            from stance.core.atomic import no_space_message

            raise NoSpaceError(no_space_message(Path(args[-1])))
        tail = result.stderr.strip()[-STDERR_TAIL:]
        raise FfmpegError(
            f"ffmpeg failed (exit {result.returncode}): {' '.join(cmd)}\n"
            f"--- stderr tail ---\n{tail}"
        )
