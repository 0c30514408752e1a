"""How high each foot is in the image, from its pixels, not from where the pose model puts it.

Why: in loose or armoured trousers the pose model can leave a lifted foot and knee where they
stood (a game character lifting each foot 14-16 cm with the hip flexed 45 degrees read 0.02
leg lengths on one side: "one side was not tested"), yet the boot itself has plainly moved up
in the picture. This observer follows each foot's own patch of image.

Method (one parameter set for every clip):

1. Reference. On the first frame where both feet are seen level (ankles within ``level`` leg
   lengths along the body's vertical, as in quiet stance), a patch around each foot is kept:
   from ``patch_top`` leg lengths above the ankle (the lower shin) to ``patch_bottom`` below
   the lowest foot point, ``half_width`` to either side of the foot's landmarks (a foot seen
   from the front is about 0.12 leg lengths wide); grey, lightly blurred, scaled so
   that a leg is ``LEG_PX`` pixels (the cost does not grow with the video's size).
2. Per frame, each patch is searched (normalised cross-correlation) from ``search_up`` leg
   lengths above to ``search_down`` below where it was, ``search_side`` to either side. Its
   rise is its upward displacement in leg lengths; where the best match scores under
   ``min_score`` the rise is not trusted (the foot turned, left the window, or is hidden).
3. The reference is dropped when the hips move sideways by more than ``moved`` leg lengths
   (the person stepped elsewhere) or neither foot is found (a cut to another shot), and
   taken again at the next level stance.

Output: per observed frame the rise of each foot and its match score. The segmentation
(`stance.analysis.segment.foot_lift`, through `stance.analysis.foot_rise.pixels_apply`)
uses the difference of the two rises only where the pose model's own feet and knees show no
lift, for a second or more, and never against a lift they show; moving the camera moves both
patches alike and cancels in the difference. OpenCV is imported lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stance.analysis.foot_rise import FootRise
from stance.core.track import LM, Side

LEG_PX = 200.0
"""A leg (hip joint to ankle) in the tracker's working scale, pixels."""

_FOOT = ("ankle", "heel", "foot_index")


@dataclass(frozen=True)
class FootParams:
    """`FootTracker`'s parameters, in leg lengths (hip joint to ankle) unless said."""

    level: float = 0.03
    patch_top: float = 0.15
    patch_bottom: float = 0.03
    half_width: float = 0.07
    search_up: float = 0.4
    search_down: float = 0.06
    search_side: float = 0.1
    min_score: float = 0.6
    moved: float = 0.3


@dataclass
class _Reference:
    patches: dict[Side, np.ndarray]  # grey float32 at the working scale
    corners: dict[Side, tuple[int, int]]  # top-left (x, y) in frame pixels
    scale: float  # working pixels per frame pixel
    leg_px: float  # frame pixels
    hips_x: float


