"""Subject following against a two-person landmarker on every frame.

    uv run python benchmarks/follow_check.py [CLIP ...] [--max-fps F]

`stance.vision.follow.PersonFollower` runs a two-person landmarker only now and then (a
"look"). This compares its subject and count of people, frame by frame, with a two-person
landmarker run on every frame (what the analysis did before following, at about 1.7 times
the cost), on each clip (default: every clip of ../shared/footage and the bundled sample):

* ``looks``: share of the analysed frames the two-person landmarker ran on;
* ``subject differs``: frames where the subject chosen (`SubjectTracker`) is more than 0.3
  body heights from the reference's, or found by one and not the other;
* ``count differs``: frames where the number of people differs, and the frames with two or
  more people in each.

The reference is not truth: a two-person landmarker now and then returns one person twice,
which the follower counts once (see `stance.vision.follow`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from stance.io.models import ensure_model
from stance.io.source import iter_frames
from stance.vision.follow import PersonFollower
from stance.vision.landmarker import (
    PeopleDetector,
    PoseEstimator,
    TrackBuilder,
    model_input_of,
)

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = REPO.parent / "shared" / "footage"


def _subjects(
    clip: Path, max_fps: float | None, detector: PeopleDetector
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per analysed frame of ``clip`` (decoded anew for each detector, so memory stays flat):
    the subject's box centre (T, 2) and height (T,) in pixels (NaN if none), and the number
    of people (T,)."""
    builder: TrackBuilder | None = None
    centres: list[np.ndarray] = []
    heights: list[float] = []
    for frame in iter_frames(clip, max_fps=max_fps):
        if builder is None:
            builder = TrackBuilder(frame.image.shape[1], frame.image.shape[0])
        people = detector.detect(frame.image, frame.t_s, model_input=model_input_of(frame.image))
        chosen = builder.add(frame.t_s, people)
        centres.append(np.full(2, np.nan) if chosen is None else chosen.centre)
        heights.append(np.nan if chosen is None else chosen.height_px)
    assert builder is not None  # iter_frames yields the first frame or raises
    return np.array(centres), np.array(heights), builder.build().n_people


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--max-fps", type=float, default=10.0, help="analysed frames/s (default 10)")
    args = ap.parse_args()
    clips = args.clips or [
        *sorted(FOOTAGE.glob("*.mp4")),
        *sorted(REPO.glob("sample_videos/*.mp4")),
    ]
    model = ensure_model()
    print(f"{'clip':<40} {'frames':>6} {'looks':>6} {'subject differs':>15} "
          f"{'count differs':>13} {'2+ (ref / followed)':>20}")  # fmt: skip
    total = np.zeros(4, dtype=int)
    rate = args.max_fps or None
    for clip in clips:
        with PoseEstimator(model, num_poses=2) as reference:
            ref_c, ref_h, ref_n = _subjects(clip, rate, reference)
        with PersonFollower(model) as follower:
            c, _, n = _subjects(clip, rate, follower)
            looks = follower.looks
        with np.errstate(invalid="ignore"):
            far = np.linalg.norm(c - ref_c, axis=1) / ref_h > 0.3
        one_only = np.isnan(c[:, 0]) != np.isnan(ref_c[:, 0])
        differs = int(np.sum(far | one_only))
        counts = int(np.sum(n != ref_n))
        crowd = f"{int(np.sum(ref_n > 1))} / {int(np.sum(n > 1))}"
        print(f"{clip.name[:40]:<40} {len(ref_n):>6} {looks / len(ref_n):>6.2f} "
              f"{differs:>15} {counts:>13} {crowd:>20}", flush=True)  # fmt: skip
        total += (len(ref_n), looks, differs, counts)
    print(f"{'all':<40} {total[0]:>6} {total[1] / total[0]:>6.2f} {total[2]:>15} {total[3]:>13}")


if __name__ == "__main__":
    main()
