"""Reading video files: probing, upright frames and per-frame timestamps.

Frames come out upright (phone rotation metadata applied), un-mirrored on request, as
(H, W, 3) uint8 BGR arrays, one at a time (memory stays flat in clip length). Timestamps
are seconds from the container, strictly increasing, so variable-frame-rate clips keep
their real timing.

Every unusable input raises :class:`~stance.core.errors.BadInputError` with one line saying
what is wrong and what to do. OpenCV is imported lazily, so importing this module is cheap.

Notes on OpenCV (5.0, FFmpeg backend), checked on clips made with ``-display_rotation``:

* ``CAP_PROP_ORIENTATION_AUTO`` is on by default and does rotate the frames;
  ``CAP_PROP_FRAME_WIDTH``/``HEIGHT`` then report the upright size.
  ``CAP_PROP_ORIENTATION_META`` is the CLOCKWISE rotation a player applies (the legacy
  ``rotate`` tag; a clip muxed with ffmpeg ``-display_rotation 90``, which is
  counter-clockwise, reports 270). Passing the property as an ``open()`` parameter makes
  the open fail, so it is set after opening; if it cannot be switched on, frames are
  rotated here with ``cv2.rotate``.
* ``CAP_PROP_POS_MSEC`` after ``grab()``/``read()`` is the presentation time of the frame
  just grabbed (the first frame reads 0), relative to the stream start; it follows the
  real pts on variable-frame-rate clips.
"""

from __future__ import annotations

import math
import os
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stance.core.errors import BadInputError
from stance.io.file_kind import check_exists, diagnose_open_failure, still_image_kind

if TYPE_CHECKING:
    import cv2

#: A clip is reported as truncated/corrupt when fewer than this fraction of the frames the
#: container claims decode AND the decoded frames stop before this fraction of its duration.
TRUNCATION_FRACTION = 0.9

#: Frame rate assumed when the container states none (frames per second).
FALLBACK_FPS = 30.0

#: Let OpenCV apply rotation metadata (CAP_PROP_ORIENTATION_AUTO). When False, or when
#: OpenCV cannot, frames are rotated here with cv2.rotate (same result; tests use both).
OPENCV_ORIENTS = True

#: Slack on ``max_fps`` decimation, as a fraction of the output period, that absorbs
#: timestamp jitter (consecutive yielded frames are >= (1 - slack) / max_fps apart).
DECIMATION_SLACK = 0.05


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (sizes are of the UPRIGHT frame).

    Attributes:
        path: the file path as given.
        width: upright frame width in pixels (after rotation metadata).
        height: upright frame height in pixels (after rotation metadata).
        fps_nominal: frame rate the container claims, frames per second
            (``FALLBACK_FPS`` when it claims none).
        n_frames: frame count the container claims (may be an estimate; 0 when unknown).
        duration_s: ``n_frames / fps_nominal`` in seconds (0 when unknown).
        rotation_deg: clockwise rotation metadata applied to get upright frames
            (0, 90, 180 or 270).
        codec: the codec's fourcc or name (e.g. ``"h264"``), ``"unknown"`` if not stated.
    """

    path: str
    width: int
    height: int
    fps_nominal: float
    n_frames: int
    duration_s: float
    rotation_deg: int
    codec: str


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        index: 0-based position of the frame in the file (skipped frames count too).
        t_s: presentation time in seconds from the stream start; strictly increasing.
        image: (H, W, 3) uint8 BGR, upright and un-mirrored.
        model_input: the image as the pose model takes it, when it was made beside the
            decoding (`stance.vision.landmarker.model_input`, in `stance.pipeline.run_pose`'s
            decoding thread), else None.
    """

    index: int
    t_s: float
    image: np.ndarray
    model_input: Any = None


@dataclass
class _Opened:
    """An open, checked capture positioned after its first frame."""

    cap: cv2.VideoCapture
    info: VideoInfo
    rotate_code: int | None  # cv2.rotate code still to apply here, None if OpenCV did it
    first_image: np.ndarray  # already rotated
    first_t_s: float
    file: Path  # the file opened (``info.path`` is the path as given, for messages)


def probe_video(path: str | Path) -> VideoInfo:
    """Check that ``path`` is a decodable video and return what its container says.

    Runs the cheap checks (exists, is a non-empty file, opens, has frames, has a size)
    and decodes the first frame.

    Raises:
        BadInputError: the path is missing, not a file, empty, not a video, or corrupt.
    """
    opened = _open_checked(path)
    opened.cap.release()
    return opened.info


