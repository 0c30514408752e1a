"""How large each report file will be, estimated before it is written (the free-space check,
`stance.core.atomic.space_problem`).

The estimates are upper bounds of what was measured on the bundled sample (480x854, 160
frames analysed at 10 fps): JSON 7.7 KB, CSV 7.7 KB, HTML 1.4 MB (two key frames), annotated
MP4 0.62 MB (0.075 bits per pixel per frame at x264 CRF 23). Phone footage at 1080p encodes
at about 0.13 bits per pixel; the annotated estimate allows 0.25.
"""

from __future__ import annotations

JSON_BASE = 16 << 10
JSON_PER_FRAME = 64
"""JSON: 16 KiB plus 64 bytes per analysed frame (measured: 7.7 KB for 160 frames)."""

CSV_BASE = 1 << 10
CSV_PER_FRAME = 128
"""CSV: a header plus 128 bytes per analysed frame (measured: 48)."""

HTML_BYTES = 4 << 20
"""HTML: 4 MiB (measured: 1.4 MB with two key frames 420 pixels wide and the timeline)."""

VIDEO_BITS_PER_PIXEL = 0.25
VIDEO_BASE = 64 << 10
"""Annotated MP4: 0.25 bits per pixel per frame plus 64 KiB of headers and index."""


def json_bytes(analysed_frames: int) -> int:
    """Estimated size of the ``--json`` document, in bytes."""
    return JSON_BASE + JSON_PER_FRAME * max(analysed_frames, 0)


def csv_bytes(analysed_frames: int) -> int:
    """Estimated size of the ``--csv`` series, in bytes."""
    return CSV_BASE + CSV_PER_FRAME * max(analysed_frames, 0)


def html_bytes() -> int:
    """Estimated size of the ``--html`` page, in bytes."""
    return HTML_BYTES


def video_bytes(frames: int, width: int, height: int) -> int:
    """Estimated size of an H.264 MP4 of ``frames`` frames of ``width`` x ``height`` pixels
    (``--annotated``, live's ``--record`` and ``--headless``), in bytes."""
    bits = VIDEO_BITS_PER_PIXEL * max(frames, 0) * max(width, 0) * max(height, 0)
    return VIDEO_BASE + int(bits / 8)
