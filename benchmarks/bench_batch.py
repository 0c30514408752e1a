"""Throughput of `stance batch` with 1 and 2 worker processes, in one run.

    uv run python benchmarks/bench_batch.py [CLIP...] [--max-fps F] [--threads N]

Default clips: the bundled sample and two short clips from ../shared/footage (copies of
the sample where that is absent). Each configuration runs in a fresh child process, so its
peak RSS per worker (`resource.getrusage(RUSAGE_CHILDREN)`: the largest worker) is its own.
Prints clips/minute for each worker count and the ratio 2 workers / 1 worker, and the same
for the cluster path (`--cluster` against a local Dask cluster of 2 single-threaded worker
processes) when the `cluster` extra is installed.
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
CLUSTER = -1  # child mode: run on a local Dask cluster


def _one(clips: list[str], workers: int, max_fps: float | None, threads: int | None) -> None:
    """Child mode: run one batch and print a JSON line with its numbers."""
    from stance.batch.runner import run_batch
    from stance.pipeline import Settings

    with tempfile.TemporaryDirectory() as out:
        if workers == CLUSTER:
            from distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
                t0 = time.perf_counter()
                res = run_batch(
                    clips,
                    Path(out),
                    settings=Settings(max_fps=max_fps),
                    cluster=cluster.scheduler_address,
                )
                wall = time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            res = run_batch(
                clips,
                Path(out),
                settings=Settings(max_fps=max_fps),
                workers=workers,
                threads=threads,
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
    try:
        import distributed  # noqa: F401

        modes = (1, 2, CLUSTER)
    except ImportError:
        print("(Dask distributed not installed: `uv sync --extra cluster` adds the cluster path)")
        modes = (1, 2)
    for workers in modes:
        cmd = [sys.executable, __file__, *map(str, clips), "--child", str(workers)]
        if args.max_fps is not None:
            cmd += ["--max-fps", str(args.max_fps)]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        r = json.loads(line.strip().splitlines()[-1])
        rate[workers] = len(clips) / r["wall_s"] * 60
        label = "cluster (local Dask, 2 workers)" if workers == CLUSTER else f"workers={workers}"
        print(
            f"{label}: {r['wall_s']:.1f} s, {rate[workers]:.2f} clips/min, "
            f"peak RSS per worker {r['rss_mib']:.0f} MiB, {r['counts']}"
        )
    print(f"ratio 2 workers / 1 worker: {rate[2] / rate[1]:.2f}")
    if CLUSTER in rate:
        print(f"ratio cluster / 1 local worker: {rate[CLUSTER] / rate[1]:.2f}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