def iter_frames(
    path: str | Path,
    *,
    mirrored: bool = False,
    max_fps: float | None = None,
    threads: int | None = None,
) -> Generator[Frame, None, None]:
    """Stream the frames of a video, upright and un-mirrored, with container timestamps.

    The file is opened and checked at call time (bad input raises here); frames are then
    decoded one at a time as the returned generator is consumed, and the capture is
    released when it finishes or is closed (a generator never started releases it when
    garbage-collected).

    Args:
        path: the video file.
        mirrored: the recording is a mirrored selfie: flip every frame horizontally so
            the result is the true (unmirrored) image.
        max_fps: if given (frames per second, > 0), yield a frame only when at least
            ``1 / max_fps`` seconds (less ``DECIMATION_SLACK`` of it, for jitter) have
            passed since the last yielded one, chosen by timestamp so variable-frame-rate
            clips decimate correctly. The first frame is always yielded.
        threads: decoding threads (FFmpeg's); None = FFmpeg's choice (one per core). With 1,
            the frames are decoded in the thread that iterates.

    Raises:
        BadInputError: unusable file or option; also raised at the END of the stream when
            far fewer frames decode than the container claims (truncated/corrupt file).
    """
    if max_fps is not None and not (math.isfinite(max_fps) and max_fps > 0):
        raise BadInputError(f"max_fps must be a positive frame rate (frames/s), got {max_fps}")
    opened = _open_checked(path, threads=threads)
    return _stream(opened, mirrored=mirrored, max_fps=max_fps)


def _stream(
    opened: _Opened, *, mirrored: bool, max_fps: float | None
) -> Generator[Frame, None, None]:
    """The generator behind :func:`iter_frames`; releases the capture in ``finally``."""
    import cv2

    cap, info = opened.cap, opened.info
    dt_fallback = 1.0 / info.fps_nominal
    min_gap = (1.0 - DECIMATION_SLACK) / max_fps if max_fps is not None else 0.0

    def finish(image: np.ndarray) -> np.ndarray:
        if opened.rotate_code is not None:
            image = cv2.rotate(image, opened.rotate_code)
        return cv2.flip(image, 1) if mirrored else image

    try:
        t_prev = opened.first_t_s
        t_kept = t_prev
        n_decoded = 1
        first = opened.first_image
        yield Frame(0, t_prev, cv2.flip(first, 1) if mirrored else first)
        while cap.grab():
            index = n_decoded
            n_decoded += 1
            t = _repair_time(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, t_prev, dt_fallback)
            t_prev = t
            if t - t_kept < min_gap:
                continue
            ok, image = cap.retrieve()
            if not ok or image is None or image.size == 0:
                continue
            t_kept = t
            yield Frame(index, t, finish(image))
        _check_complete(info, n_decoded, t_prev, opened.file)
    finally:
        cap.release()


def as_decoded(info: VideoInfo, decoded_s: float) -> VideoInfo:
    """``info`` with the frame count and duration of the video as decoded (``decoded_s``
    seconds, first frame to last plus one frame) where the container overstated them by more
    than ``1 - TRUNCATION_FRACTION``: a Matroska, WebM or fragmented MP4 file states its
    longest stream's duration, so a 16-s video with 40 s of audio claims 40 s. Otherwise
    ``info`` unchanged (its claims are close enough, and exact for MP4 and MOV)."""
    if info.duration_s <= 0 or decoded_s <= 0 or decoded_s >= TRUNCATION_FRACTION * info.duration_s:
        return info
    return replace(info, n_frames=round(decoded_s * info.fps_nominal), duration_s=decoded_s)


def _repair_time(raw_s: float, prev_s: float | None, dt_fallback_s: float) -> float:
    """A strictly increasing timestamp in seconds from the container's ``raw_s``.

    Unusable (non-finite or negative) or non-increasing values become the previous
    timestamp plus one nominal frame period; with no usable timestamps at all this gives
    ``index / fps``.
    """
    usable = math.isfinite(raw_s) and raw_s >= 0.0
    if prev_s is None:
        return raw_s if usable else 0.0
    if not usable or raw_s <= prev_s:
        return prev_s + dt_fallback_s
    return raw_s


def _check_complete(
    info: VideoInfo, n_decoded: int, t_last_s: float, file: Path | None = None
) -> None:
    """Raise if decoding stopped far short of what the container claims (truncated file).

    Both the count and the time must fall short, so frame-count estimates that are a
    little (or, for variable frame rates, a lot) off do not misfire. A Matroska, WebM or
    fragmented MP4 file claims the duration of its longest stream: when its audio runs on
    past the video, the video's own packets decide (`_video_shorter_than_file`; not asked
    when ``file`` is None).
    """
    if info.n_frames <= 0 or info.duration_s <= 0:
        return
    few_frames = n_decoded < TRUNCATION_FRACTION * info.n_frames
    stopped_early = t_last_s + 1.0 / info.fps_nominal < TRUNCATION_FRACTION * info.duration_s
    if not (few_frames and stopped_early):
        return
    if file is None or not _video_shorter_than_file(info, n_decoded, file):
        raise BadInputError(
            f"{info.path}: the video looks truncated or corrupt: only {n_decoded} of "
            f"{info.n_frames} frames decoded (stopped at {t_last_s:.1f} s of "
            f"{info.duration_s:.1f} s). Copy or export the original file again."
        )


