"""The guided single-leg stance test of `stance live`: a state machine driven by the camera.

Each analysed frame becomes an `Observation` (is one person framed, facing the camera, feet
in view; how high is each foot; is the body still), computed with the same checks and the
same foot-lift signal as the recorded-video analysis (`stance.analysis.quality.frame_checks`,
`stance.analysis.segment.foot_lift` and its lift_on/lift_off hysteresis, with the analysis
settings' `SegmentParams` and `QualityParams`) over a short window
of recent frames. `Protocol.update` turns observations into the step the person is in and the prompt
to show:

    FRAMING  -> one person, facing the camera, whole body in view, for ``framing_s``
    BASELINE -> "stand still on both feet" for ``baseline_s``
    LIFT     -> "lift either foot off the floor, knee bent, and hold" (then: "now the other foot")
    HOLD     -> countdown from ``hold_s`` while the foot stays up
    DOWN     -> "put it down"; then BASELINE for the next side, or
    DONE     -> every side held ``reps`` times

A foot put down before the countdown ends (down for ``down_confirm_s``, the recorded-video
analysis' touch-down tolerance) ends the attempt early: the prompt says so and the person
can lift the same foot again to retry (or `skip` accepts the short hold). Losing the framing
for ``lost_s`` interrupts a hold; the person is asked to step back into view. Timing comes
from the frames' timestamps only, so the machine runs the same on a file as on a camera.
No I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from stance.analysis.quality import QualityParams, frame_checks
from stance.analysis.segment import (
    BOTH_DOWN,
    LEFT_UP,
    RIGHT_UP,
    UNKNOWN,
    SegmentParams,
    foot_lift,
    foot_state,
)
from stance.core.track import LM, PoseTrack, Side

Feet = Side | float | None
"""Foot state of one frame: the Side whose foot is up, None for both feet down, NaN unclear."""


class Step(str, Enum):
    FRAMING = "framing"
    BASELINE = "baseline"
    LIFT = "lift"
    HOLD = "hold"
    DOWN = "down"
    DONE = "done"


@dataclass(frozen=True)
class Observation:
    """What one analysed frame shows.

    Attributes:
        t_s: frame time in seconds.
        n_people: people the detector saw.
        person: the subject's torso is seen.
        frontal: the subject faces the camera.
        feet: both feet are inside the frame.
        lift: LEFT foot height above the RIGHT foot in leg lengths (NaN: unknown).
        motion: speed of the hip midpoint in torso lengths per second (NaN: unknown).
    """

    t_s: float
    n_people: int
    person: bool
    frontal: bool
    feet: bool
    lift: float
    motion: float

    @property
    def framed(self) -> bool:
        return self.person and self.frontal and self.feet and self.n_people == 1


def observe(
    window: PoseTrack,
    segment: SegmentParams = SegmentParams(),
    quality: QualityParams = QualityParams(),
) -> Observation:
    """The `Observation` of the LAST frame of ``window`` (a few recent frames, ~1 s).

    The window supplies the body's vertical and the leg length for the foot-lift signal and
    the hip midpoint's recent path for the motion. ``segment`` and ``quality`` are the
    analysis settings' (`stance.pipeline.Settings`), so the live checks are the recorded ones.
    """
    if len(window) == 0:
        raise ValueError("observe() needs at least one frame")
    checks = frame_checks(window, quality)
    lift = foot_lift(window, params=segment)
    hips = window.mid(LM.LEFT_HIP, LM.RIGHT_HIP)
    shoulders = window.mid(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
    torso = np.linalg.norm(shoulders - hips, axis=-1)
    motion = math.nan
    ok = np.flatnonzero(np.all(np.isfinite(hips), axis=-1) & np.isfinite(torso))
    if ok.size >= 2 and ok[-1] == len(window) - 1:
        recent = ok[window.t_s[ok] >= window.t_s[ok[-1]] - 0.5]
        a, b = (recent[0], recent[-1]) if recent.size >= 2 else (ok[-2], ok[-1])
        dt = float(window.t_s[b] - window.t_s[a])
        if dt > 0:
            step = float(np.linalg.norm(hips[b] - hips[a]))
            motion = step / float(np.median(torso[ok])) / dt
    return Observation(
        t_s=float(window.t_s[-1]),
        n_people=int(window.n_people[-1]),
        person=bool(checks.person[-1]),
        frontal=bool(checks.frontal[-1]),
        feet=bool(checks.feet[-1]),
        lift=float(lift[-1]),
        motion=motion,
    )


@dataclass(frozen=True)
class ProtocolConfig:
    """Timing of the guided test (seconds) and what counts as still (torso lengths/s)."""

    hold_s: float = 30.0  # Hardcastle & Nade (1985): 30 s on one leg
    reps: int = 1  # holds per side
    framing_s: float = 1.0
    baseline_s: float = 1.0  # as the recorded-video analysis' baseline window
    min_baseline_s: float = 0.5  # a lift after this much quiet stance is accepted
    lift_confirm_s: float = 0.3
    down_confirm_s: float = 1.0  # touch-downs shorter than this do not end a hold
    lost_s: float = 1.0
    still_motion: float = 0.15


@dataclass(frozen=True)
class Attempt:
    """One hold: ``lifted`` foot up from ``start_s`` to ``end_s``; ``completed`` if it lasted."""

    lifted: Side
    start_s: float
    end_s: float
    completed: bool

    @property
    def hold_s(self) -> float:
        return self.end_s - self.start_s


WHAT_TO_WEAR = "Shorts or leggings, top tucked in or ending above the waist"
"""The framing step's tip: the camera reads the pelvis between the hip joints and the crest of
the hip bones, so that band must be in view (`stance.analysis.fuse`)."""


@dataclass(frozen=True)
class Prompt:
    """What to show: the step, the main prompt, a second line, the countdown (s) and the
    share of the hold done while holding."""

    step: Step
    prompt: str
    detail: str = ""
    countdown_s: float | None = None
    side: Side | None = None  # the foot that is up, or that is asked for
    progress: float | None = None  # share of the hold done (0-1) while holding


def _framing_prompt(obs: Observation) -> str:
    if not obs.person:
        return "Step into view: stand 2-3 m from the camera, whole body visible"
    if obs.n_people > 1:
        return "Only one person in view please"
    if not obs.feet:
        return "Step back: your feet are not visible"
    if not obs.frontal:
        return "Turn to face the camera"
    return "Hold that position"


@dataclass
class Protocol:
    """The guided test as a state machine; feed it `Observation`s in time order.

    ``segment`` is the analysis settings' segmentation (its foot-up hysteresis is used).
    """

    config: ProtocolConfig = field(default_factory=ProtocolConfig)
    segment: SegmentParams = field(default_factory=SegmentParams)

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """Back to the start; forget every attempt."""
        self.step = Step.FRAMING
        self.attempts: list[Attempt] = []
        self.last_quiet: tuple[float, float] | None = None  # latest quiet double stance (s)
        self.hold_baseline: tuple[float, float] | None = None  # the quiet stance before the hold
        self.note = ""  # the last event worth telling (early foot-down, interruption)
        self._since: float | None = None  # start of the condition being timed
        self._quiet_from: float | None = None
        self._up_from: float | None = None
        self._down_from: float | None = None
        self._lost_from: float | None = None
        self._side: Side | None = None  # the foot that is up in HOLD / DOWN
        self._early: Side | None = None  # a foot put down early: retry it next

    # -- what is asked next ------------------------------------------------------------------
    def done_count(self, side: Side) -> int:
        return sum(a.completed and a.lifted is side for a in self.attempts)

    def wanted(self) -> Side | None:
        """The foot to lift next (None: either, before the first hold)."""
        if self._early is not None:
            return self._early
        if not self.attempts:
            return None
        counts = {s: self.done_count(s) for s in Side}
        last = next((a.lifted for a in reversed(self.attempts) if a.completed), None)
        if last is None:
            return None
        other = last.other
        return other if counts[other] <= counts[last] else last

    def skip(self) -> None:
        """Accept an early foot-down as that side's hold and go on."""
        if self._early is not None:
            i = max(i for i, a in enumerate(self.attempts) if a.lifted is self._early)
            a = self.attempts[i]
            self.attempts[i] = Attempt(a.lifted, a.start_s, a.end_s, True)
            self._early = None
            self.note = ""
            if self._all_done():
                self.step = Step.DONE

    def _all_done(self) -> bool:
        return all(self.done_count(s) >= self.config.reps for s in Side)

    # -- the machine -------------------------------------------------------------------------
    def update(self, obs: Observation) -> Prompt:
        """Advance with one observation and return what to show."""
        c = self.config
        if self.step is Step.DONE:
            return Prompt(Step.DONE, "Test complete", "Press q to see the result")
        if self.step is Step.FRAMING:
            if not obs.framed:
                self._since = None
                return Prompt(Step.FRAMING, _framing_prompt(obs), self.note or WHAT_TO_WEAR)
        elif not (obs.person and obs.feet):  # lost during the test: wait lost_s, then re-frame
            self._lost_from = obs.t_s if self._lost_from is None else self._lost_from
            if obs.t_s - self._lost_from >= c.lost_s:
                self._interrupt(obs.t_s)
                return Prompt(Step.FRAMING, _framing_prompt(obs), self.note)
        else:
            self._lost_from = None

        if self.step is Step.FRAMING:
            self._since = obs.t_s if self._since is None else self._since
            if obs.t_s - self._since >= c.framing_s:
                self._enter_baseline()
            else:
                return Prompt(Step.FRAMING, "Hold that position", self.note or WHAT_TO_WEAR)

        up = self._foot_up(obs)
        if self.step in (Step.BASELINE, Step.LIFT):
            return self._before_lift(obs, up)
        if self.step is Step.HOLD:
            return self._hold(obs, up)
        return self._down(obs, up)

    def _foot_up(self, obs: Observation) -> Feet:
        """The foot that is up (`stance.analysis.segment.foot_state`, the recorded analysis'
        hysteresis); None when both are down; NaN when the feet are not seen."""
        previous = BOTH_DOWN
        if self._side is not None:
            previous = LEFT_UP if self._side is Side.LEFT else RIGHT_UP
        state = foot_state(obs.lift, previous, self.segment)
        if state == UNKNOWN:
            return math.nan
        return {LEFT_UP: Side.LEFT, RIGHT_UP: Side.RIGHT}.get(state)

    def _enter_baseline(self) -> None:
        self.step = Step.BASELINE
        self.last_quiet = None
        self._quiet_from = None
        self._up_from = None

    def _before_lift(self, obs: Observation, up: Feet) -> Prompt:
        c = self.config
        wanted = self.wanted()
        quiet = up is None and math.isfinite(obs.motion) and obs.motion < c.still_motion
        if quiet:
            self._quiet_from = obs.t_s if self._quiet_from is None else self._quiet_from
            run, old = (self._quiet_from, obs.t_s), self.last_quiet
            # a short new quiet stretch (e.g. after shifting the weight) does not replace a
            # long one just before it
            if (
                old is None
                or run[0] == old[0]
                or run[1] - run[0] >= c.min_baseline_s
                or run[0] - old[1] > 1.0
            ):
                self.last_quiet = run
            self._up_from = None
        elif not isinstance(up, Side):
            self._quiet_from = None
            self._up_from = None
        quiet_s = 0.0 if self._quiet_from is None else obs.t_s - self._quiet_from
        if self.step is Step.BASELINE and quiet_s >= c.baseline_s:
            self.step = Step.LIFT
        if isinstance(up, Side):
            q = self.last_quiet  # the quiet stance just before this lift, if long enough
            settled = self.step is Step.LIFT or (
                q is not None and q[1] - q[0] >= c.min_baseline_s and obs.t_s - q[1] <= 1.0
            )
            if wanted is not None and up is not wanted:
                return Prompt(
                    self.step,
                    f"That is your {up.caps} foot: lift your {wanted.caps} foot",
                    self.note,
                    side=wanted,
                )
            if not settled:
                return Prompt(self.step, "Put your foot down and stand still first", self.note)
            self._up_from = obs.t_s if self._up_from is None else self._up_from
            if obs.t_s - self._up_from >= c.lift_confirm_s:
                self.hold_baseline = self.last_quiet
                self.step = Step.HOLD
                self._side = up
                self._since = self._up_from
                self._down_from = None
                return self._hold(obs, up)
            return Prompt(self.step, f"{up.caps} foot up: hold it there", self.note, side=up)
        if self.step is Step.BASELINE:
            crowd = "Only one person in view please" if obs.n_people > 1 else self.note
            return Prompt(Step.BASELINE, "Stand still on both feet", crowd)
        if wanted is None:
            prompt = "Lift either foot off the floor, knee bent, and hold"
        elif self._early is not None:
            prompt = f"Lift your {wanted.caps} foot again to retry (n: go on)"
        else:
            prompt = f"Now the other foot: lift your {wanted.caps} foot and hold"
        return Prompt(Step.LIFT, prompt, "Knee bent, thigh low (not knee to chest)", side=wanted)

    def _hold(self, obs: Observation, up: Feet) -> Prompt:
        c = self.config
        assert self._side is not None and self._since is not None
        side, start = self._side, self._since
        elapsed = obs.t_s - start
        if up is None:
            self._down_from = obs.t_s if self._down_from is None else self._down_from
            if obs.t_s - self._down_from >= c.down_confirm_s:
                down = self._down_from
                self._finish(start, down, completed=False)
                self.note = (
                    f"{side.caps} foot down after {down - start:.1f} s "
                    f"(the test asks for {c.hold_s:.0f} s)"
                )
                self._early = side
                self._enter_baseline()
                self.step = Step.LIFT
                return Prompt(Step.LIFT, f"Foot down early: {self.note}", "", side=side)
        elif up is side:
            self._down_from = None
        if elapsed >= c.hold_s:
            self.step = Step.DOWN
            return self._down(obs, up)
        detail = "Only one person in view please" if obs.n_people > 1 else "Keep it up"
        return Prompt(
            Step.HOLD,
            f"Hold: {c.hold_s - elapsed:.0f} s",
            detail,
            countdown_s=c.hold_s - elapsed,
            side=side,
            progress=elapsed / c.hold_s,
        )

    def _down(self, obs: Observation, up: Feet) -> Prompt:
        assert self._side is not None and self._since is not None
        side = self._side
        if up is None:
            self._down_from = obs.t_s if self._down_from is None else self._down_from
            if obs.t_s - self._down_from >= self.config.lift_confirm_s:
                self._finish(self._since, self._down_from, completed=True)
                self.note = ""
                if self._all_done():
                    self.step = Step.DONE
                    return Prompt(Step.DONE, "Test complete", "Press q to see the result")
                self._enter_baseline()
                nxt = self.wanted()
                return Prompt(
                    Step.BASELINE,
                    "Stand still on both feet",
                    "" if nxt is None else f"next: your {nxt.caps} foot",
                    side=nxt,
                )
        else:
            self._down_from = None
        return Prompt(Step.DOWN, f"Well done: put your {side.caps} foot down", side=side)

    def _finish(self, start: float, end: float, *, completed: bool) -> None:
        assert self._side is not None
        self.attempts.append(Attempt(self._side, start, end, completed))
        if completed and self._early is self._side:
            self._early = None
        self._side = None
        self._since = None
        self._down_from = None

    def _interrupt(self, t_s: float) -> None:
        """The person left the frame for ``lost_s``: abandon a hold in progress."""
        if self.step in (Step.HOLD, Step.DOWN) and self._side is not None:
            assert self._since is not None
            done = self.step is Step.DOWN
            side = self._side
            self._finish(self._since, t_s, completed=done)
            if not done:
                self._early = side
                self.note = f"The {side.caps}-foot hold was interrupted: you left the frame"
        self.step = Step.FRAMING
        self._since = None
        self._quiet_from = None
        self._up_from = None
        self._lost_from = None
