"""Every analysis parameter is in `stance.pipeline.Settings`: it reaches the JSON's
``settings``, the batch resume key, and the result; the shortest judgeable hold is one value."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stance.analysis.clean import CleanParams, clean_track
from stance.analysis.judge import Outcome, Thresholds
from stance.analysis.pelvis import Estimator
from stance.analysis.quality import FlagCode, QualityParams
from stance.analysis.segment import BOTH_DOWN, LEFT_UP, SegmentParams, foot_state, segment
from stance.batch.keys import settings_hash
from stance.core.errors import BadInputError
from stance.io.source import VideoInfo
from stance.pipeline import Analysis, Judged, Settings, _refuse_too_short, judge_track
from stance.pipeline import pelvis_observer as make_observer
from stance.report.document import to_dict
from stance.vision.pelvis_edge import EdgeParams, PelvisEdgeTracker
from stance.vision.pelvis_texture import PelvisImageTracker, TextureParams
from synthetic import exact_pelvis, make_test_track

GROUPS = {
    "thresholds": Thresholds,
    "clean": CleanParams,
    "segment": SegmentParams,
    "quality": QualityParams,
    "texture": TextureParams,
    "edge": EdgeParams,
}

# one non-default value per group: (group, field, value)
CHANGES = [
    ("thresholds", "drop_deg", 3.5),
    ("clean", "cutoff_hz", 5.0),
    ("segment", "lift_on", 0.1),
    ("quality", "min_fps", 20.0),
    ("texture", "min_score", 0.7),
    ("edge", "min_step", 10.0),
]


def _with(group: str, name: str, value: Any) -> Settings:
    base = Settings()
    return dataclasses.replace(
        base, **{group: dataclasses.replace(getattr(base, group), **{name: value})}
    )


def _judged(settings: Settings, **track: Any) -> Judged:
    raw = make_test_track(**track)
    pelvis = exact_pelvis(clean_track(raw, settings.clean))
    return judge_track(raw, pelvis=pelvis, settings=settings)


def _document(settings: Settings) -> dict[str, Any]:
    raw = make_test_track()
    analysis = Analysis.of(
        _judged(settings),
        path=Path("clip.mp4"),
        video=VideoInfo("clip.mp4", 720, 1280, 30.0, len(raw), len(raw) / 30.0, 0, "h264"),
        settings=settings,
        model_path=Path("pose.task"),
        raw=raw,
        timings_s={},
    )
    doc: dict[str, Any] = json.loads(json.dumps(to_dict(analysis)))  # as written
    return doc


def test_every_group_is_in_the_settings_and_in_the_json() -> None:
    doc = _document(Settings())
    assert doc["schema"] == "stance.analysis/1.4"
    written = doc["settings"]
    assert set(written) == {f.name for f in dataclasses.fields(Settings)}
    for group, cls in GROUPS.items():
        assert isinstance(getattr(Settings(), group), cls)
        assert set(written[group]) == {f.name for f in dataclasses.fields(cls)}, group
    # today's keys keep today's values
    assert written["estimator"] == "fused" and written["max_fps"] == 10.0
    assert written["age"] is None
    assert written["thresholds"]["min_hold_s"] == 2.0


@pytest.mark.parametrize(("group", "name", "value"), CHANGES)
def test_a_changed_parameter_reaches_the_json(group: str, name: str, value: Any) -> None:
    default = getattr(getattr(Settings(), group), name)
    assert default != value
    assert _document(Settings())["settings"][group][name] == default
    assert _document(_with(group, name, value))["settings"][group][name] == value


@pytest.mark.parametrize(("group", "name", "value"), CHANGES)
def test_a_changed_parameter_changes_the_resume_key(group: str, name: str, value: Any) -> None:
    assert settings_hash(Settings()) == settings_hash(Settings())
    assert settings_hash(_with(group, name, value)) != settings_hash(Settings())
    assert settings_hash(_with(group, name, value)) == settings_hash(_with(group, name, value))


def test_segment_params_change_the_trials() -> None:
    track = clean_track(make_test_track())  # two 5 s holds
    assert len(segment(track).trials) == 2
    assert len(segment(track, SegmentParams(min_hold_s=6.0)).trials) == 0
    assert len(segment(track, SegmentParams(lift_on=0.6, lift_off=0.3)).trials) == 0
    judged = _judged(Settings(segment=SegmentParams(min_hold_s=6.0)))
    assert judged.verdict.outcome is Outcome.CANNOT_TELL
    assert "held for at least 6 seconds" in judged.verdict.reason  # the sentence quotes it
    assert _judged(Settings()).verdict.outcome is not Outcome.CANNOT_TELL


def test_segment_params_drive_the_shared_hysteresis() -> None:
    """The live protocol's foot-up step uses the same parameters as the recorded analysis."""
    assert foot_state(0.2, BOTH_DOWN) == LEFT_UP
    assert foot_state(0.2, BOTH_DOWN, SegmentParams(lift_on=0.3, lift_off=0.15)) == BOTH_DOWN
    assert foot_state(0.1, LEFT_UP) == LEFT_UP
    assert foot_state(0.1, LEFT_UP, SegmentParams(lift_on=0.15, lift_off=0.12)) == BOTH_DOWN


