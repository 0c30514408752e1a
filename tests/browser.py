"""Headless Chromium screenshots of HTML pages, for the report tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed at /usr/bin/chromium"
)


def screenshot_page(page: Path, work: Path, *, width: int, height: int) -> np.ndarray:
    """Render ``page`` in headless Chromium (no network features) at ``width`` x ``height``
    and return the screenshot as (H, W, 3) BGR; ``work`` holds the profile and the PNG."""
    import cv2

    shot = work / "shot.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={work / 'chromium-profile'}",
            f"--screenshot={shot}",
            f"--window-size={width},{height}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    img = cv2.imread(str(shot))
    assert img is not None, "chromium wrote no screenshot"
    return img
