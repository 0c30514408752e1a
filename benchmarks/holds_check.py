"""Hold detection alone, on many clips, fast enough to try a segmentation rule on all of them.

    uv run python benchmarks/holds_check.py [CLIP_OR_FOLDER ...] [--cache DIR]

For every clip (an .mp4, or every .mp4 in a folder; default: the bundled sample,
../shared/avatar/sequences and ../shared/footage) the pose pass runs once and its raw track is
kept in ``--cache`` (default ``~/.cache/stance-holds``, keyed by the file's size and time), so a
second run only re-runs the numeric steps (clean, segment). It prints every hold found; where a
truth JSON lies beside the clip (a render) it also prints each true hold, its lifted side and
hip flexion, and the start and end errors against the foot leaving and touching the floor
(within ``truth_clips.DETECT_TOL_S`` is a pass). A clip named ``neg_*`` (or in a folder named
``negatives``) must have no hold. Ends with the counts, and exit 1 on any miss.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from truth_clips import DETECT_TOL_S, SHARED, truth_trials  # noqa: E402

from stance.analysis.clean import clean_track  # noqa: E402
from stance.analysis.foot_rise import FootRise  # noqa: E402
from stance.analysis.segment import Segmentation, segment  # noqa: E402
from stance.core.track import PoseTrack  # noqa: E402
from stance.io.models import ensure_model  # noqa: E402
from stance.io.source import probe_video  # noqa: E402
from stance.pipeline import Settings, run_pose  # noqa: E402
from stance.vision.foot_track import FootParams, FootTracker  # noqa: E402

ARRAYS = ("t_s", "xy", "visibility", "presence", "world", "n_people")
FEET = ("left", "right", "score_left", "score_right")


def raw_track(clip: Path, cache: Path) -> PoseTrack:
    """The clip's raw pose track at the default rate, from the cache when it is there."""
    return observed(clip, cache)[0]


def observed(clip: Path, cache: Path) -> tuple[PoseTrack, FootRise]:
    """The clip's raw pose track at the default rate and its feet's rise in pixels, from the
    cache when they are there."""
    st = clip.stat()
    key = cache / f"{clip.stem}_{st.st_size}_{int(st.st_mtime)}_feet.npz"
    if not key.exists():
        feet = FootTracker()
        video = probe_video(clip)
        raw = run_pose(
            clip, video, model_path=ensure_model(), settings=Settings(), observers=[feet]
        )
        fr = feet.result()
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            key,
            **{k: getattr(raw, k) for k in ARRAYS},
            **{f"feet_{k}": getattr(fr, k) for k in FEET},
            size=raw.frame_size,
        )
    z = np.load(key)
    raw = PoseTrack(**{k: z[k] for k in ARRAYS}, frame_size=(int(z["size"][0]), int(z["size"][1])))
    trusted = FootParams().min_score
    fr = FootRise(t_s=raw.t_s, **{k: z[f"feet_{k}"] for k in FEET}, min_score=trusted)
    return raw, fr


def clips_of(args: list[Path]) -> list[Path]:
    if not args:
        args = [
            REPO / "sample_videos" / "sample_right_weak.mp4",
            SHARED / "avatar" / "sequences",
            SHARED / "footage",
        ]
    out: list[Path] = []
    for a in args:
        out += sorted(a.glob("*.mp4")) if a.is_dir() else [a]
    return out


def truth_of(clip: Path) -> dict[str, Any] | None:
    j = clip.with_suffix(".json")
    if clip.name == "sample_right_weak.mp4":
        j = SHARED / "sample" / "sample_right_weak.json"
    if not j.exists():
        return None
    truth = json.loads(j.read_text())
    return truth if "frames" in truth else None


def is_negative(clip: Path) -> bool:
    return clip.stem.startswith("neg_") or clip.parent.name == "negatives"


def check(clip: Path, seg: Segmentation) -> tuple[int, int, list[str]]:
    """(holds expected, holds right, lines) for one clip."""
    found = [(t.lifted.value, t.start_s, t.end_s) for t in seg.trials]
    said = ", ".join(f"{s} {a:.2f}-{b:.2f}" for s, a, b in found) or "none"
    lines = [f"{clip.name}: found {said}"]
    if is_negative(clip):
        lines.append(f"  negative: {'ok' if not found else 'FALSE HOLD'}")
        return 1, int(not found), lines
    truth = truth_of(clip)
    if truth is None:
        return 0, 0, lines
    right = 0
    trials = truth_trials(truth)
    for tt in trials:
        same = [f for f in found if f[0] == tt["lifted"]]
        flex = tt["hip_flex_deg"]
        off = f"{tt['off_start_s']:.2f}-{tt['off_end_s']:.2f}"
        head = f"  true {tt['lifted']:<5} hip {flex:>4.0f}: off {off}"
        if not same:
            lines.append(f"{head}  MISSED")
            continue
        _, a, b = min(same, key=lambda f: abs(f[1] - tt["off_start_s"]))
        es, ee = a - tt["off_start_s"], b - tt["off_end_s"]
        ok = abs(es) <= DETECT_TOL_S and abs(ee) <= DETECT_TOL_S
        right += int(ok)
        lines.append(f"{head}  start {es:+.2f} end {ee:+.2f} {'ok' if ok else 'OFF'}")
    extra = len(found) - len(trials)
    if extra > 0:
        lines.append(f"  {extra} hold(s) more than the truth has")
    return len(trials), right - max(extra, 0), lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "stance-holds")
    ap.add_argument("--no-pixels", action="store_true", help="landmarks only (no FootTracker)")
    ap.add_argument("--min-score", type=float, default=None, help="FootTracker's, to try one")
    ap.add_argument("--lift-on", type=float, default=None, help="SegmentParams.lift_on to try")
    args = ap.parse_args()
    settings = Settings()
    if args.lift_on is not None:
        settings = replace(settings, segment=replace(settings.segment, lift_on=args.lift_on))
    expected = right = 0
    for clip in clips_of(args.clips):
        raw, feet = observed(clip, args.cache)
        pixels = None if args.no_pixels else feet
        if pixels is not None and args.min_score is not None:
            pixels = replace(pixels, min_score=args.min_score)
        seg = segment(clean_track(raw, settings.clean), settings.segment, pixels)
        n, ok, lines = check(clip, seg)
        expected += n
        right += ok
        print("\n".join(lines), flush=True)
    print(f"holds (and negatives) right: {right} of {expected}")
    sys.exit(0 if right == expected else 1)


if __name__ == "__main__":
    main()
