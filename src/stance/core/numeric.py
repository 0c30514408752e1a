"""Small numeric helpers shared by the measuring steps: statistics of the finite values."""

from __future__ import annotations

import math

import numpy as np


def finite_median(x: np.ndarray) -> float:
    """Median of the finite values of (N,) ``x``; NaN when there are none."""
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def finite_std(x: np.ndarray) -> float:
    """Sample standard deviation (ddof 1) of the finite values of (N,) ``x``; NaN for fewer
    than two."""
    x = x[np.isfinite(x)]
    return float(np.std(x, ddof=1)) if x.size >= 2 else math.nan


def finite_median_rows(p: np.ndarray) -> np.ndarray:
    """(2,) median of the rows of (N, 2) ``p`` whose both values are finite; NaN when none."""
    p = p[np.all(np.isfinite(p), axis=-1)]
    return np.median(p, axis=0) if p.shape[0] else np.full(2, np.nan)