class FootTracker:
    """Observer of the pose pass (`stance.vision.landmarker.FrameObserver`): the rise of each
    foot in the image. One per clip; `result` after the pass."""

    def __init__(self, params: FootParams = FootParams()) -> None:
        self.params = params
        self._t: list[float] = []
        self._rise: list[tuple[float, float]] = []
        self._score: list[tuple[float, float]] = []
        self._ref: _Reference | None = None

    def observe(self, frame: Any, xy: np.ndarray | None) -> None:
        """One analysed frame (``frame.t_s``, ``frame.image`` BGR) and the subject's (33, 2)
        landmarks in pixels (or None)."""
        self._t.append(float(frame.t_s))
        rise, score = (math.nan, math.nan), (0.0, 0.0)
        pts = None if xy is None else np.asarray(xy, dtype=np.float64)
        if pts is not None and self._ref is not None and self._moved(pts, self._ref):
            self._ref = None
        if pts is not None and self._ref is None:
            self._ref = self._reference(frame.image, pts)
            if self._ref is not None:
                rise, score = (0.0, 0.0), (1.0, 1.0)
        elif self._ref is not None:
            rise, score = self._measure(frame.image, self._ref)
            if max(score) < self.params.min_score:  # neither foot found: a cut, a new scene
                self._ref = None
        self._rise.append(rise)
        self._score.append(score)

    def result(self) -> FootRise:
        rise = np.asarray(self._rise, dtype=np.float64).reshape(-1, 2)
        score = np.asarray(self._score, dtype=np.float64).reshape(-1, 2)
        return FootRise(
            t_s=np.asarray(self._t, dtype=np.float64),
            left=rise[:, 0],
            right=rise[:, 1],
            score_left=score[:, 0],
            score_right=score[:, 1],
            min_score=self.params.min_score,
        )

    # ------------------------------------------------------------------ internals
    def _leg_px(self, pts: np.ndarray) -> float:
        lengths = [
            float(np.linalg.norm(pts[LM.of(s, "hip")] - pts[LM.of(s, "ankle")])) for s in Side
        ]
        return max(lengths) if all(math.isfinite(v) for v in lengths) else math.nan

    def _moved(self, pts: np.ndarray, ref: _Reference) -> bool:
        return bool(abs(_hips_x(pts) - ref.hips_x) > self.params.moved * ref.leg_px)

    def _reference(self, image: np.ndarray, pts: np.ndarray) -> _Reference | None:
        """Patches of both feet on this frame, if both are seen level; else None."""
        p = self.params
        leg = self._leg_px(pts)
        feet = {s: pts[[LM.of(s, part) for part in _FOOT]] for s in Side}
        seen = all(np.isfinite(f).all() for f in feet.values())
        if not seen or not math.isfinite(leg) or leg < 20:
            return None
        ankles = feet[Side.LEFT][0, 1] - feet[Side.RIGHT][0, 1]
        if abs(ankles) > p.level * leg:
            return None
        scale = min(1.0, LEG_PX / leg)
        h, w = image.shape[:2]
        patches, corners = {}, {}
        for s, f in feet.items():
            centre = float(f[:, 0].mean())
            x0 = math.floor(centre - p.half_width * leg)
            x1 = math.ceil(centre + p.half_width * leg)
            y0 = math.floor(f[0, 1] - p.patch_top * leg)
            y1 = math.ceil(f[:, 1].max() + p.patch_bottom * leg)
            if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
                return None
            patches[s] = _scaled(_grey(image[y0:y1, x0:x1]), scale)
            corners[s] = (x0, y0)
        return _Reference(patches, corners, scale, leg, _hips_x(pts))

    def _measure(
        self, image: np.ndarray, ref: _Reference
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        import cv2

        p = self.params
        h, w = image.shape[:2]
        out: dict[Side, tuple[float, float]] = {}
        for s in Side:
            patch, (x0, y0) = ref.patches[s], ref.corners[s]
            ph, pw = (round(v / ref.scale) for v in patch.shape)
            up, down = round(p.search_up * ref.leg_px), round(p.search_down * ref.leg_px)
            side = round(p.search_side * ref.leg_px)
            wx0, wy0 = max(0, x0 - side), max(0, y0 - up)
            wx1, wy1 = min(w, x0 + pw + side), min(h, y0 + ph + down)
            if wx1 - wx0 < pw or wy1 - wy0 < ph:  # the frame no longer holds the patch
                out[s] = (math.nan, 0.0)
                continue
            window = _scaled(_grey(image[wy0:wy1, wx0:wx1]), ref.scale)
            if window.shape[0] < patch.shape[0] or window.shape[1] < patch.shape[1]:
                out[s] = (math.nan, 0.0)
                continue
            r = cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED)
            _, best, _, (_, py) = cv2.minMaxLoc(r)
            found_y = wy0 + py / ref.scale
            rise = (y0 - found_y) / ref.leg_px
            out[s] = (rise, float(best))
        return (
            (out[Side.LEFT][0], out[Side.RIGHT][0]),
            (out[Side.LEFT][1], out[Side.RIGHT][1]),
        )


def _hips_x(pts: np.ndarray) -> float:
    """The hips' midpoint across the frame, pixels, from (33, 2) landmarks."""
    return float((pts[LM.LEFT_HIP, 0] + pts[LM.RIGHT_HIP, 0]) / 2.0)


def _grey(bgr: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2GRAY)


def _scaled(grey: np.ndarray, scale: float) -> np.ndarray:
    """``grey`` at ``scale`` (area-averaged), lightly blurred, float32."""
    import cv2

    if scale < 1.0:
        h, w = grey.shape
        grey = cv2.resize(
            grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    return cv2.GaussianBlur(grey.astype(np.float32), (3, 3), 0)
