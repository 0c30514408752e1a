"""The guided protocol of `stance live`, fed frame by frame from landmark streams."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import SAMPLE, footage
from stance.core.track import LM, PoseTrack, Side
from stance.live.protocol import Observation, Prompt, Protocol, ProtocolConfig, Step, observe
from synthetic import make_test_track

WINDOW = 12


def stream(track: PoseTrack, config: ProtocolConfig) -> tuple[Protocol, list[Prompt]]:
    """Feed ``track`` frame by frame (a sliding window, as live mode does)."""
    p = Protocol(config)
    out = []
    for i in range(len(track)):
        out.append(p.update(observe(track.slice(max(0, i - WINDOW + 1), i + 1))))
    return p, out


def at(track: PoseTrack, statuses: list[Prompt], t_s: float) -> Prompt:
    return statuses[int(np.searchsorted(track.t_s, t_s))]


def test_full_protocol_on_a_synthetic_stream() -> None:
    track = make_test_track(first=Side.LEFT, hold_s=5.0)
    p, statuses = stream(track, ProtocolConfig(hold_s=4.0))
    steps = [s.step for s in statuses]
    # framing -> baseline -> lift -> hold -> down -> ... -> done, in that order
    firsts = [steps.index(st) for st in (Step.BASELINE, Step.LIFT, Step.HOLD, Step.DOWN)]
    assert firsts == sorted(firsts)
    assert steps[-1] is Step.DONE
    assert [(a.lifted, a.completed) for a in p.attempts] == [(Side.LEFT, True), (Side.RIGHT, True)]
    assert all(a.hold_s >= 4.0 for a in p.attempts)
    # after the first side the prompt names the other foot, anatomically
    lift_prompts = {s.prompt for s in statuses if s.step is Step.LIFT}
    assert "Lift either foot off the floor, knee bent, and hold" in lift_prompts
    assert any("lift your RIGHT foot" in t for t in lift_prompts)
    holds = [s for s in statuses if s.step is Step.HOLD]
    assert holds[0].countdown_s == pytest.approx(4.0, abs=0.4)
    assert min(s.countdown_s or 0.0 for s in holds) < 0.1


def test_mirrored_stream_names_the_same_anatomical_sides_swapped() -> None:
    track = make_test_track(first=Side.LEFT, hold_s=5.0, mirror=True).mirrored()
    p, _ = stream(track, ProtocolConfig(hold_s=4.0))
    assert [a.lifted for a in p.attempts] == [Side.LEFT, Side.RIGHT]


def test_early_foot_down_is_reported_and_the_same_foot_is_asked_again() -> None:
    track = make_test_track(first=Side.LEFT, hold_s=3.0)
    p, statuses = stream(track, ProtocolConfig(hold_s=6.0))
    assert p.attempts[0].lifted is Side.LEFT and not p.attempts[0].completed
    assert p.attempts[0].hold_s == pytest.approx(3.7, abs=0.6)  # 3 s hold + the lift's ramp
    early = [s for s in statuses if s.prompt.startswith("Foot down early")]
    assert early and "LEFT foot down after" in early[0].prompt
    assert "30" not in early[0].prompt and "6 s" in early[0].prompt
    # the stream then lifts the RIGHT foot: the protocol insists on a LEFT retry
    assert any(s.prompt == "That is your RIGHT foot: lift your LEFT foot" for s in statuses)
    assert p.step is not Step.DONE
    assert p.wanted() is Side.LEFT
    # accepting the short hold moves on to the other foot
    p.skip()
    assert p.attempts[0].completed and p.wanted() is Side.RIGHT


def test_person_leaving_the_frame_interrupts_the_hold() -> None:
    base = make_test_track(first=Side.LEFT, hold_s=5.0)
    t_up = base.t_s[
        np.flatnonzero(base.xy[:, LM.LEFT_ANKLE, 1] < base.xy[0, LM.LEFT_ANKLE, 1] - 30)[0]
    ]
    gap = (t_up + 2.0, t_up + 3.5)
    track = make_test_track(first=Side.LEFT, hold_s=5.0, gaps=[gap])
    p, statuses = stream(track, ProtocolConfig(hold_s=4.0))
    assert at(track, statuses, gap[0] - 0.2).step is Step.HOLD
    during = at(track, statuses, gap[0] + 1.3)
    assert during.step is Step.FRAMING
    assert during.prompt.startswith("Step into view")
    assert "LEFT-foot hold was interrupted" in during.detail
    assert p.attempts[0].lifted is Side.LEFT and not p.attempts[0].completed


def test_two_people_hold_the_protocol_at_framing() -> None:
    track = make_test_track(first=Side.LEFT, hold_s=5.0)
    n = track.n_people.copy()
    crowd = track.t_s < 0.4
    n[crowd] = 2
    track = replace(track, n_people=n)
    p, statuses = stream(track, ProtocolConfig(hold_s=4.0))
    assert {s.prompt for s, c in zip(statuses, crowd, strict=True) if c} == {
        "Only one person in view please"
    }
    assert all(s.step is Step.FRAMING for s, c in zip(statuses, crowd, strict=True) if c)
    assert p.step is Step.DONE  # once alone, the test runs through


def test_framing_prompts_name_the_problem() -> None:
    p = Protocol()
    obs = Observation(0.0, 1, True, True, False, 0.0, 0.0)
    assert p.update(obs).prompt == "Step back: your feet are not visible"
    obs = replace(obs, feet=True, frontal=False)
    assert p.update(obs).prompt == "Turn to face the camera"
    obs = replace(obs, person=False, n_people=0)
    assert p.update(obs).prompt.startswith("Step into view")
    assert p.step is Step.FRAMING


def test_knee_to_chest_lift_is_still_a_lift_but_the_prompt_asks_for_a_low_one() -> None:
    p = Protocol(ProtocolConfig(framing_s=0.1, baseline_s=0.2))
    t = 0.0
    status = None
    for _ in range(20):
        status = p.update(Observation(t, 1, True, True, True, 0.0, 0.0))
        t += 0.05
    assert status is not None and status.step is Step.LIFT
    assert "not knee to chest" in status.detail


def _protocol_on(track: PoseTrack, hold_s: float) -> tuple[Protocol, list[Prompt]]:
    return stream(track, ProtocolConfig(hold_s=hold_s))


def test_protocol_on_the_bundled_sample(analysed) -> None:
    a = analysed(SAMPLE)
    p, _ = _protocol_on(a.raw, 4.0)
    assert p.step is Step.DONE
    assert [a.lifted for a in p.attempts] == [Side.LEFT, Side.RIGHT]
    trials = a.segmentation.trials
    for att, tr in zip(p.attempts, trials, strict=True):  # the same holds as `analyze` finds
        assert att.start_s == pytest.approx(tr.start_s, abs=0.3)


@pytest.mark.footage
def test_protocol_completes_the_right_side_on_real_footage(analysed) -> None:
    a = analysed(footage("tree_pose_right_studio.mp4"))
    p, statuses = _protocol_on(a.raw, 30.0)
    first = p.attempts[0]
    assert first.lifted is Side.RIGHT and first.completed
    assert first.start_s == pytest.approx(10.4, abs=0.5)
    assert any(s.prompt == "Well done: put your RIGHT foot down" for s in statuses)
    # before the lift: framed, a quiet baseline, then the lift prompt
    assert at(a.raw, statuses, 9.5).step is Step.LIFT


def _scripted(steps: list[tuple[float, float]], fps: float = 20.0) -> list[Observation]:
    """Observations of one framed, still person: (seconds, LEFT-above-RIGHT foot lift) pieces."""
    out, t = [], 0.0
    for dur, lift in steps:
        for _ in range(round(dur * fps)):
            out.append(Observation(t, 1, True, True, True, lift, 0.01))
            t += 1.0 / fps
    return out


def test_repetitions_alternate_sides_until_each_has_its_count() -> None:
    up, down = 0.2, 0.0
    cycle = [(3.0, up), (2.0, down), (3.0, -up), (2.0, down)]
    p = Protocol(ProtocolConfig(hold_s=2.0, reps=2))
    statuses = [p.update(o) for o in _scripted([(3.0, down), *cycle, *cycle])]
    assert [(a.lifted, a.completed) for a in p.attempts] == [
        (Side.LEFT, True),
        (Side.RIGHT, True),
        (Side.LEFT, True),
        (Side.RIGHT, True),
    ]
    assert statuses[-1].step is Step.DONE
    # after the first LEFT and RIGHT holds the test is not over yet
    first_done = next(i for i, s in enumerate(statuses) if s.step is Step.DONE)
    assert first_done > len(statuses) - 2.5 * 20


def test_framing_says_what_to_wear() -> None:
    """The pelvis is read between the hip joints and the crest: the framing step says so."""
    from stance.live.protocol import WHAT_TO_WEAR

    p = Protocol()
    not_framed = p.update(Observation(0.0, 1, True, True, False, 0.0, 0.0))  # feet out of view
    framed = p.update(Observation(0.1, 1, True, True, True, 0.0, 0.0))
    for status in (not_framed, framed):
        assert status.step is Step.FRAMING
        assert status.detail == WHAT_TO_WEAR
    assert "top tucked in" in WHAT_TO_WEAR
