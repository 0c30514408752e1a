"""ffmpeg helpers for the tests and the validation harness: make variants of a clip.

Uses the ffmpeg binary that ``imageio-ffmpeg`` ships (there may be no system ffmpeg).
That build has libx264, so outputs are H.264 (yuv420p) MP4 re-encodes.

Rotation conventions: ``rotate_deg`` turns the PIXELS clockwise as seen on screen (x right,
y down); ``rotation_meta`` is the CLOCKWISE display rotation stored as metadata, the value
OpenCV reports as ``CAP_PROP_ORIENTATION_META`` and :class:`stance.io.source.VideoInfo`
reports as ``rotation_deg`` (a phone held upright typically writes 90).
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stance.core.atomic import atomic_path, temp_beside
from stance.core.errors import BadInputError
from stance.io.ffmpeg import STDERR_TAIL, FfmpegError, ffmpeg_exe, run_ffmpeg

_Writer = Callable[[Path], None]  # writes an output file at the given path


def make_variant(
    src: str | Path,
    dst: str | Path,
    *,
    hflip: bool = False,
    rotate_deg: float = 0.0,
    rotation_meta: int = 0,
    height: int | None = None,
    fps: float | None = None,
    crf: int = 23,
    start_s: float | None = None,
    duration_s: float | None = None,
    keep_audio: bool = False,
) -> Path:
    """Re-encode ``src`` into an H.264 MP4 variant at ``dst``; returns ``dst``.

    Filters apply in this order: trim, frame rate, pixel rotation, mirror, downscale.
    Any rotation metadata of ``src`` is applied first (ffmpeg auto-rotates), so the
    variant's upright content is the source's upright content.

    Args:
        src: source video.
        dst: output path (.mp4). Written to a temporary name and renamed, so a failure
            leaves nothing at ``dst``.
        hflip: mirror the image horizontally (a selfie-style recording).
        rotate_deg: rotate the pixels clockwise by this many degrees (e.g. +-5, +-10),
            keeping the frame size and filling the corners with black.
        rotation_meta: 0, 90, 180 or 270: store the pixels turned that many degrees
            counter-clockwise plus clockwise display-rotation metadata, so a player (or
            OpenCV with auto-orientation) shows frames equal to the unrotated variant.
        height: downscale (or scale) to this height in pixels, keeping the aspect ratio
            (width rounded to even). Without it, odd sizes are trimmed to even.
        fps: new constant frame rate in frames per second (frames dropped or repeated).
        crf: x264 quality (0-51, lower is better; 23 is ffmpeg's default).
        start_s: start the output at this time of the source, seconds.
        duration_s: length of the output, seconds.
        keep_audio: copy the audio track (re-encoded AAC) instead of dropping it.

    Raises:
        BadInputError: missing source or an invalid option.
        FfmpegError: ffmpeg failed.
    """
    src_p, dst_p = _check_paths(src, dst)
    if rotation_meta % 360 not in (0, 90, 180, 270):
        raise BadInputError(f"rotation_meta must be 0, 90, 180 or 270, got {rotation_meta}")
    rotation_meta %= 360
    if not math.isfinite(rotate_deg):
        raise BadInputError(f"rotate_deg must be finite, got {rotate_deg}")
    if height is not None and height <= 0:
        raise BadInputError(f"height must be positive, got {height}")
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise BadInputError(f"fps must be positive, got {fps}")
    if not 0 <= crf <= 51:
        raise BadInputError(f"crf must be in 0..51, got {crf}")
    if start_s is not None and not (math.isfinite(start_s) and start_s >= 0):
        raise BadInputError(f"start_s must be >= 0, got {start_s}")
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
        raise BadInputError(f"duration_s must be positive, got {duration_s}")

    filters: list[str] = []
    if fps is not None:
        filters.append(f"fps={fps:.6g}")
    if rotate_deg:
        filters.append(f"rotate={math.radians(rotate_deg):.9f}:fillcolor=black")
    if hflip:
        filters.append("hflip")
    if height is not None:
        filters.append(f"scale=-2:{int(height)}")
    else:
        filters.append("scale=trunc(iw/2)*2:trunc(ih/2)*2")
    # Store the pixels turned the opposite way to the display rotation (clockwise meta).
    filters += {
        0: [],
        90: ["transpose=cclock"],
        180: ["hflip", "vflip"],
        270: ["transpose=clock"],
    }[rotation_meta]

    args: list[str] = []
    if start_s is not None:
        args += ["-ss", f"{start_s:.6f}"]
    args += ["-i", str(src_p)]
    if duration_s is not None:
        args += ["-t", f"{duration_s:.6f}"]
    args += ["-map", "0:v:0", "-vf", ",".join(filters)]
    args += _h264_args(crf)
    if keep_audio:
        args += ["-map", "0:a:0?", "-c:a", "aac"]
    else:
        args += ["-an"]

    def encode(out: Path) -> None:
        if rotation_meta == 0:
            run_ffmpeg([*args, str(out)])
            return
        # -display_rotation is an INPUT option (counter-clockwise degrees); set it on a
        # stream copy so ffmpeg does not auto-rotate the pixels back.
        plain = temp_beside(out, suffix=".tmp.mp4")
        try:
            run_ffmpeg([*args, str(plain)])
            ccw = (360 - rotation_meta) % 360
            run_ffmpeg(["-display_rotation", str(ccw), "-i", str(plain), "-c", "copy", str(out)])
        finally:
            plain.unlink(missing_ok=True)

    return _write_atomically(dst_p, encode)


def make_vfr_clip(
    src: str | Path,
    dst: str | Path,
    *,
    segment_s: float = 0.5,
    keep_every: int = 3,
    crf: int = 23,
) -> Path:
    """Make a variable-frame-rate MP4 from ``src``; returns ``dst``.

    Alternating segments of ``segment_s`` seconds keep every frame, then only every
    ``keep_every``-th frame; kept frames keep their source timestamps (real times), so the
    frame rate switches between the source rate and ``1 / keep_every`` of it.

    Raises:
        BadInputError: missing source or an invalid option.
        FfmpegError: ffmpeg failed.
    """
    src_p, dst_p = _check_paths(src, dst)
    if not (math.isfinite(segment_s) and segment_s > 0):
        raise BadInputError(f"segment_s must be positive, got {segment_s}")
    if keep_every < 1:
        raise BadInputError(f"keep_every must be >= 1, got {keep_every}")
    select = f"select='lt(mod(t,{2 * segment_s:.6g}),{segment_s:.6g})+not(mod(n,{keep_every}))'"
    args = [
        "-i",
        str(src_p),
        "-map",
        "0:v:0",
        "-vf",
        f"{select},scale=trunc(iw/2)*2:trunc(ih/2)*2",
        "-fps_mode",
        "vfr",
        *_h264_args(crf),
        "-an",
    ]
    return _write_atomically(dst_p, lambda out: run_ffmpeg([*args, str(out)]))


#: Frame-index code of :func:`make_pattern_clip`: bits, row (fraction of height) and
#: block half-size (fraction of width).
PATTERN_BITS = 10
_PATTERN_ROW = 0.85
_PATTERN_HALF = 0.03


def pattern_image(index: int, width: int = 160, height: int = 120) -> np.ndarray:
    """One synthetic test frame, (height, width, 3) uint8 BGR.

    Grey background; a wide red marker in the top-left corner (shows orientation and
    mirroring); ``index`` as ``PATTERN_BITS`` black/white blocks along the bottom (read
    back with :func:`read_pattern_index`).
    """
    image = np.full((height, width, 3), 96, dtype=np.uint8)
    image[int(0.06 * height) : int(0.22 * height), int(0.04 * width) : int(0.30 * width)] = (
        0,
        0,
        255,
    )
    half = max(2, round(_PATTERN_HALF * width))
    yc = round(_PATTERN_ROW * height)
    for k in range(PATTERN_BITS):
        xc = round((k + 1) / (PATTERN_BITS + 1) * width)
        value = 255 if (index >> k) & 1 else 0
        image[yc - half : yc + half, xc - half : xc + half] = value
    return image


def read_pattern_index(image: np.ndarray) -> int:
    """The frame index drawn by :func:`pattern_image` (upright, unmirrored, any scale)."""
    height, width = image.shape[:2]
    half = max(1, round(_PATTERN_HALF * width / 2))
    yc = round(_PATTERN_ROW * height)
    index = 0
    for k in range(PATTERN_BITS):
        xc = round((k + 1) / (PATTERN_BITS + 1) * width)
        patch = image[yc - half : yc + half, xc - half : xc + half]
        if float(patch.mean()) > 128.0:
            index |= 1 << k
    return index


def make_pattern_clip(
    dst: str | Path,
    *,
    n_frames: int = 60,
    fps: float = 30.0,
    width: int = 160,
    height: int = 120,
    crf: int = 18,
) -> Path:
    """Write a synthetic H.264 MP4 of :func:`pattern_image` frames 0..n_frames-1.

    Frames are piped to ffmpeg one at a time (memory flat in ``n_frames``).

    Raises:
        BadInputError: invalid option or missing output folder.
        FfmpegError: ffmpeg failed.
    """
    dst_p = Path(dst).expanduser()
    if not dst_p.parent.is_dir():
        raise BadInputError(f"{dst}: its folder does not exist.")
    if not 1 <= n_frames < 2**PATTERN_BITS:
        raise BadInputError(f"n_frames must be in 1..{2**PATTERN_BITS - 1}, got {n_frames}")
    if width % 2 or height % 2 or width < 32 or height < 32:
        raise BadInputError(f"width and height must be even and >= 32, got {width}x{height}")
    if not (math.isfinite(fps) and fps > 0):
        raise BadInputError(f"fps must be positive, got {fps}")

    def write(out: Path) -> None:
        cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error"]
        cmd += ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}"]
        cmd += ["-r", f"{fps:.6g}", "-i", "-", *_h264_args(crf), str(out)]
        with subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            assert proc.stdin is not None and proc.stderr is not None
            try:
                for i in range(n_frames):
                    proc.stdin.write(pattern_image(i, width, height).tobytes())
            except BrokenPipeError:
                pass
            proc.stdin.close()
            err = proc.stderr.read().decode("utf-8", errors="replace")
            code = proc.wait()
        if code != 0:
            raise FfmpegError(
                f"ffmpeg failed (exit {code}) writing {dst}\n"
                f"--- stderr tail ---\n{err.strip()[-STDERR_TAIL:]}"
            )

    return _write_atomically(dst_p, write)


def with_long_audio(src: str | Path, dst: str | Path, *, audio_s: float) -> Path:
    """Mux the video of ``src`` with a ``audio_s``-second tone (Opus) into ``dst``; the
    container follows ``dst``'s suffix: ``.mkv``, ``.webm`` (VP9, re-encoded) or ``.mp4``
    (fragmented, ``empty_moov``). The audio may run on past the video, as in a clip whose
    sound was kept after the picture stopped.

    Raises:
        BadInputError: missing source, bad ``audio_s`` or an unknown suffix.
        FfmpegError: ffmpeg failed.
    """
    src_p, dst_p = _check_paths(src, dst)
    if not (math.isfinite(audio_s) and audio_s > 0):
        raise BadInputError(f"audio_s must be positive, got {audio_s}")
    video = {
        ".mkv": ["-c:v", "copy"],
        ".webm": [
            *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"),
            *("-b:v", "300k"),
        ],
        ".mp4": ["-c:v", "copy", "-movflags", "frag_keyframe+empty_moov"],
    }.get(dst_p.suffix.lower())
    if video is None:
        raise BadInputError(f"{dst}: give a .mkv, .webm or .mp4 name.")

    def write(out: Path) -> None:
        run_ffmpeg(
            [
                *("-i", str(src_p), "-f", "lavfi", "-i", f"sine=frequency=440:duration={audio_s}"),
                *("-map", "0:v:0", "-map", "1:a", *video, "-c:a", "libopus"),
                *("-f", {".mkv": "matroska", ".webm": "webm", ".mp4": "mp4"}[dst_p.suffix.lower()]),
                str(out),
            ]
        )

    return _write_atomically(dst_p, write)


def _h264_args(crf: int) -> list[str]:
    """Output options for an H.264 yuv420p MP4 (the bundled ffmpeg has libx264)."""
    return [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(int(crf)),
        "-pix_fmt",
        "yuv420p",
    ]


def _check_paths(src: str | Path, dst: str | Path) -> tuple[Path, Path]:
    """Resolve and check the source exists and the output folder exists."""
    src_p, dst_p = Path(src).expanduser(), Path(dst).expanduser()
    if not src_p.is_file():
        raise BadInputError(f"{src}: no such video file.")
    if not dst_p.parent.is_dir():
        raise BadInputError(f"{dst}: its folder does not exist.")
    if src_p.resolve() == dst_p.resolve():
        raise BadInputError(f"{dst}: the output must differ from the source.")
    return src_p, dst_p


def _write_atomically(dst: Path, write: _Writer) -> Path:
    """Run ``write(temp)`` then rename the temp to ``dst``; remove the temp on failure."""
    with atomic_path(dst, suffix=".tmp" + dst.suffix) as tmp:
        write(tmp)
        if tmp.stat().st_size == 0:
            raise FfmpegError(f"ffmpeg wrote no output for {dst}")
    return dst
