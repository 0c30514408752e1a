"""The whole pipeline with the real pose model, on the bundled sample and on real footage.

The sample runs everywhere (it is in the repository, with exact truth); the footage tests
skip where ../shared/footage is absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import SAMPLE, footage
from stance.core.track import Side

Analyse = Callable[..., Any]

pytestmark = pytest.mark.footage  # every test here reads ../shared/footage


def _trials(a: Any) -> list[tuple[Side, float, float]]:
    return [(m.trial.lifted, m.trial.start_s, m.trial.end_s) for m in a.measurements.trials]


def _truth_holds(truth: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """{'left': (t0, t1), 'right': ...}: the truth's held single-leg phases."""
    spans: dict[str, list[float]] = {}
    for fr in truth["frames"]:
        if fr["phase"] == "hold":
            spans.setdefault(fr["foot_up"], []).append(fr["t_s"])
    return {k: (min(v), max(v)) for k, v in spans.items()}


def test_sample_finds_both_trials_and_the_right_weak_side(analysed: Analyse) -> None:
    truth = json.loads(SAMPLE.with_suffix(".json").read_text())
    holds = _truth_holds(truth)
    a = analysed(SAMPLE)
    trials = _trials(a)
    assert [t[0] for t in trials] == [Side.LEFT, Side.RIGHT]
    for side, start, end in trials:
        t0, t1 = holds[side.value]
        assert start <= t0 + 0.5 and end >= t1 - 0.5, (side, start, end, t0, t1)
        assert start >= t0 - 1.5 and end <= t1 + 1.5, (side, start, end, t0, t1)
    assert a.verdict.outcome == "right"


def test_tree_pose_right_studio(analysed: Analyse) -> None:
    a = analysed(footage("tree_pose_right_studio.mp4"))
    trials = _trials(a)
    assert len(trials) == 1
    side, start, end = trials[0]
    assert side is Side.RIGHT
    assert abs(start - 10.4) <= 0.5
    assert abs(end - 42.5) <= 1.0
    base = a.measurements.trials[0].trial.baseline
    assert base.t1_s <= start and base.t0_s < 10.4


def test_tree_pose_left_short(analysed: Analyse) -> None:
    a = analysed(footage("tree_pose_left_short.mp4"))
    trials = _trials(a)
    assert len(trials) == 1
    side, start, end = trials[0]
    assert side is Side.LEFT
    assert abs(start - 0.4) <= 0.5 and abs(end - 6.5) <= 0.6


def test_leg_swing_is_a_stance_on_the_left_leg(analysed: Analyse) -> None:
    a = analysed(footage("leg_swing_left_stance.mp4"))
    assert a.measurements.trials, "the stance on the left leg was not found"
    assert {m.trial.stance for m in a.measurements.trials} == {Side.LEFT}
    longest = max(a.measurements.trials, key=lambda m: m.hold_s)
    assert longest.hold_s >= 4.0


def test_lateral_raise_has_no_single_leg_stance(analysed: Analyse) -> None:
    a = analysed(footage("negative_lateral_raise.mp4"))
    assert _trials(a) == []
    assert a.verdict.outcome == "cannot_tell"


@pytest.mark.parametrize(
    ("clip", "words"),
    [
        ("negative_side_view_two_people.mp4", "frontal"),
        ("negative_spin_portrait.mp4", "frontal"),
    ],
)
def test_negative_clips_cannot_tell_and_name_the_problem(
    analysed: Analyse, clip: str, words: str
) -> None:
    a = analysed(footage(clip))
    assert a.verdict.outcome == "cannot_tell"
    assert words in a.verdict.reason.lower()


def test_stress_clip_gives_no_confident_side(analysed: Analyse) -> None:
    """Cuts, close-ups and inconsistent mirroring: the true side is unknown, so no verdict
    may claim one with confidence."""
    a = analysed(footage("stress_mirrored_cuts_portrait.mp4"))
    assert a.verdict.outcome == "cannot_tell"
    assert a.quality.blocking


@pytest.fixture(scope="module")
def flipped_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from videotools import make_variant

    src = footage("tree_pose_right_studio.mp4")
    return make_variant(src, tmp_path_factory.mktemp("v") / "flipped.mp4", hflip=True)


def test_flipped_copy_reports_left_and_mirrored_flag_restores_right(
    analysed: Analyse, flipped_tree: Path
) -> None:
    flipped = analysed(flipped_tree, max_fps=12.0)
    assert [t[0] for t in _trials(flipped)] == [Side.LEFT]
    restored = analysed(flipped_tree, max_fps=12.0, mirrored=True)
    assert [t[0] for t in _trials(restored)] == [Side.RIGHT]


def test_rotation_metadata_gives_the_same_trials(
    analysed: Analyse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from videotools import make_variant

    src = footage("tree_pose_right_studio.mp4")
    rotated = make_variant(src, tmp_path_factory.mktemp("r") / "rot90.mp4", rotation_meta=90)
    a = analysed(rotated, max_fps=12.0)
    b = analysed(src, max_fps=12.0)
    assert (a.video.width, a.video.height) == (b.video.width, b.video.height)
    ta, tb = _trials(a), _trials(b)
    assert [t[0] for t in ta] == [t[0] for t in tb] == [Side.RIGHT]
    for (_, s1, e1), (_, s2, e2) in zip(ta, tb, strict=True):
        assert abs(s1 - s2) <= 0.25 and abs(e1 - e2) <= 0.25


def test_an_unmeasured_drop_prints_n_a(analysed: Analyse) -> None:
    """The waist-band estimator alone cannot measure tree_pose_left_short's plain top: the
    terminal table says n/a, never "+nan"."""
    import io

    from rich.console import Console

    from stance.report.terminal import render

    a = analysed(footage("tree_pose_left_short.mp4"), estimator="pelvis_image")
    assert not any(m.drop_deg == m.drop_deg for m in a.measurements.trials)  # all NaN
    buf = io.StringIO()
    render(a, Console(file=buf, width=120))
    text = buf.getvalue()
    assert "n/a" in text and "nan" not in text.lower()
