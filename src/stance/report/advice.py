"""What to do next: plain-language meaning of the findings and the exercises for a weak side.

The exercises are those of the source documents the project was built from
(the "weak gluteus medius" videos and articles in the project's seed documents: a
side-lying trigger-point release with abduction, the wall hip bump and the sack
swinger). Every sentence speaks of the person's own left and right.
"""

from __future__ import annotations

from dataclasses import dataclass

from stance.core.track import Side

NOT_A_DIAGNOSIS = (
    "This is not a diagnosis. It is a screening measurement from video; if you have pain, "
    "numbness, or a recent injury, see a physiotherapist or a doctor."
)


@dataclass(frozen=True)
class Exercise:
    name: str
    how: str
    dose: str


def exercises_for(weak: Side) -> tuple[Exercise, ...]:
    """Exercises for a weak gluteus medius on side ``weak`` (the person's own side)."""
    w, o = weak.value, weak.other.value
    return (
        Exercise(
            name=f"Side-lying release and lift ({w} hip on top)",
            how=(
                f"Lie on your {o} side with the {w} hip on top. Press a thumb into the most "
                f"tender spot just outside the bony rim of the {w} pelvis. Keeping the "
                f"pressure, swing the {w} leg down and forward, then back behind you past the "
                "midline and up toward the ceiling, toes pointing down so the side of the hip "
                "does the work."
            ),
            dose=(
                "10 slow repetitions; then hold the leg up at the top for as long as you can "
                "(often only 30-60 seconds at first)."
            ),
        ),
        Exercise(
            name=f"Wall hip bump (standing on the {w} leg)",
            how=(
                f"Stand with your {o} side next to a wall, {o} arm out for balance. Stand on "
                f"the {w} leg and lift the {o} knee to 90 degrees. Let the {o} hip drop away "
                f"from the wall, then drive it up until the {o} thigh touches the wall: the "
                f"{w} hip (the standing leg) does the work."
            ),
            dose="10-15 repetitions with solid contractions, a few times a week.",
        ),
        Exercise(
            name="Sack swinger (advanced)",
            how=(
                "Hook a strap (a dog leash works) around your waist with a kettlebell or "
                "dumbbell hanging between your legs, and walk, keeping the pelvis level."
            ),
            dose="A few lengths of the room, as a warm-up before training.",
        ),
    )
