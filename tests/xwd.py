"""Screenshots of an Xvfb display for window tests: start Xvfb, grab with `xwd`, decode XWD."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest


def need_xvfb() -> None:
    """Skip the test where Xvfb, xwd or xdotool is missing (.ci/run installs them where it
    can)."""
    for tool in ("Xvfb", "xwd", "xdotool"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install xvfb x11-apps xdotool)")


@contextmanager
def xvfb(width: int = 1280, height: int = 960) -> Iterator[str]:
    """A private X display (``":N"``) for the duration of the block."""
    need_xvfb()
    for n in range(120, 160):
        if os.path.exists(f"/tmp/.X{n}-lock") or os.path.exists(f"/tmp/.X11-unix/X{n}"):
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if os.path.exists(f"/tmp/.X11-unix/X{n}"):
                break
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        if proc.poll() is None:
            try:
                yield f":{n}"
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            return
    pytest.skip("could not start Xvfb on any display :120-:159")


def need_opencv_window(display: str) -> None:
    """Skip where OpenCV's GUI backend cannot open a window on ``display`` at all (missing
    system libraries for its Qt); the product itself is what the calling test then checks."""
    import sys

    probe = (
        "import cv2, numpy as np; cv2.namedWindow('probe'); "
        "cv2.imshow('probe', np.zeros((20, 20, 3), np.uint8)); cv2.waitKey(50)"
    )
    env = {**os.environ, "DISPLAY": display}
    p = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    if p.returncode != 0:
        pytest.skip(f"OpenCV cannot open a window under Xvfb here: {p.stderr[-300:]}")


def screenshot(display: str) -> np.ndarray:
    """The whole screen of ``display`` as (H, W, 3) uint8 BGR."""
    raw = subprocess.run(
        ["xwd", "-root", "-silent", "-display", display],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    return decode_xwd(raw)


def decode_xwd(raw: bytes) -> np.ndarray:
    """Decode a 24- or 32-bit-per-pixel TrueColor XWD image (what `xwd` writes for Xvfb)."""
    fields = struct.unpack(">25I", raw[:100])
    header_size, _, _, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    ncolors = fields[19]
    if bits_per_pixel not in (24, 32) or depth < 24:
        raise ValueError(f"unsupported XWD: {bits_per_pixel} bits per pixel, depth {depth}")
    nb = bits_per_pixel // 8
    start = header_size + 12 * ncolors
    px = np.frombuffer(raw[start : start + bytes_per_line * height], dtype=np.uint8)
    px = px.reshape(height, bytes_per_line)[:, : width * nb].reshape(height, width, nb)
    # LSBFirst (0): bytes are B, G, R[, X]; MSBFirst: [X,] R, G, B
    return np.ascontiguousarray(px[..., :3] if byte_order == 0 else px[..., nb - 1 : nb - 4 : -1])
