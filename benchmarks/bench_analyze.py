"""Speed of `stance analyze` against its limit (decode + pose inference), in one run.

    uv run python benchmarks/bench_analyze.py [CLIP] [--max-fps F] [--estimator NAME]

Prints decode-only, decode+pose and full-analysis wall times and the ratio
full / (decode + pose) (target <= 1.15), plus the share of the numeric stages.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stance.io.models import ensure_model
from stance.io.source import iter_frames, probe_video
from stance.pipeline import ESTIMATORS, Settings, analyze, run_pose

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "footage" / "tree_pose_right_studio.mp4"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--max-fps", type=float, default=None)
    ap.add_argument("--estimator", default=ESTIMATORS[0], choices=ESTIMATORS)
    args = ap.parse_args()
    clip: Path = args.clip
    if not clip.exists():
        clip = REPO / "sample_videos" / "sample_right_weak.mp4"
    settings = Settings(max_fps=args.max_fps, estimator=args.estimator)
    video = probe_video(clip)
    model = ensure_model()

    t0 = time.perf_counter()
    n = sum(1 for _ in iter_frames(clip, max_fps=args.max_fps))
    decode = time.perf_counter() - t0

    t0 = time.perf_counter()
    run_pose(clip, video, model_path=model, settings=settings, observers=[])
    pose = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = analyze(clip, settings=settings)
    full = time.perf_counter() - t0

    numeric = result.timings_s.get("numeric", 0.0)
    print(f"clip: {clip.name}  {video.width}x{video.height}  frames analysed: {n}")
    print(f"estimator: {args.estimator}  max_fps: {args.max_fps}")
    print(f"decode only      {decode:8.2f} s  {1000 * decode / n:6.1f} ms/frame")
    print(f"decode + pose    {pose:8.2f} s  {1000 * pose / n:6.1f} ms/frame")
    print(f"full analyze     {full:8.2f} s  {1000 * full / n:6.1f} ms/frame")
    print(f"ratio full / (decode + pose) = {full / pose:.3f}   (target <= 1.15)")
    print(f"numeric stages   {numeric:8.3f} s  = {100 * numeric / full:.2f}% of full (target < 2%)")


if __name__ == "__main__":
    main()
