"""The pelvic-drop estimators are one enum: every table keyed by them covers them all, and the
names users type and read (``--estimator``, the JSON) are its values."""

from __future__ import annotations

import json

import pytest

from stance.analysis.fuse import RANGE_MODELS
from stance.analysis.judge import ESTIMATOR_RELIABILITY
from stance.analysis.pelvis import IMAGE_EVIDENCE, Estimator, HipLineEstimator
from stance.pipeline import ESTIMATORS, Settings
from stance.report.wording import EVIDENCE_WORDS


def test_the_default_estimator_comes_first_and_is_fused() -> None:
    assert ESTIMATORS[0] is Estimator.FUSED is Settings().estimator
    assert set(ESTIMATORS) == set(Estimator)


def test_settings_turn_a_plain_name_into_the_enum_and_refuse_an_unknown_one() -> None:
    assert Settings(estimator="hip_line").estimator is Estimator.HIP_LINE  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Settings(estimator="magic")  # type: ignore[arg-type]


def test_written_and_printed_names_are_the_values() -> None:
    assert json.dumps({"estimator": Estimator.PELVIS_EDGE}) == '{"estimator": "pelvis_edge"}'
    assert f"{Estimator.PELVIS_IMAGE}" == "pelvis_image"
    assert HipLineEstimator().name == "hip_line"


def test_every_measuring_estimator_has_a_range_model_a_reliability_and_words() -> None:
    measuring = set(Estimator) - {Estimator.FUSED}
    assert set(RANGE_MODELS) == measuring
    assert set(ESTIMATOR_RELIABILITY) == set(Estimator)
    assert set(EVIDENCE_WORDS) == measuring
    assert set(IMAGE_EVIDENCE) == measuring - {Estimator.HIP_LINE}
