"""What a video file really holds, stream by stream, read from its packets (no decoding).

OpenCV's frame count of a Matroska, WebM or fragmented MP4 file comes from the container's
duration, which is that of its LONGEST stream: an intact 16-s video with 40 s of audio
"claims" 400 frames at 10 fps. `scan_streams` demuxes the file once with the ffmpeg of
imageio-ffmpeg (``-c copy -f framecrc``: packets are read and listed, never decoded; about
0.05 s for a 3-MB clip) and says how many packets the video stream itself has, where it
ends, and where the file's data as a whole ends, so `stance.io.source` can tell a video
shorter than its audio (the data reaches the container's end) from a truncated file (every
stream stops early, or the demuxer reports the file ended prematurely).
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stance.io.ffmpeg import ffmpeg_exe

log = logging.getLogger(__name__)

SCAN_TIMEOUT_S = 300.0
"""Longest a scan may take (seconds); a scan that takes longer says nothing."""


@dataclass(frozen=True)
class StreamExtent:
    """The packets a file holds.

    Attributes:
        video_packets: packets (= frames) of the first video stream.
        video_end_s: end of the video stream's last packet (pts + duration), seconds.
        data_end_s: end of the last packet of any stream (video or audio), seconds.
        clean: the demuxer read to the end without an error (a cut file reports one).
    """

    video_packets: int
    video_end_s: float
    data_end_s: float
    clean: bool


def scan_streams(path: Path) -> StreamExtent | None:
    """The packets of ``path``'s first video stream and its audio streams, or None when
    ffmpeg cannot be run or lists nothing (the caller then keeps its own judgement)."""
    cmd = [
        ffmpeg_exe(),
        *("-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path)),
        *("-map", "0:V:0", "-map", "0:a?", "-c", "copy", "-f", "framecrc", "-"),
    ]
    try:
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=SCAN_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        log.info("stream scan of %s failed: %s", path, err)
        return None
    extent = parse_framecrc(result.stdout)
    if extent is None:
        return None
    clean = result.returncode == 0 and not result.stderr.strip()
    return StreamExtent(extent.video_packets, extent.video_end_s, extent.data_end_s, clean)


def parse_framecrc(text: str) -> StreamExtent | None:
    """The extent listed in ffmpeg ``framecrc`` output whose stream 0 is the video stream
    (``#tb N: a/b`` headers, then ``stream, dts, pts, duration, size, crc`` lines); None when
    no video packet is listed. ``clean`` is left True: the caller knows how ffmpeg ended."""
    time_base: dict[int, Fraction] = {}
    video_packets = 0
    video_end = data_end = Fraction(0)
    for line in text.splitlines():
        if line.startswith("#tb "):
            key, _, value = line[4:].partition(":")
            try:
                time_base[int(key)] = Fraction(value.strip())
            except (ValueError, ZeroDivisionError):
                continue
            continue
        if line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        try:
            stream, pts, duration = int(fields[0]), int(fields[2]), int(fields[3])
        except (IndexError, ValueError):
            continue
        tb = time_base.get(stream)
        if tb is None or pts < 0:
            continue
        end = (pts + max(duration, 0)) * tb
        data_end = max(data_end, end)
        if stream == 0:
            video_packets += 1
            video_end = max(video_end, end)
    if video_packets == 0:
        return None
    return StreamExtent(video_packets, float(video_end), float(data_end), True)
