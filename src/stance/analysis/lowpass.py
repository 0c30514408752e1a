"""A second-order Butterworth low-pass in numpy: the few `scipy.signal` pieces the cleaning
step uses (``butter(2, ..., output="sos")``, ``sosfilt`` with ``sosfilt_zi``, ``sosfiltfilt``),
without importing `scipy.signal` (about 2 s of start-up on a 2-core machine).

One biquad section ``(b0, b1, b2, 1, a1, a2)``, run in direct form II transposed, the form and
the order of operations of scipy's ``sosfilt``; tests/test_lowpass.py compares every function
with scipy's.
"""

from __future__ import annotations

import math

import numpy as np


def butter2_lowpass(cutoff_hz: float, fs: float) -> np.ndarray:
    """(1, 6) second-order sections of a 2nd-order Butterworth low-pass at ``cutoff_hz`` for a
    sampling rate ``fs`` (Hz), as ``scipy.signal.butter(2, cutoff_hz, btype="low", fs=fs,
    output="sos")``: the analogue prototype's poles, pre-warped, through the bilinear
    transform, with the double zero at -1."""
    if not 0.0 < cutoff_hz < fs / 2.0:
        raise ValueError(f"cut-off {cutoff_hz} Hz must lie between 0 and fs/2 = {fs / 2} Hz")
    wn = 2.0 * cutoff_hz / fs  # normalised to Nyquist, as scipy does
    warped = 4.0 * math.tan(math.pi * wn / 2.0)  # 2 * fs' * tan(pi * Wn / fs') with fs' = 2
    p = warped * -np.exp(1j * math.pi * np.array([-1.0, 1.0]) / 4.0)  # prototype x warped
    k = warped**2
    pz = (4.0 + p) / (4.0 - p)
    kz = k * float(np.real(1.0 / np.prod(4.0 - p)))
    a1 = float(np.real(-(pz[0] + pz[1])))
    a2 = float(np.real(pz[0] * pz[1]))
    return np.array([[kz, 2.0 * kz, kz, 1.0, a1, a2]])


def sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """(1, 2) the filter state of a step response's steady state (``scipy.signal.sosfilt_zi``
    for one section): filtering ``x`` from ``zi * x[0]`` starts without a transient."""
    b0, b1, b2, _, a1, a2 = (float(v) for v in _section(sos))
    # zi = A zi + B with A the transposed companion matrix of a, B = b[1:] - a[1:] b[0].
    m = np.array([[1.0 + a1, -1.0], [a2, 1.0]])
    rhs = np.array([b1 - a1 * b0, b2 - a2 * b0])
    return np.linalg.solve(m, rhs)[None, :]


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filter the (N,) ``x`` from the (1, 2) state ``zi``: (output, final state), as
    ``scipy.signal.sosfilt(sos, x, zi=zi)``."""
    b0, b1, b2, _, a1, a2 = (float(v) for v in _section(sos))
    z0, z1 = (float(v) for v in np.asarray(zi, dtype=np.float64).reshape(2))
    xs = np.asarray(x, dtype=np.float64).tolist()
    out = [0.0] * len(xs)
    for n, xc in enumerate(xs):
        y = b0 * xc + z0
        z0 = b1 * xc - a1 * y + z1
        z1 = b2 * xc - a2 * y
        out[n] = y
    return np.array(out, dtype=np.float64), np.array([[z0, z1]])


def sosfiltfilt(sos: np.ndarray, x: np.ndarray, *, padlen: int) -> np.ndarray:
    """Zero-phase filtering of the (N,) ``x`` (forward, then backward) with odd extension by
    ``padlen`` samples at each end, as ``scipy.signal.sosfiltfilt(sos, x, padlen=padlen)``."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if not 0 <= padlen < n:
        raise ValueError(f"padlen {padlen} must be at least 0 and less than len(x) = {n}")
    if padlen:
        left = 2.0 * x[0] - x[padlen:0:-1]
        right = 2.0 * x[-1] - x[-2 : -(padlen + 2) : -1]
        ext = np.concatenate([left, x, right])
    else:
        ext = x
    zi = sosfilt_zi(sos)
    y, _ = sosfilt(sos, ext, zi * ext[0])
    y, _ = sosfilt(sos, y[::-1], zi * y[-1])
    y = y[::-1]
    return np.ascontiguousarray(y[padlen : padlen + n])


def _section(sos: np.ndarray) -> np.ndarray:
    sos = np.asarray(sos, dtype=np.float64)
    if sos.shape != (1, 6) or sos[0, 3] != 1.0:
        raise ValueError(f"one normalised second-order section expected, got {sos.shape}")
    return np.asarray(sos[0])
