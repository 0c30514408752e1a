"""Speed of `stance analyze` as a user runs it, against its parts, as multiples of real time.

    uv run python benchmarks/bench_analyze.py [CLIP ...] [--max-fps F ...] [--loop N]

For each clip (default: ../shared/footage/leg_swing_left_stance.mp4, 1080p30, and a 720p
copy of it made with ffmpeg in a temporary folder; ``--loop N`` plays each N times in a row,
``ffmpeg -stream_loop``) and each rate (default: 10 fps, the default, and 0 = every frame):

* ``decode``: decoding only (OpenCV, the frames the analysis keeps), in this process;
* ``pose 1p``: MediaPipe's one-person landmarker alone on those frames (decoding not timed);
* ``pose pass``: `stance.pipeline.run_pose` with the analysis's frame observers: decoding in
  its thread, the subject followed (`stance.vision.follow`), the image estimators;
* ``analyze``: ``python -m stance analyze CLIP -q --json ...`` as a process, start-up, model
  check and reports included.

Each is printed as x real time (the clip's duration / the wall time: 3x = a one-minute clip in
20 s) and, per analysed frame, in ms; then analyze / (decode + pose 1p) and pose pass / pose 1p.
``--repeat N`` times each N times and keeps the fastest (for a shared, noisy machine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stance.analysis.lighting import LightMeter
from stance.io.ffmpeg import run_ffmpeg
from stance.io.models import ensure_model
from stance.io.source import iter_frames, probe_video
from stance.pipeline import ESTIMATORS, Settings, pelvis_observer, run_pose
from stance.vision.foot_track import FootTracker

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "footage" / "leg_swing_left_stance.mp4"


def _rate(value: str) -> float | None:
    """A --max-fps value: frames per second; 0 = every frame (None)."""
    fps = float(value)
    if fps < 0:
        raise argparse.ArgumentTypeError("--max-fps must be 0 (every frame) or more")
    return fps or None


def _variants(clips: list[Path], tmp: Path, loop: int) -> list[Path]:
    """The clips to time: the given ones, or the default 1080p clip and a 720p copy."""
    if not clips:
        if not DEFAULT_CLIP.exists():
            sys.exit(f"{DEFAULT_CLIP} is absent: pass a clip")
        p720 = tmp / f"{DEFAULT_CLIP.stem}_720p.mp4"
        run_ffmpeg(["-i", str(DEFAULT_CLIP), "-vf", "scale=-2:720", "-c:v", "libx264",
                    "-crf", "18", "-preset", "veryfast", "-an", str(p720)])  # fmt: skip
        clips = [DEFAULT_CLIP, p720]
    if loop > 1:
        looped = []
        for c in clips:
            out = tmp / f"{c.stem}_x{loop}.mp4"
            run_ffmpeg(["-stream_loop", str(loop - 1), "-i", str(c), "-c", "copy", "-an",
                        str(out)])  # fmt: skip
            looped.append(out)
        clips = looped
    return clips


def _decode(clip: Path, max_fps: float | None) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = sum(1 for _ in iter_frames(clip, max_fps=max_fps))
    return time.perf_counter() - t0, n


def _pose_one_person(clip: Path, max_fps: float | None, model: Path) -> float:
    """Seconds MediaPipe's one-person landmarker spends on the analysed frames."""
    from stance.vision.landmarker import PoseEstimator

    spent = 0.0
    with PoseEstimator(model, num_poses=1) as est:
        for frame in iter_frames(clip, max_fps=max_fps):
            t0 = time.perf_counter()
            est.detect(frame.image, frame.t_s)
            spent += time.perf_counter() - t0
    return spent


def _pose_pass(clip: Path, settings: Settings, model: Path) -> float:
    video = probe_video(clip)
    observer = pelvis_observer(settings)
    observers = [LightMeter(), FootTracker(), *([observer] if observer is not None else [])]
    t0 = time.perf_counter()
    run_pose(clip, video, model_path=model, settings=settings, observers=observers)
    return time.perf_counter() - t0


def _analyze_process(clip: Path, max_fps: float | None, estimator: str, out: Path) -> float:
    cmd = [sys.executable, "-m", "stance", "analyze", str(clip), "-q", "--json", str(out),
           "--max-fps", str(max_fps or 0), "--estimator", estimator]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 3):
        sys.exit(f"stance analyze failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--max-fps", type=_rate, action="append", dest="rates",
                    help="frames/s, 0 = every frame (repeatable; default: 10 and 0)")  # fmt: skip
    ap.add_argument("--loop", type=int, default=1, help="play each clip this many times")
    ap.add_argument("--estimator", default=ESTIMATORS[0], choices=ESTIMATORS)
    ap.add_argument("--repeat", type=int, default=1, help="time each N times, keep the fastest")
    args = ap.parse_args()
    rep = max(1, args.repeat)
    rates: list[float | None] = args.rates or [Settings().max_fps, None]
    model = ensure_model()
    print(f"{'clip':<34} {'rate':>6} {'frames':>6}  {'decode':>15}  {'pose 1p':>15}  "
          f"{'pose pass':>15}  {'analyze':>15}  {'an/(dec+1p)':>11}  {'pass/1p':>7}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_analyze_") as tmp_name:
        tmp = Path(tmp_name)
        for clip in _variants(list(args.clips), tmp, args.loop):
            video = probe_video(clip)
            real = video.duration_s
            for max_fps in rates:
                settings = Settings(max_fps=max_fps, estimator=args.estimator)
                decode, n = min(_decode(clip, max_fps) for _ in range(rep))
                pose = min(_pose_one_person(clip, max_fps, model) for _ in range(rep))
                pass_s = min(_pose_pass(clip, settings, model) for _ in range(rep))
                out = tmp / "a.json"
                full = min(_analyze_process(clip, max_fps, args.estimator, out) for _ in range(rep))

                def cell(s: float, n: int = n, real: float = real) -> str:
                    return f"{real / s:5.2f}x {1000 * s / n:5.1f}ms"

                name = f"{clip.name[:24]} {video.width}x{video.height}"
                rate = f"{max_fps:g}" if max_fps else "all"
                print(f"{name:<34} {rate:>6} {n:>6}  {cell(decode):>15}  {cell(pose):>15}  "
                      f"{cell(pass_s):>15}  {cell(full):>15}  {full / (decode + pose):>11.2f}  "
                      f"{pass_s / pose:>7.2f}", flush=True)  # fmt: skip
    print("x = real time (clip duration / wall time; higher is faster); ms per analysed frame")


if __name__ == "__main__":
    main()
