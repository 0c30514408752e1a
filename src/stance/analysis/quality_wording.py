"""The sentences of the quality flags (no decision is taken here).

`stance.analysis.quality` decides which flags a clip gets (their `FlagCode`, whether they
block) and the numbers behind them; this module turns each into the plain words people read
in every report: the problem and what to do. Changing a sentence here cannot change a result.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from stance.analysis.lighting import MIN_CONTRAST, Lighting
from stance.core.track import Side

if TYPE_CHECKING:
    from stance.analysis.foot_rise import Rise
    from stance.analysis.quality import NobodyCause


def too_short(name: str, duration_s: float, *, baseline_s: float, min_hold_s: float) -> str:
    """A clip of ``duration_s`` seconds is shorter than a baseline and the shortest hold."""
    return (
        f"{name} is only {duration_s:.1f} s long: a single-leg stance test needs at least "
        f"{baseline_s + min_hold_s:.0f} s ({baseline_s:.0f} s standing on both feet, then a "
        f"hold of {min_hold_s:.0f} s or more; the clinical test holds 30 s). Record the whole "
        "test."
    )


def poor_lighting(lighting: Lighting) -> str:
    """The poor-lighting flag's sentence: what was measured and what to do."""
    what = (
        "Too dark" if lighting.dark else "Too little contrast (haze, glare or a washed-out picture)"
    )
    return (
        f"{what}: the picture's brightness is {lighting.brightness:.1%} and its contrast "
        f"{lighting.contrast:.1%} of full scale (at least {MIN_CONTRAST:.0%} is needed), too "
        "little to see the body and the clothes' edges. Film in good, even light, with the "
        "light in front of you rather than behind."
    )


def no_person(
    person_fraction: float, cause: NobodyCause, frame_size: tuple[int, int], height: float
) -> str:
    """Somebody was seen, in too few frames; ``height`` is their median height in the picture
    (share of the frame's height, NaN when unknown)."""
    from stance.analysis.quality import NobodyCause

    seen = f"Nobody found: a person was seen in only {person_fraction:.0%} of the frames"
    if cause is NobodyCause.TOO_SMALL:
        return f"{seen}, {_too_small(frame_size, height)}"
    return f"{seen}. Film the whole body, well lit, standing 2-4 m from the camera."


def nobody_found(
    name: str,
    cause: NobodyCause,
    lighting: Lighting,
    frame_size: tuple[int, int],
    height: float,
) -> str:
    """The pose model found nobody in any frame of the clip ``name``."""
    from stance.analysis.quality import NobodyCause

    head = f"Nobody was found in {name}"
    if cause is NobodyCause.POOR_LIGHT:
        return f"{head}. {poor_lighting(lighting)}"
    if cause is NobodyCause.TOO_SMALL:
        return f"{head}: {_too_small(frame_size, height)}"
    return (
        f"{head}. Film the whole body, facing the camera, in good light, close enough that "
        "the body fills most of the picture's height."
    )


def _too_small(frame_size: tuple[int, int], height: float) -> str:
    """The person is (probably) too small in the picture: say so, and what to do."""
    from stance.analysis.quality import SMALL_PERSON

    w, h = frame_size
    if math.isfinite(height):
        what = (
            f"too small in the picture: the body fills {height:.0%} of its height, and the pose "
            f"model needs about {SMALL_PERSON:.0%} or more."
        )
    else:
        what = (
            f"the person is probably too small in this {w}x{h} picture: the pose model sees "
            "the whole picture reduced and needs the body to fill about "
            f"{SMALL_PERSON:.0%} or more of its height."
        )
    return (
        f"{what} Move closer to the camera (or zoom in) so that the whole body, feet "
        "included, fills most of the picture's height, facing the camera, in good light."
    )


def not_frontal(frontal_fraction: float) -> str:
    return (
        "Not a frontal view: the person faces the camera in only "
        f"{frontal_fraction:.0%} of the frames (side or back view). Stand facing the camera "
        "for the whole test."
    )


def feet_out(worst_fraction: float) -> str:
    return (
        f"Feet out of frame: both feet are visible in only {worst_fraction:.0%} of the frames. "
        "Keep the whole body, feet included, in the picture for the whole test."
    )


def cut_in_trial(t_s: float) -> str:
    return (
        "Video cut during the test: the picture jumps (a cut, or the tracking switched) "
        f"during a single-leg stance at {t_s:.1f} s. Record the test "
        "in one continuous, unedited take."
    )


def multi_person(multi_fraction: float) -> str:
    return (
        f"More than one person was seen ({multi_fraction:.0%} of the frames); only one is "
        "followed. Film the test with nobody else in the picture."
    )


def tracking_jumps(n: int, first_t_s: float) -> str:
    return (
        f"The tracking jumps {n} time(s) (first at "
        f"{first_t_s:.1f} s): cuts, or the tracker lost the person. "
        "An unedited take with one person works best."
    )


def low_frame_rate(fps: float) -> str:
    return (
        f"Low frame rate ({fps:.0f} frames per second): timing and quick movements "
        "are less precise. Record at 25-30 frames per second or more."
    )


ADULT_LEG_CM = 85.0
"""Hip joint to ankle of an adult, about (to say a rise in leg lengths in centimetres)."""


def no_trial(min_lift_s: float, low_rise: Rise | None = None) -> str:
    """No trial: no foot stayed up ``min_lift_s`` seconds (`SegmentParams.min_hold_s`);
    ``low_rise``: a foot that was held up, but too little to count."""
    held = "a second" if min_lift_s == 1 else f"{min_lift_s:g} seconds"
    too_low = ""
    if low_rise is not None:
        cm = low_rise.leg_lengths * ADULT_LEG_CM
        too_low = (
            f"The {low_rise.side.value.upper()} foot was held only about "
            f"{low_rise.leg_lengths:.2f} leg lengths up (about {cm:.0f} cm on an adult): too "
            "little to tell from standing. "
        )
    return (
        f"No single-leg stance found: no foot was lifted and held for at least {held}. "
        f"{too_low}Stand facing the camera, lift one foot a hand's width off the floor, knee "
        "bent, hold it, put it down, then the other."
    )


def hold_too_short(longest_s: float, min_hold_s: float) -> str:
    return (
        f"Hold too short: the longest single-leg stance lasted {longest_s:.1f} s; at least "
        f"{min_hold_s:.0f} s is needed (the clinical test asks for 30 s). Hold each foot up "
        "longer."
    )


def lift_too_high(lifted: Side, height_legs: float) -> str:
    return (
        f"The {lifted.caps} foot was held high ({height_legs:.1f} leg lengths above the "
        "other, e.g. a tree pose or knee to chest): such a lift tilts the pelvis by "
        "itself, so its hip numbers are not the clinical test's. Lift the foot just off "
        "the floor, knee bent, thigh low."
    )


def no_baseline(*, any_with_baseline: bool) -> str:
    return (
        "No quiet standing before the lift: no still stance on both feet before "
        + ("one" if any_with_baseline else "any")
        + " single-leg stance, so it cannot be compared with normal standing. Stand still on "
        "both feet for 2 seconds before each lift."
    )
