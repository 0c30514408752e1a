"""clean_track: distrust low visibility, reject outliers, fill short gaps, filter per run."""

from dataclasses import replace

import numpy as np
import pytest

from stance.analysis.clean import clean_track, finite_runs
from stance.core.track import LM
from synthetic import make_test_track


def test_low_visibility_becomes_nan_unless_the_gap_is_short() -> None:
    track = make_test_track()
    vis = track.visibility.copy()
    t = track.t_s
    long_gap = (t >= 1.0) & (t < 2.0)
    short_gap = (t >= 0.3) & (t < 0.4)
    vis[long_gap, LM.LEFT_KNEE] = 0.2
    vis[short_gap, LM.LEFT_KNEE] = 0.2
    out = clean_track(replace(track, visibility=vis))
    knee = out.xy[:, LM.LEFT_KNEE]
    assert np.all(np.isnan(knee[long_gap])), "a long low-visibility stretch must stay unknown"
    assert np.all(np.isfinite(knee[short_gap])), "a 0.1 s gap is interpolated"
    assert np.allclose(knee[short_gap], track.xy[short_gap, LM.LEFT_KNEE], atol=1.0)


def test_outlier_spike_is_rejected() -> None:
    track = make_test_track()
    xy = track.xy.copy()
    i = 40
    xy[i, LM.RIGHT_HIP] += [150.0, -120.0]
    out = clean_track(track.with_xy(xy))
    assert np.allclose(out.xy[i, LM.RIGHT_HIP], track.xy[i, LM.RIGHT_HIP], atol=2.0)


def test_filtering_is_zero_phase_and_causal_lags() -> None:
    track = make_test_track()
    ankle_y = track.xy[:, LM.LEFT_ANKLE, 1]
    zero_phase = clean_track(track).xy[:, LM.LEFT_ANKLE, 1]
    causal = clean_track(track, causal=True).xy[:, LM.LEFT_ANKLE, 1]
    t = track.t_s
    half = 0.5 * (ankle_y.max() + ankle_y.min())

    def crossing(y: np.ndarray) -> float:
        return float(t[np.argmax(y < half)])  # first time the foot is half-way up

    assert crossing(zero_phase) == pytest.approx(crossing(ankle_y), abs=1.5 / track.fps)
    assert crossing(causal) > crossing(ankle_y) + 1.5 / track.fps


def test_variable_frame_rate_is_resampled_not_distorted() -> None:
    track = make_test_track()
    rng = np.random.default_rng(3)
    t = track.t_s + rng.uniform(-0.008, 0.008, track.t_s.shape)  # phone timestamp jitter
    vfr = replace(track, t_s=t)
    out = clean_track(vfr)
    assert np.all(np.isfinite(out.xy))
    err = np.abs(out.xy - track.xy)
    assert np.max(err[..., 1]) < 6.0  # px, the lift is ~60 px


def test_nan_runs_are_filtered_separately_and_never_leak() -> None:
    track = make_test_track(gaps=[(5.0, 6.0)])
    out = clean_track(track)
    t = track.t_s
    inside = (t >= 5.0) & (t < 6.0)
    assert np.all(np.isnan(out.xy[inside]))
    assert np.all(np.isfinite(out.xy[~inside]))
    edge = (t >= 4.8) & (t < 5.0) | (t >= 6.0) & (t < 6.2)
    assert np.allclose(out.xy[edge], track.xy[edge], atol=2.0)


def test_input_is_not_modified() -> None:
    track = make_test_track(noise_px=1.0)
    before = track.xy.copy()
    out = clean_track(track)
    assert np.array_equal(track.xy, before)
    assert out.xy is not track.xy


def test_finite_runs() -> None:
    mask = np.array([False, True, True, False, True, False, True])
    assert finite_runs(mask) == [(1, 3), (4, 5), (6, 7)]
    assert finite_runs(np.zeros(0, dtype=bool)) == []