def test_quality_params_change_the_flags() -> None:
    codes = {f.code for f in _judged(Settings()).quality.flags}
    assert (
        FlagCode.LOW_FPS not in codes and FlagCode.NOT_FRONTAL not in codes
    )  # 30 fps, facing the camera
    strict = _judged(Settings(quality=QualityParams(min_fps=40.0)))
    assert FlagCode.LOW_FPS in {f.code for f in strict.quality.flags}
    side = _judged(Settings(quality=QualityParams(frontal_ratio=5.0)))
    assert side.quality.first_blocking is not None
    assert side.quality.first_blocking.code == FlagCode.NOT_FRONTAL


def test_clean_params_change_the_track() -> None:
    raw = make_test_track(noise_px=1.5)
    a = clean_track(raw).xy
    b = clean_track(raw, CleanParams(cutoff_hz=2.0)).xy
    assert not np.allclose(a, b, equal_nan=True)


def test_the_minimum_hold_is_one_value_for_the_judge_and_the_quality_gate() -> None:
    assert "min_hold_s" not in {f.name for f in dataclasses.fields(QualityParams)}
    default = _judged(Settings())  # holds of 5.6 s
    assert FlagCode.TOO_SHORT not in {f.code for f in default.quality.flags}
    longer = _judged(Settings(thresholds=Thresholds(min_hold_s=6.0)))
    flag = longer.quality.first_blocking
    assert flag is not None and flag.code == FlagCode.TOO_SHORT
    assert "at least 6 s is needed" in flag.message
    assert longer.verdict.outcome is Outcome.CANNOT_TELL
    # holds of 1.6 s: too short by default, judgeable from 1.5 s
    shorter = _judged(Settings(thresholds=Thresholds(min_hold_s=1.5)), hold_s=1.0)
    assert FlagCode.TOO_SHORT not in {f.code for f in shorter.quality.flags}
    assert FlagCode.TOO_SHORT in {f.code for f in _judged(Settings(), hold_s=1.0).quality.flags}


def test_the_clip_length_refusal_follows_the_settings() -> None:
    _refuse_too_short(Path("x.mp4"), 4.0, Settings())  # 1 s baseline + 2 s hold: long enough
    with pytest.raises(BadInputError, match="at least 6 s"):
        _refuse_too_short(Path("x.mp4"), 4.0, Settings(thresholds=Thresholds(min_hold_s=5.0)))


def test_the_image_trackers_are_built_from_the_settings() -> None:
    settings = Settings(texture=TextureParams(min_score=0.7), edge=EdgeParams(min_step=10.0))
    observer = make_observer(settings)
    assert observer is not None
    texture, edge = observer.trackers["pelvis_image"], observer.trackers["pelvis_edge"]
    assert isinstance(texture, PelvisImageTracker) and isinstance(edge, PelvisEdgeTracker)
    assert texture.params == settings.texture and texture.params.min_score == 0.7
    assert edge.params == settings.edge and edge.params.min_step == 10.0
    assert make_observer(Settings(estimator=Estimator.HIP_LINE)) is None


def test_invalid_tracker_parameters_are_refused_when_made() -> None:
    with pytest.raises(ValueError):
        TextureParams(y_low=0.4, y_high=0.1)
    with pytest.raises(ValueError):
        EdgeParams(half_width=0.0)
