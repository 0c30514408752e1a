"""Is the picture lit well enough to measure? Brightness and contrast of the analysed frames.

Both image estimators of the pelvis read texture and garment edges, whose signal is the
image's contrast; the pose model also fails in the dark. A clip too dark (or too hazy, or
washed out) must be reported as such, not blamed on the clothes.

Per analysed frame (every ``STRIDE``-th pixel of every ``STRIDE``-th row, which is plenty for a
whole-frame statistic and costs about 0.1 ms on a 1080p frame): the mean and the standard
deviation of the luma (ITU-R BT.601 weights). A clip's values are their medians over its
frames, as fractions of full scale (0-1).

``MIN_CONTRAST`` was measured on the bundled sample clip darkened (luma scaled by k) and
flattened (luma pulled towards mid-grey by c): the pelvis was still measured, with the verdict
unchanged, at a median contrast of 11/255 (k = 0.3) and 7.5/255 (c = 0.2), and lost at 5.6/255
(k = 0.15) and 3.7/255 (c = 0.1), where the verdict blamed the clothes; at about 2/255 the pose
model found nobody. The threshold, 8/255 (3%), is rounded up from the gap between lost and
kept: a clip at 7.5/255 is refused although it was measured, rather than risk one that is
lost without saying why. Real footage and the rendered characters have median contrasts of
31-63/255, far above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from stance.io.source import Frame

STRIDE = 8
"""Pixel step of the subsample the statistics are taken on."""

MIN_CONTRAST = 8.0 / 255.0
"""Median luma standard deviation (fraction of full scale) below which a clip cannot be
measured (see the module docstring for how it was set)."""

DARK_BRIGHTNESS = 0.2
"""Median mean luma (fraction of full scale) below which a low-contrast clip is called too
dark rather than hazy or washed out (wording only)."""

_LUMA = np.array([0.114, 0.587, 0.299], dtype=np.float32)  # BT.601 weights for B, G, R


def frame_light(image: np.ndarray) -> tuple[float, float]:
    """(brightness, contrast) of one (H, W, 3) uint8 BGR image: the mean and the standard
    deviation of its luma, as fractions of full scale (0-1)."""
    luma = image[::STRIDE, ::STRIDE].astype(np.float32) @ _LUMA
    return float(luma.mean()) / 255.0, float(luma.std()) / 255.0


@dataclass(frozen=True)
class Lighting:
    """How a clip is lit.

    Attributes:
        brightness: median over the analysed frames of the mean luma, 0 (black) to 1 (white).
        contrast: median over the analysed frames of the luma's standard deviation, 0 to 0.5.
        n_frames: number of frames measured (0: unknown, both values NaN).
    """

    brightness: float
    contrast: float
    n_frames: int

    @property
    def too_poor(self) -> bool:
        """Too little contrast to measure (``MIN_CONTRAST``); False when unknown."""
        return self.n_frames > 0 and self.contrast < MIN_CONTRAST

    @property
    def dark(self) -> bool:
        """Dark rather than hazy (``DARK_BRIGHTNESS``)."""
        return self.n_frames > 0 and self.brightness < DARK_BRIGHTNESS


UNKNOWN_LIGHTING = Lighting(float("nan"), float("nan"), 0)


@dataclass
class LightMeter:
    """Frame observer (`stance.vision.landmarker.FrameObserver`) that measures every analysed
    frame."""

    brightness: list[float] = field(default_factory=list)
    contrast: list[float] = field(default_factory=list)

    def observe(self, frame: Frame, xy: np.ndarray | None) -> None:
        b, c = frame_light(frame.image)
        self.brightness.append(b)
        self.contrast.append(c)

    def result(self) -> Lighting:
        if not self.brightness:
            return UNKNOWN_LIGHTING
        return Lighting(
            brightness=float(np.median(self.brightness)),
            contrast=float(np.median(self.contrast)),
            n_frames=len(self.brightness),
        )
