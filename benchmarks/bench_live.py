"""Responsiveness of `stance live` with a file played at camera pace, 640x480.

    uv run python benchmarks/bench_live.py [CLIP] [--seconds S] [--window]

The clip (default: ../shared/footage/tree_pose_right_studio.mp4, else the bundled sample) is
first converted to 640x480 (letterboxed) at 30 fps, like a laptop webcam, then played through
the live runner at its real pace. Without --window the display frames go to a --headless MP4
(which also costs an H.264 encode per frame); with --window (needs a display, e.g. Xvfb)
they go to a real OpenCV window. Prints displayed frames per second, analysed (pose) frames
per second and the frame-to-overlay latency (capture of a frame -> first display of the
overlay computed from it), with their ratios to the targets (>= 20 fps, < 150 ms).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from stance.io.ffmpeg import run_ffmpeg
from stance.io.models import ensure_model
from stance.live.protocol import ProtocolConfig
from stance.live.run import LiveOptions, run_live

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "footage" / "tree_pose_right_studio.mp4"
TARGET_FPS = 20.0
TARGET_LATENCY_MS = 150.0


def webcam_like(src: Path, dst: Path, seconds: float) -> Path:
    """``src`` as a 640x480, 30 fps H.264 clip of at most ``seconds`` seconds."""
    vf = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=30"
    encode = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    run_ffmpeg(["-i", str(src), "-t", f"{seconds}", "-vf", vf, "-an", *encode, str(dst)])
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("clip", nargs="?", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the run (s)")
    ap.add_argument("--window", action="store_true", help="show a window instead of --headless")
    args = ap.parse_args()
    clip: Path = args.clip
    if not clip.exists():
        clip = REPO / "sample_videos" / "sample_right_weak.mp4"
    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        cam = webcam_like(clip, Path(tmp) / "cam.mp4", args.seconds)
        options = LiveOptions(
            source=cam,
            headless=None if args.window else Path(tmp) / "shown.mp4",
            protocol=ProtocolConfig(hold_s=5.0),
            keep_result=False,
        )
        result = run_live(options, model)
    s = result.stats
    print(f"clip: {clip.name} as 640x480 @ 30 fps, {s.duration_s:.1f} s, ", end="")
    print("window" if args.window else "headless MP4")
    print(f"frames read {s.frames_read}, shown {s.frames_shown}, analysed {s.frames_analysed}")
    print(
        f"displayed     {s.display_fps:6.1f} fps   ratio to target {s.display_fps / TARGET_FPS:.2f}"
        f"  (>= 1 meets {TARGET_FPS:.0f} fps)"
    )
    print(f"analysed      {s.pose_fps:6.1f} fps")
    print(
        f"latency       median {s.latency_ms_median:5.0f} ms, p95 {s.latency_ms_p95:5.0f} ms;"
        f" target/median {TARGET_LATENCY_MS / s.latency_ms_median:.2f}"
        f"  (>= 1 meets {TARGET_LATENCY_MS:.0f} ms)"
    )


if __name__ == "__main__":
    main()
