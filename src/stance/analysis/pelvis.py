"""Pelvis tilt estimators: one interface, so ``measure`` does not care how tilt is obtained.

Tilt convention (per frame, degrees, pixels with y down): POSITIVE when the person's LEFT side of
the pelvis is HIGHER in the image. For two points on the pelvis, the vector from the right one
to the left one gives ``tilt = degrees(atan2(-(yL - yR), xL - xR))``. In a non-mirrored frontal
view the person's left is on the image right, so a level pelvis reads about 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from stance.core.track import LM, PoseTrack

if TYPE_CHECKING:
    from stance.analysis.fuse import RangeModel  # fuse builds on this module, not the reverse


class Estimator(str, Enum):
    """The pelvic-drop estimators, the default first (docs/VALIDATION.md says why).

    ``FUSED`` combines the two image estimators by their uncertainties; ``PELVIS_IMAGE`` follows
    the waist-band texture and ``PELVIS_EDGE`` a garment or skin boundary line (both in
    ``stance.vision``); ``HIP_LINE`` is MediaPipe's hip landmarks, nearly blind to a real drop.
    The value is the name written in the JSON and accepted by ``--estimator``.
    """

    FUSED = "fused"
    PELVIS_IMAGE = "pelvis_image"
    PELVIS_EDGE = "pelvis_edge"
    HIP_LINE = "hip_line"

    def __str__(self) -> str:
        return self.value


IMAGE_EVIDENCE = (Estimator.PELVIS_IMAGE, Estimator.PELVIS_EDGE)
"""The image estimators that ``Estimator.FUSED`` combines, in order of preference."""


class PelvisEstimator(Protocol):
    """Anything that turns a track into a per-frame pelvis tilt."""

    @property
    def name(self) -> str:
        """Name of the method, reported with the results."""
        ...

    @property
    def range_model(self) -> RangeModel | None:
        """What validation showed the method cannot see (``stance.analysis.fuse``); None: the
        validated model of its ``name`` (``fuse.RANGE_MODELS``)."""
        ...

    def tilt_deg(self, track: PoseTrack) -> np.ndarray:
        """(T,) pelvis tilt in degrees (+ = person's LEFT side higher); NaN where unknown."""
        ...


def line_tilt_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(T,) tilt of the line from ``right`` (T, 2) to ``left`` (T, 2) pixel points, in degrees."""
    d = left - right
    return np.asarray(np.degrees(np.arctan2(-d[:, 1], d[:, 0])))


@dataclass(frozen=True)
class HipLineEstimator:
    """The line through MediaPipe's hip landmarks (23 left, 24 right).

    Known weakness (rendered avatars with exact truth, ``shared/avatar``): the lifted side's hip
    landmark rides up with the flexing thigh, so this line under-reads a real drop (slope ~0.2)
    and depends on how high the knee is lifted. It is the baseline estimator until an
    image-based one replaces it behind this same interface.
    """

    name: str = Estimator.HIP_LINE
    range_model: RangeModel | None = None

    def tilt_deg(self, track: PoseTrack) -> np.ndarray:
        return line_tilt_deg(track.point(LM.LEFT_HIP), track.point(LM.RIGHT_HIP))


@dataclass(frozen=True)
class PrecomputedTilt:
    """A per-frame tilt series computed elsewhere (e.g. from the images while decoding).

    Attributes:
        name: the name of the method that produced it (reported with the results).
        tilt: (T,) degrees, same convention and frames as the track it is used with.
        range_model: what validation showed the method cannot see (``stance.analysis.fuse``); None:
            the validated model of ``name`` (``fuse.RANGE_MODELS``).
    """

    name: str
    tilt: np.ndarray
    range_model: RangeModel | None = None

    def tilt_deg(self, track: PoseTrack) -> np.ndarray:
        if self.tilt.shape != (len(track),):
            raise ValueError(
                f"precomputed tilt has shape {self.tilt.shape}, the track has {len(track)} frames"
            )
        return np.asarray(self.tilt, dtype=float)


@dataclass(frozen=True)
class FusedTilt:
    """Several independent tilt series of the same frames, fused per trial by ``measure``.

    Each piece of evidence is measured on its own (baseline, hold, coverage, noise); the trial's
    drop is their uncertainty-weighted mean (see ``stance.analysis.fuse``). ``tilt_deg`` gives
    the first evidence that has values (for per-frame displays only).

    Attributes:
        name: the reported estimator name.
        evidence: the independent series, in order of preference.
    """

    name: str
    evidence: tuple[PrecomputedTilt, ...]
    range_model: RangeModel | None = None  # each piece of evidence carries its own

    def tilt_deg(self, track: PoseTrack) -> np.ndarray:
        for e in self.evidence:
            tilt = e.tilt_deg(track)
            if np.isfinite(tilt).any():
                return tilt
        return np.full(len(track), np.nan)
