"""Lighting: a clip too dark or too flat to measure is told so, not blamed on the clothes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE
from stance.analysis.clean import clean_track
from stance.analysis.judge import Thresholds
from stance.analysis.lighting import MIN_CONTRAST, LightMeter, frame_light
from stance.analysis.quality import BLOCKING_ORDER, FlagCode, assess_quality
from stance.analysis.segment import segment
from stance.io.source import Frame
from synthetic import make_test_track
from test_cli import stance

MIN_HOLD_S = Thresholds().min_hold_s


def _frame(image: np.ndarray) -> Frame:
    return Frame(index=0, t_s=0.0, image=image)


def test_frame_light_reads_brightness_and_contrast() -> None:
    grey = np.full((240, 320, 3), 51, np.uint8)
    assert frame_light(grey) == pytest.approx((0.2, 0.0), abs=1e-4)
    halves = np.zeros((240, 320, 3), np.uint8)
    halves[:, 160:] = 255
    assert frame_light(halves) == pytest.approx((0.5, 0.5), abs=1e-3)


def test_meter_takes_the_median_over_frames() -> None:
    meter = LightMeter()
    assert meter.result().n_frames == 0 and not meter.result().too_poor
    rng = np.random.default_rng(0)
    for level in (10, 200, 200):  # one dark frame among bright ones does not decide
        meter.observe(
            _frame(rng.normal(level, 40, (120, 160, 3)).clip(0, 255).astype(np.uint8)), None
        )
    light = meter.result()
    assert light.n_frames == 3
    assert light.brightness == pytest.approx(200 / 255, abs=0.03)
    assert not light.too_poor and not light.dark


def test_poor_light_is_the_first_blocking_flag() -> None:
    meter = LightMeter()
    meter.observe(_frame(np.full((120, 160, 3), 8, np.uint8)), None)
    track = clean_track(make_test_track(noise_px=1.0))
    report = assess_quality(track, segment(track), min_hold_s=MIN_HOLD_S, lighting=meter.result())
    assert report.first_blocking is not None and report.first_blocking.code == FlagCode.POOR_LIGHT
    assert "Too dark" in report.first_blocking.message
    assert BLOCKING_ORDER[0] == FlagCode.POOR_LIGHT
    unknown = assess_quality(track, segment(track), min_hold_s=MIN_HOLD_S)
    assert unknown.flags == ()  # unknown lighting: no flag


def test_a_dark_clip_is_called_dark(tmp_path: Path) -> None:
    from stance.io.ffmpeg import ffmpeg_exe, run_ffmpeg

    assert ffmpeg_exe()
    dark = tmp_path / "dark.mp4"
    k = 0.15  # measured: at this darkness the pelvis is lost (see stance.analysis.lighting)
    lut = f"lutyuv=y=val*{k}:u=(val-128)*{k}+128:v=(val-128)*{k}+128"
    run_ffmpeg(["-i", str(SAMPLE), "-vf", lut, "-c:v", "libx264", "-crf", "18", "-an", str(dark)])
    out = tmp_path / "dark.json"
    res = stance("analyze", dark, "--json", out, "-q")
    assert res.returncode == 3, res.stderr
    doc = json.loads(out.read_text())
    assert doc["verdict"]["outcome"] == "cannot_tell"
    assert doc["verdict"]["reason"].startswith("Too dark"), doc["verdict"]["reason"]
    assert "hidden by clothing" not in doc["verdict"]["reason"]
    assert doc["quality"]["contrast"] < MIN_CONTRAST and doc["quality"]["brightness"] < 0.2
    assert "Too dark" in res.stdout


def test_the_sample_is_lit_well_enough(tmp_path: Path) -> None:
    """The bundled clip (and every real and rendered clip, docs in stance.analysis.lighting) is far
    above the threshold: the check must not refuse ordinary footage."""
    meter = LightMeter()
    import cv2

    cap = cv2.VideoCapture(str(SAMPLE))
    for _ in range(30):
        ok, image = cap.read()
        assert ok
        meter.observe(_frame(image), None)
    cap.release()
    assert meter.result().contrast > 3 * MIN_CONTRAST
