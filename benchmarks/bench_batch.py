"""Throughput of `stance batch` with 1 and 2 worker processes, in one run.

    uv run python benchmarks/bench_batch.py [CLIP...] [--max-fps F] [--threads N]

Default clips: the bundled sample and two short clips from ../shared/footage (copies of
the sample where that is absent). Each configuration runs in a fresh child process, so its
peak RSS per worker (`resource.getrusage(RUSAGE_CHILDREN)`: the largest worker) is its own.
Prints clips/minute for each worker count and the ratio 2 workers / 1 worker.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "sample_right_weak.mp4"
FOOTAGE = REPO.parent / "shared" / "footage"
SHORT = ("tree_pose_left_short.mp4", "negative_lateral_raise.mp4")


def _one(clips: list[str], workers: int, max_fps: float | None, threads: int | None) -> None:
    """Child mode: run one batch and print a JSON line with its numbers."""
    from stance.batch import run_batch
    from stance.pipeline import Settings

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = run_batch(
            clips, Path(out), settings=Settings(max_fps=max_fps), workers=workers, threads=threads
        )
        wall = time.perf_counter() - t0
    rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"wall_s": wall, "rss_mib": rss_mib, "counts": res.counts}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--max-fps", type=float, default=None)
    ap.add_argument("--threads", type=int, default=None, help="OpenCV threads per worker")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        _one([str(c) for c in args.clips], args.child, args.max_fps, args.threads)
        return
    clips: list[Path] = args.clips
    tmp = tempfile.TemporaryDirectory()
    if not clips:
        clips = [SAMPLE]
        for i, name in enumerate(SHORT):
            p = FOOTAGE / name
            if not p.exists():  # a copy under another name: analysed again, not shared
                p = Path(tmp.name) / f"sample_copy{i}.mp4"
                p.write_bytes(SAMPLE.read_bytes())
            clips.append(p)
    print(f"{len(clips)} clips: {', '.join(c.name for c in clips)}; max_fps={args.max_fps}")
    rate: dict[int, float] = {}
    for workers in (1, 2):
        cmd = [sys.executable, __file__, *map(str, clips), "--child", str(workers)]
        if args.max_fps is not None:
            cmd += ["--max-fps", str(args.max_fps)]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        r = json.loads(line.strip().splitlines()[-1])
        rate[workers] = len(clips) / r["wall_s"] * 60
        print(
            f"workers={workers}: {r['wall_s']:.1f} s, {rate[workers]:.2f} clips/min, "
            f"peak RSS per worker {r['rss_mib']:.0f} MiB, {r['counts']}"
        )
    print(f"ratio 2 workers / 1 worker: {rate[2] / rate[1]:.2f}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