def _video_shorter_than_file(info: VideoInfo, n_decoded: int, file: Path) -> bool:
    """True when the file is whole and only its video stream is shorter than the container
    says: the demuxer reads it to the end without an error, its data (the audio) reaches the
    container's duration, and nearly all of the video stream's own packets decoded. Checked
    only when decoding fell short, so a normal clip is never scanned."""
    from stance.io.stream_scan import scan_streams

    extent = scan_streams(file)
    if extent is None:
        return False
    whole = extent.clean and extent.data_end_s >= TRUNCATION_FRACTION * info.duration_s
    return whole and n_decoded >= TRUNCATION_FRACTION * extent.video_packets


def _open_checked(path: str | Path, *, threads: int | None = None) -> _Opened:
    """Open ``path`` with OpenCV's FFmpeg backend (``threads`` decoding threads, None = its
    default), run every check, read the first frame."""
    import cv2

    p = Path(path).expanduser()
    shown = str(path)
    check_exists(p, shown)
    if p.is_dir():
        raise BadInputError(f"{shown}: this is a directory, not a video file. Pass a video file.")
    if not p.is_file():
        raise BadInputError(f"{shown}: this is not a regular file. Pass a video file.")
    if not os.access(p, os.R_OK):
        raise BadInputError(f"{shown}: cannot be read (permission denied). Fix its permissions.")
    if p.stat().st_size == 0:
        raise BadInputError(
            f"{shown}: the file is empty (0 bytes); the recording or copy failed. "
            "Record or copy it again."
        )

    try:
        str(p).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInputError(
            f"{shown.encode('utf-8', 'replace').decode()}: the file name is not valid UTF-8, "
            "which the video decoder cannot open. Rename the file."
        ) from None
    still = still_image_kind(p)
    if still is not None:
        raise BadInputError(
            f"{shown}: this is a still image ({still}), not a video. The test is a movement: "
            "record a video of it (stand on both feet, lift one foot and hold, then the other)."
        )

    params = [] if threads is None else [cv2.CAP_PROP_N_THREADS, max(1, threads)]
    cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG, params)
    try:
        if not cap.isOpened():
            raise BadInputError(f"{shown}: {diagnose_open_failure(p)}")
        opened = _inspect(cap, shown, p)
    except BaseException:
        cap.release()
        raise
    return opened


def _inspect(cap: cv2.VideoCapture, shown: str, file: Path) -> _Opened:
    """Read the container's claims and the first frame; decide who applies rotation."""
    import cv2

    # Must be set after open (as an open() parameter it makes the open fail).
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1 if OPENCV_ORIENTS else 0)
    auto = bool(cap.get(cv2.CAP_PROP_ORIENTATION_AUTO))
    rotation = _normalise_rotation(cap.get(cv2.CAP_PROP_ORIENTATION_META))
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if math.isfinite(fps) and 0 < fps < 10_000 else FALLBACK_FPS
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    n_frames = int(count) if math.isfinite(count) and count > 0 else 0
    claimed_w = cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    claimed_h = cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    if not (claimed_w > 0 and claimed_h > 0):
        raise BadInputError(
            f"{shown}: the video stream has no frame size; the file is corrupt or not a video."
        )

    ok, image = cap.read()
    if not ok or image is None or image.size == 0:
        if n_frames == 0:
            raise BadInputError(f"{shown}: the file contains no video frames.")
        raise BadInputError(
            f"{shown}: the file opens but its first frame cannot be decoded (corrupt, or an "
            "unsupported codec). Re-export it as an H.264 MP4."
        )
    first_t = _repair_time(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, None, 1.0 / fps)

    rotate_code = _rotate_code(rotation)
    if auto:
        # OpenCV says it rotates; trust it unless a 90/270 frame still has the stored
        # (un-swapped) shape while the claimed size is already swapped.
        h, w = image.shape[:2]
        not_rotated = (
            rotation in (90, 270) and w != h and (w, h) == (int(claimed_h), int(claimed_w))
        )
        if not not_rotated:
            rotate_code = None
    if rotate_code is not None:
        image = cv2.rotate(image, rotate_code)

    h, w = image.shape[:2]
    info = VideoInfo(
        path=shown,
        width=int(w),
        height=int(h),
        fps_nominal=float(fps),
        n_frames=n_frames,
        duration_s=n_frames / fps if n_frames else 0.0,
        rotation_deg=rotation,
        codec=_fourcc_name(cap.get(cv2.CAP_PROP_FOURCC)),
    )
    return _Opened(cap, info, rotate_code, image, first_t, file)


def _rotate_code(rotation: int) -> int | None:
    """The ``cv2.rotate`` code for a clockwise rotation in degrees (None for 0)."""
    import cv2

    codes = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    return codes.get(rotation)


def _normalise_rotation(meta: float) -> int:
    """Clockwise rotation in degrees rounded to 0/90/180/270 (0 if not stated)."""
    if not math.isfinite(meta):
        return 0
    return round(meta / 90.0) % 4 * 90


def _fourcc_name(value: Any) -> str:
    """The fourcc packed in OpenCV's float as text, e.g. ``"h264"``."""
    try:
        code = int(value)
        text = code.to_bytes(4, "little").decode("ascii", errors="ignore")
    except (TypeError, ValueError, OverflowError):
        return "unknown"
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text or "unknown"
