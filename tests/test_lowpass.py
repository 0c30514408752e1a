"""stance.analysis.lowpass gives scipy.signal's results (scipy only imported here)."""

from __future__ import annotations

import numpy as np
import pytest

from stance.analysis import lowpass

signal = pytest.importorskip("scipy.signal")

RATES = (10.0, 23.976, 29.97, 60.0, 240.0)


@pytest.mark.parametrize("fs", RATES)
def test_butterworth_sections_match_scipy(fs: float) -> None:
    ours = lowpass.butter2_lowpass(4.0, fs)
    theirs = signal.butter(2, 4.0, btype="low", fs=fs, output="sos")
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(lowpass.sosfilt_zi(ours), signal.sosfilt_zi(ours), rtol=1e-13)


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize("n", [4, 5, 37, 600])
def test_filters_match_scipy(fs: float, n: int) -> None:
    sos = signal.butter(2, 4.0, btype="low", fs=fs, output="sos")
    x = np.cumsum(np.random.default_rng(n).normal(size=n)) + 300.0
    zi = signal.sosfilt_zi(sos) * x[0]
    y, zf = lowpass.sosfilt(sos, x, zi)
    y_ref, zf_ref = signal.sosfilt(sos, x, zi=zi)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12)
    np.testing.assert_allclose(zf, zf_ref, rtol=1e-12, atol=1e-9)
    padlen = min(9, n - 1)
    np.testing.assert_allclose(
        lowpass.sosfiltfilt(sos, x, padlen=padlen),
        signal.sosfiltfilt(sos, x, padlen=padlen),
        rtol=1e-12,
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        lowpass.butter2_lowpass(6.0, 10.0)
    with pytest.raises(ValueError):
        lowpass.sosfiltfilt(lowpass.butter2_lowpass(4.0, 30.0), np.zeros(5), padlen=5)
