"""Accuracy harness: the real pipeline against ground truth, every pelvic-drop estimator.

    uv run python benchmarks/accuracy.py [--out docs/VALIDATION.md] [--skip-metamorphic]

Sources (each skipped, with the reason, when absent):
  * rendered clips with per-frame truth: the bundled sample and ../shared/avatar/sequences;
  * single rendered frames: ../shared/avatar/sweeps (pairs: level frame vs dropped frame);
  * synthetic landmark tracks with known answers (tests/synthetic.py);
  * metamorphic variants of ../shared/footage clips made on the fly (rotated, mirrored,
    480p, half frame rate, re-encoded): the result must not change, or swap sides exactly.
Writes one Markdown report (default docs/VALIDATION.md) and prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from truth_clips import Fit, collect, truth_clips, truth_trials  # noqa: E402
from truth_clips import section as truth_section  # noqa: E402

from stance.analysis.pelvis import Estimator  # noqa: E402
from stance.core.track import Side  # noqa: E402
from stance.io.models import ensure_model  # noqa: E402
from stance.io.source import probe_video  # noqa: E402
from stance.pipeline import (  # noqa: E402
    ESTIMATORS,
    Judged,
    PelvisObserver,
    Settings,
    judge_track,
    pelvis_estimator,
    pelvis_observer,
    run_pose,
)
from stance.vision.foot_track import FootTracker  # noqa: E402

# --------------------------------------------------------------------------- running


def run_all_estimators(
    path: Path, *, max_fps: float | None = None, mirrored: bool = False
) -> dict[str, Judged]:
    """One pose pass with the fused observer (every image estimator watches the frames once);
    the numeric steps once per estimator. ``mirrored``: every frame flipped in memory (as
    for a selfie recording)."""
    video = probe_video(path)
    settings = Settings(max_fps=max_fps, mirrored=mirrored)  # max_fps None: every frame
    fused = pelvis_observer(replace(settings, estimator=Estimator.FUSED))
    assert fused is not None
    feet = FootTracker()
    model = ensure_model()
    raw = run_pose(path, video, model_path=model, settings=settings, observers=[fused, feet])
    observers = {
        name: None
        if name is Estimator.HIP_LINE
        else fused
        if name is Estimator.FUSED
        else PelvisObserver(name, {name: fused.trackers[name]})
        for name in ESTIMATORS
    }
    return {
        name: judge_track(
            raw,
            pelvis=pelvis_estimator(name, obs),
            settings=settings,
            source_fps=video.fps_nominal,
            feet=feet.result(),
        )
        for name, obs in observers.items()
    }


# --------------------------------------------------------------------------- truth clips


def section_truth_clips(
    lines: list[str],
    summary: dict[str, Any],
    keep: dict[str, dict[str, Judged]],
    extra_dirs: list[Path],
) -> None:
    lines += ["## Rendered clips with per-frame truth", ""]
    clips = truth_clips(extra_dirs)
    if len(clips) < 2:
        lines.append("_../shared/avatar/sequences absent: only the bundled sample is used._")
    if extra_dirs:
        names = ", ".join(p.stem for d in extra_dirs for p in sorted(Path(d).glob("*.mp4")))
        lines += [
            "Besides the bundled sample and ../shared/avatar/sequences: renders made with",
            f"../shared/avatar/render for this validation ({names}; their cases and",
            "renderer options are in benchmarks/cases_mh.json and cases_lifts.json (MakeHuman",
            "bodies), cases_game.json, cases_game_lifts.json and heldout_cases.json (game",
            "characters); `--truth-dir` adds",
            "them). The realistic renders are the calibration set of the true-drop range",
            "(`stance.analysis.fuse`): they are not held out.",
            "",
        ]
    rows, results = collect(clips, run_all_estimators)
    keep.update(results)
    truth_section(lines, summary, rows)


# --------------------------------------------------------------------------- negatives


def section_negatives(lines: list[str], summary: dict[str, Any], dirs: list[Path]) -> None:
    """Rendered movements that are not a held stance (``render_negatives.sh``): no hold may
    be found."""
    from stance.pipeline import analyze

    lines += ["## Movements that are not a held single-leg stance", ""]
    clips = [p for d in dirs for p in sorted(Path(d).glob("*.mp4"))]
    if not clips:
        lines += [
            "_No rendered negatives given (`--negatives-dir`, made with",
            "benchmarks/render_negatives.sh)._",
            "",
        ]
        return
    lines += [
        "MakeHuman bodies rendered with benchmarks/render_negatives.sh (the movements are",
        "defined in benchmarks/motion_cases.py: marching 110 steps a minute, high knees 160,",
        "a slow march at 65 with each foot up 0.75 s, step jacks), analysed with the default",
        "settings. None may show a held stance; the footage negatives are in the real-footage",
        "section.",
        "",
        "| clip | holds found | verdict |",
        "|---|---|---|",
    ]
    false_holds = 0
    for clip in clips:
        a = analyze(clip, settings=Settings())
        holds = [f"{t.lifted.value} {t.start_s:.1f}-{t.end_s:.1f} s" for t in a.segmentation.trials]
        false_holds += int(bool(holds))
        lines.append(f"| {clip.stem} | {', '.join(holds) or 'none'} | {a.verdict.outcome.value} |")
    summary["negatives"] = {"clips": len(clips), "with_a_hold": false_holds}
    lines += ["", f"Clips with a hold found: **{false_holds} of {len(clips)}**.", ""]


# --------------------------------------------------------------------------- sweeps


SINGLE = tuple(e for e in ESTIMATORS if e is not Estimator.FUSED)


def section_sweeps(lines: list[str], summary: dict[str, Any]) -> None:
    import cv2

    from stance.analysis.pelvis import HipLineEstimator
    from stance.io.source import Frame
    from stance.vision.landmarker import PoseEstimator, TrackBuilder

    lines += ["## Single rendered frames (../shared/avatar/sweeps)", ""]
    root = SHARED / "avatar" / "sweeps"
    if not root.exists():
        lines += ["_Skipped: ../shared/avatar/sweeps is absent._", ""]
        return
    lines += [
        "Each dropped frame is compared with the level (0 deg) frame of the same character and",
        "lifted foot, as a two-frame clip. These are unrelated renders (a 10-degree jump between",
        "frames), harder than video, where the pelvis moves a little from frame to frame.",
        "Each estimator on its own (fusion works on trials, not on single frames).",
        "",
        "| character | estimator | n | slope | offset | RMSE | max error |",
        "|---|---|---|---|---|---|---|",
    ]
    model = ensure_model()
    for char in sorted(p for p in root.iterdir() if p.is_dir()):
        truth = json.loads((char / "truth.json").read_text())
        level = {t["free_foot"]: t for t in truth if t["applied_drop_deg"] == 0}
        res: dict[str, tuple[list[float], list[float]]] = {e: ([], []) for e in SINGLE}
        for t in truth:
            if t["applied_shift_m"] != 0 or t["applied_drop_deg"] == 0:
                continue
            ref = level[t["free_foot"]]
            imgs = [cv2.imread(str(char / f)) for f in (ref["file"], t["file"])]
            h, w = imgs[0].shape[:2]
            builder = TrackBuilder(w, h)
            obs = {e: pelvis_observer(Settings(estimator=e)) for e in SINGLE}
            with PoseEstimator(model) as est:
                for i, img in enumerate(imgs):
                    subject = builder.add(i * 0.1, est.detect(img, i * 0.1))
                    for o in obs.values():
                        if o is not None:
                            o.observe(
                                Frame(i, i * 0.1, img), None if subject is None else subject.xy
                            )
            track = builder.build()
            sign = -1.0 if t["free_foot"] == "left" else 1.0
            for e, o in obs.items():
                tilt = (
                    HipLineEstimator().tilt_deg(track)
                    if o is None
                    else pelvis_estimator(e, o).tilt_deg(track)
                )
                res[e][0].append(float(t["applied_drop_deg"]))
                change = (float(tilt[1] - tilt[0]) + 180.0) % 360.0 - 180.0  # sides may swap
                res[e][1].append(sign * change)
        for e in SINGLE:
            fit = Fit.of(*res[e])
            summary.setdefault("sweeps", {}).setdefault(char.name, {})[e] = fit.__dict__
            lines.append(f"| {char.name} | {e} | {fit.cells()} |")
    lines.append("")


# --------------------------------------------------------------------------- synthetic


def section_synthetic(lines: list[str], summary: dict[str, Any]) -> None:
    from stance.analysis.clean import clean_track
    from synthetic import exact_pelvis, make_test_track

    lines += [
        "## Synthetic landmark tracks (known answers)",
        "",
        "Stick figures with a known pelvic drop (rotation about the stance hip), 1.5 px noise",
        "and 7 degrees of camera roll. Only the landmark geometry is exercised: this checks the",
        "numeric steps, not the pose model or the image estimator (the hip landmarks are the",
        "pelvis here, so they are judged as an exact reading).",
        "",
        "| true drop (left up / right up) | measured left-up | measured right-up | verdict |",
        "|---|---|---|---|",
    ]
    true, meas = [], []
    for dl, dr in [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0), (8.0, 3.0), (-3.0, 10.0)]:
        track = make_test_track(drop_left_deg=dl, drop_right_deg=dr, noise_px=1.5, roll_deg=7.0)
        j = judge_track(track, pelvis=exact_pelvis(clean_track(track)), settings=Settings())
        by = {m.trial.lifted: m.drop_deg for m in j.measurements.trials}
        true += [dl, dr]
        meas += [by.get(Side.LEFT, np.nan), by.get(Side.RIGHT, np.nan)]
        lines.append(
            f"| {dl:+.0f} / {dr:+.0f} | {by.get(Side.LEFT, np.nan):+.2f} | "
            f"{by.get(Side.RIGHT, np.nan):+.2f} | {j.verdict.outcome.value} |"
        )
    fit = Fit.of(true, meas)
    summary["synthetic"] = fit.__dict__
    lines += ["", f"Fit: n {fit.n}, slope {fit.slope:.3f}, RMSE {fit.rmse:.2f} deg.", ""]


# --------------------------------------------------------------------------- metamorphic


VARIANTS: dict[str, dict[str, Any]] = {
    "rotated +5": {"rotate_deg": 5.0},
    "rotated -5": {"rotate_deg": -5.0},
    "rotated +10": {"rotate_deg": 10.0},
    "rotated -10": {"rotate_deg": -10.0},
    "mirrored": {"hflip": True},
    "480p": {"height": 480},
    "half frame rate": {"fps": "half"},
    "re-encoded (crf 32)": {"crf": 32},
}
LIMITS = {"rotated": 0.5, "mirrored": 0.3, "480p": 1.0, "half": 0.5, "re-encoded": 0.5}


MIRROR_NOTE = [
    "How the mirrored tree_pose_right_studio.mp4 came within its limit (analyses made",
    "with the pose landmarks cached and the image estimator replayed at 12 fps; not",
    "recomputed by this script):",
    "",
    "- Under mirroring MediaPipe's landmarks are not mirrored copies: all 33 are offset by",
    "  a median 1.6-1.8 px (about 0.8 px toward image-right in each image), and the waist",
    "  band is laid out from them. The image estimator itself is mirror-symmetric within",
    "  0.09 deg when fed mirrored frames with mirrored landmarks. On this clip the band's",
    "  texture is almost only the top edge of the black leggings, and moving the band by",
    "  2-3 px changes single frames by up to 0.5 deg.",
    "- The right-foot hold starts with about 13 s of transient (forearms across the waist",
    "  holding the knee, then the hand placing the foot) before the tree pose. With the",
    "  original landmarks the tracker kept 12-18 s at -14 to -17 deg; with the mirrored",
    "  ones it rejected those frames (precision 1.2-1.4 deg, past the 1-degree gate).",
    "  From 24 s on, the settled tree pose, the two agree within 0.2-0.5 deg. The MEDIAN",
    "  of the hold was pulled by the transient frames in one run and not in the other:",
    "  -10.85 vs -10.24, a change of 0.62.",
    "- The trial's drop is now the level held for most of the hold (the mode of its",
    "  values, found by mean-shift with a 1.5-degree kernel from the median), which such a",
    "  minority posture does not pull. Compared on the same cached runs (change from the",
    "  original; limits 0.3 mirror, 0.5 rotation / half rate / re-encode, 1.0 480p):",
    "  median: mirror +0.62, the others within -0.32..+0.06 (480p -0.77); shortest-half",
    "  mean: mirror +0.06 but rotated +5 -0.71; mode with 1.0 / 1.5 / 2.0 / 3.0-deg",
    "  kernels: mirror +0.01 / +0.07 / +0.23 / +0.74, worst other change -0.50 / -0.49 /",
    "  -0.43 / -0.32 (480p -0.98 / -1.06 / -1.11 / -1.05). 1.5 deg (three times a real",
    "  clip's quiet-stance noise) was kept; on the renders every choice gives the same",
    "  drops within 0.05 deg. The margin to the limits stays small (half frame rate",
    "  changes by about 0.5): the band's placement sensitivity above is not solved.",
    "- Also tried and not kept: averaging MediaPipe's landmarks on each frame and on its",
    "  mirror image (mirror-exact landmarks by construction, twice the pose cost): with the",
    "  median the mirrored change was still -0.42 and the trial coverage fell from 0.79 to",
    "  0.64; laying the band out from the image's own mirror symmetry (mirror 0.02-0.14,",
    "  but rotated -10 moved by up to 1.1 and half rate by 1.06); other gates, weights,",
    "  retries, denser cells, a taller band, three band placements combined.",
    "",
]


def section_metamorphic(lines: list[str], summary: dict[str, Any], clips: list[str]) -> None:
    from videotools import make_variant

    lines += ["## Metamorphic variants of real footage", ""]
    present = [SHARED / "footage" / c for c in clips if (SHARED / "footage" / c).exists()]
    if not present:
        lines += ["_Skipped: ../shared/footage is absent._", ""]
        return
    lines += [
        "Each variant is made from the clip on the fly and analysed like the original; the",
        "table gives each trial's drop and its change from the original (mirrored: compared",
        "with the original trial of the opposite side). Limit: rotation 0.5 deg, mirror 0.3,",
        "half frame rate 0.5, 480p 1.0, re-encode 0.5.",
        "",
        "| clip | variant | sides | "
        + " | ".join(f"{e} drop (change)" for e in ESTIMATORS)
        + " | within limit |",
        "|---" * (4 + len(ESTIMATORS)) + "|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for clip in present:
            fps = probe_video(clip).fps_nominal
            max_fps = 12.0 if fps > 20 else None
            base = run_all_estimators(clip, max_fps=max_fps)
            noise = {e: [m.drop_noise_deg for m in base[e].measurements.trials] for e in ESTIMATORS}
            summary.setdefault("quiet_noise", {})[clip.name] = noise
            orig = {
                e: {m.trial.lifted: m.drop_deg for m in base[e].measurements.trials}
                for e in ESTIMATORS
            }
            sides0 = "/".join(s.value for s in orig[ESTIMATORS[0]])
            lines.append(
                f"| {clip.name} | original | {sides0} | "
                + " | ".join(
                    ", ".join(f"{v:+.1f}" for v in orig[e].values())
                    + f" (noise {np.nanmean(noise[e]):.2f})"
                    for e in ESTIMATORS
                )
                + " | |"
            )
            for vname, kw in VARIANTS.items():
                kw = dict(kw)
                if kw.get("fps") == "half":
                    kw["fps"] = fps / 2
                out = make_variant(
                    clip, Path(tmp) / f"{clip.stem}_{len(vname)}_{hash(vname) % 997}.mp4", **kw
                )
                mf = None if max_fps is None else max_fps * (0.5 if "half" in vname else 1.0)
                res = run_all_estimators(out, max_fps=mf)
                limit = next(v for k, v in LIMITS.items() if vname.startswith(k))
                cells, ok_all = [], True
                sides = ""
                for e in ESTIMATORS:
                    got = {m.trial.lifted: m.drop_deg for m in res[e].measurements.trials}
                    sides = "/".join(s.value for s in got)
                    parts = []
                    for side, v0 in orig[e].items():
                        expect_side = side.other if vname == "mirrored" else side
                        v = got.get(expect_side)
                        if v is None:
                            parts.append("missed")
                            ok_all = False
                            continue
                        if not (np.isfinite(v) or np.isfinite(v0)):
                            parts.append("not measured (both)")  # consistent: no value
                            continue
                        d = v - v0
                        parts.append(f"{v:+.1f} ({d:+.2f})")
                        if e == ESTIMATORS[0]:
                            ok_all &= abs(d) <= limit
                            summary.setdefault("metamorphic", {}).setdefault(clip.name, {})[
                                vname
                            ] = d
                    cells.append(", ".join(parts))
                lines.append(
                    f"| {clip.name} | {vname} | {sides} | "
                    + " | ".join(cells)
                    + f" | {'yes' if ok_all else 'NO'} |"
                )
                print(f"  {clip.name} {vname}: {cells}", flush=True)
    lines += ["", f"'within limit' is judged on the default estimator ({ESTIMATORS[0]}).", ""]
    if any(c.name == "tree_pose_right_studio.mp4" for c in present):
        lines += MIRROR_NOTE


# --------------------------------------------------------------------------- real footage


def section_real_footage(
    lines: list[str], summary: dict[str, Any], keep: dict[str, dict[str, Judged]]
) -> None:
    lines += ["## Real footage: drop, quiet-stance noise and coverage per trial", ""]
    clips = sorted((SHARED / "footage").glob("*.mp4"))
    if not clips:
        lines += ["_Skipped: ../shared/footage is absent._", ""]
        return
    lines += [
        "No truth here. Noise = standard deviation of the pelvis angle during the quiet",
        "stance before the lift; coverage = share of baseline and hold frames in which the",
        "pelvis angle was measured (below 0.5 no drop is reported). Default analysis rate.",
        "",
        "| clip | foot up | "
        + " | ".join(f"{e} drop / noise / coverage" for e in ESTIMATORS)
        + " | verdict (default) |",
        "|---" * (3 + len(ESTIMATORS)) + "|",
    ]
    for clip in clips:
        res = run_all_estimators(clip, max_fps=Settings().max_fps)
        if clip.name == EDGE_CLIP:
            keep[clip.name] = res
        first = res[ESTIMATORS[0]]
        trials = first.measurements.trials
        if not trials:
            lines.append(
                f"| {clip.name} | none | "
                + " | " * len(ESTIMATORS)
                + first.verdict.outcome.value
                + " |"
            )
        for i, m0 in enumerate(trials):
            cells = []
            for e in ESTIMATORS:
                m = res[e].measurements.trials[i]
                cells.append(f"{m.drop_deg:+.1f} / {m.drop_noise_deg:.2f} / {m.drop_coverage:.2f}")
                summary.setdefault("footage", {}).setdefault(clip.name, {}).setdefault(
                    e, []
                ).append(
                    {"drop": m.drop_deg, "noise": m.drop_noise_deg, "coverage": m.drop_coverage}
                )
            lines.append(
                f"| {clip.name} | {m0.trial.lifted.value} | "
                + " | ".join(cells)
                + f" | {first.verdict.outcome.value} |"
            )
        print(f"  {clip.name}: {first.verdict.outcome.value}", flush=True)
    lines.append("")


# --------------------------------------------------------------------------- edge check

EDGE_CLIP = "tree_pose_right_studio.mp4"
EDGE_GREY = 80.0  # grey level between the black garments and the skin in EDGE_CLIP


def _robust_line_deg(x: np.ndarray, y: np.ndarray) -> float:
    """Angle (deg, + = image-right end higher, y down) of a line fitted to (x, y) with
    outliers (hands, arms) removed; NaN with fewer than 20 points."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 20:
        return float("nan")
    for _ in range(3):
        p = np.polyfit(x, y, 1)
        r = y - np.polyval(p, x)
        keep = np.abs(r) < 3.0 * (1.4826 * np.median(np.abs(r)) + 0.5)
        x, y = x[keep], y[keep]
        if len(x) < 20:
            return float("nan")
    return float(-np.degrees(np.arctan(np.polyfit(x, y, 1)[0])))


def garment_edges(
    image: np.ndarray, xy: np.ndarray, grey_level: float = EDGE_GREY
) -> tuple[float, float]:
    """Angles (deg, + = person's LEFT end higher) of the top edge of dark leggings or shorts
    and of the bottom edge of a dark top, from column scans over the waist (+-0.25 torso
    lengths about the hip-landmark midpoint). For dark garments on skin; ``grey_level``
    separates them."""
    import cv2

    pts = xy[[11, 12, 23, 24]]
    if not np.all(np.isfinite(pts)):
        return float("nan"), float("nan")
    hip, sh = (pts[2] + pts[3]) / 2, (pts[0] + pts[1]) / 2
    L = float(np.hypot(*(sh - hip)))
    grey = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1)
    y0, y1 = int(sh[1] + 0.1 * L), int(hip[1])
    xs = np.arange(int(hip[0] - 0.25 * L), int(hip[0] + 0.25 * L))
    if y1 - y0 < 10 or xs[0] < 0 or xs[-1] >= grey.shape[1] or y0 < 0:
        return float("nan"), float("nan")
    top, bra = np.full(len(xs), np.nan), np.full(len(xs), np.nan)
    for n, x in enumerate(xs):
        col = grey[y0:y1, x]
        dark = col < grey_level
        j = len(col) - 1
        if not dark[j]:
            continue
        while j > 0 and dark[j]:
            j -= 1
        a, b = float(col[j]), float(col[j + 1])
        top[n] = y0 + j + ((a - grey_level) / (a - b) if a != b else 0.0)
        k = j
        while k > 0 and not dark[k]:
            k -= 1
        if k > 0 and j - k >= 3:
            a, b = float(col[k]), float(col[k + 1])
            bra[n] = y0 + k + ((grey_level - a) / (b - a) if a != b else 0.0)
    xr = (xs - hip[0]).astype(float)
    return _robust_line_deg(xr, top), _robust_line_deg(xr, bra)


def edge_series(
    clip: Path,
    track: Any,
    i0: int,
    i1: int,
    *,
    max_fps: float | None,
    grey_level: float = EDGE_GREY,
) -> np.ndarray:
    """(T, 2) `garment_edges` of the analysed frames ``i0 <= i < i1`` of ``clip`` (NaN
    elsewhere); ``track`` is the clip's pose track at the same analysis rate."""
    from stance.io.source import iter_frames

    edges = np.full((len(track), 2), np.nan)
    for i, frame in enumerate(iter_frames(clip, max_fps=max_fps)):
        if i < len(track) and (i0 <= i < i1):
            edges[i] = garment_edges(frame.image, track.xy[i], grey_level)
    return edges


def section_edge_check(
    lines: list[str], summary: dict[str, Any], keep: dict[str, dict[str, Judged]]
) -> None:
    """An independent look at the tree-pose hold of EDGE_CLIP: the waistband's own edge."""
    lines += [f"## Independent check: the waistband edge in {EDGE_CLIP}", ""]
    clip = SHARED / "footage" / EDGE_CLIP
    res = keep.get(EDGE_CLIP)
    if res is None or not clip.exists():
        lines += ["_Skipped: the clip is absent._", ""]
        return
    judged = res[ESTIMATORS[0]]
    trials = [m for m in judged.measurements.trials if m.trial.baseline is not None]
    if not trials:
        lines += ["_Skipped: no trial with a baseline._", ""]
        return
    m = trials[0]
    tr, b = m.trial, m.trial.baseline
    assert b is not None
    track = judged.track
    edges = edge_series(clip, track, b.i0, tr.i1, max_fps=Settings().max_fps)
    sign = 1.0 if tr.lifted is Side.RIGHT else -1.0  # tilt + = LEFT higher; drop + = lifted lower
    base = np.nanmedian(edges[b.i0 : b.i1], axis=0)
    t = track.t_s
    rows = []
    for label, lo, hi in [
        ("whole hold", tr.start_s + 0.5, tr.end_s),
        ("hands at the knee and foot (first 13 s)", tr.start_s + 0.5, tr.start_s + 13.0),
        ("tree pose (after 13 s)", tr.start_s + 13.0, tr.end_s),
    ]:
        k = (t >= lo) & (t < hi)
        band, top = sign * (np.nanmedian(edges[k], axis=0) - base)
        dk = m.series
        est = float(np.nanmedian(dk.drop_deg[(dk.t_s >= lo) & (dk.t_s < hi)]))
        rows.append((label, est, band, top))
        summary.setdefault("edge_check", {})[label] = {
            "estimator": est,
            "waistband": band,
            "top": top,
        }
    lines += [
        f"The {tr.lifted.value}-foot hold reads {m.drop_deg:+.1f} deg ({ESTIMATORS[0]}): the",
        "lifted side HIGHER than in the quiet stance, well outside the 5 degrees one might",
        "expect. A check that shares nothing with the estimator but the landmarks that locate",
        "the waist: in every frame the top edge of the black leggings (dark below skin) and the",
        "bottom edge of the black top are found column by column and a robust line is fitted",
        "to each; the table gives their change from the quiet stance, signed like a drop.",
        "",
        f"| part of the hold | {ESTIMATORS[0]} median drop | leggings top edge | edge of the top |",
        "|---|---|---|---|",
    ]
    lines += [f"| {lab} | {e:+.1f} | {w:+.1f} | {tp:+.1f} |" for lab, e, w, tp in rows]
    lines += [
        "",
        "In the settled tree pose the waistband edge itself tilts at least as much as the",
        "estimator says while the line of the top stays within a few degrees: the pelvis and",
        "the waistband tilt, the trunk does not. (In the first 13 s the edge scan means",
        "nothing: the lifted knee, in the same black fabric, and the forearms are in front of",
        "the waist.) Looked at frame by frame (quiet stance at 9 s, tree pose at 30 and 40 s), the",
        "leggings' top edge is level in quiet stance and clearly slanted in tree pose, higher",
        "on the lifted side, with a skin crease at the lifted-side flank (the flank shortens,",
        "as in a hip hike); the bent thigh would pull the fabric DOWN on that side, not up.",
        "The reading is a real hip hike of this tree pose, not an artefact; the first 13 s of",
        "the hold (forearms across the waist holding the knee, then the hand placing the foot)",
        "are an unsettled transient that the image estimator reads less reliably.",
        "",
    ]


SAMPLE_GREY = 130.0  # between the skin (about 170) and the grey waistband (90) of the sample


def section_sample_waistband(
    lines: list[str], summary: dict[str, Any], keep: dict[str, dict[str, Judged]]
) -> None:
    """Why the sample's 8-degree drop reads low: how far its rendered waistband turns."""
    res = keep.get("sample")
    if res is None:
        return
    clip = REPO / "sample_videos" / "sample_right_weak.mp4"
    truth = truth_trials(json.loads(clip.with_suffix(".json").read_text()))
    judged = res[ESTIMATORS[0]]
    lines += [
        "### Why the sample's drop reads low: its waistband turns less than its pelvis",
        "",
        "The sample's character is skinned so that the waist blends the pelvis and the",
        "upright trunk. A check that shares nothing with the estimator but the landmarks that",
        "locate the waist: in every frame the top edge of the grey waistband (below the skin)",
        "is found column by column and a robust line is fitted; its change from the quiet",
        "stance, signed like a drop, over the settled hold:",
        "",
        f"| foot up | true drop | {ESTIMATORS[0]} drop | waistband top edge |",
        "|---|---|---|---|",
    ]
    for m in judged.measurements.trials:
        b = m.trial.baseline
        tt = next((t for t in truth if t["lifted"] == m.trial.lifted.value), None)
        if b is None or tt is None:
            continue
        edges = edge_series(
            clip, judged.track, b.i0, m.trial.i1, max_fps=None, grey_level=SAMPLE_GREY
        )
        t = judged.track.t_s
        settled = (t >= m.trial.start_s + 0.5) & (t < m.trial.end_s)
        sign = 1.0 if m.trial.lifted is Side.RIGHT else -1.0
        band = sign * float(np.nanmedian(edges[settled, 0]) - np.nanmedian(edges[b.i0 : b.i1, 0]))
        summary.setdefault("sample_waistband", {})[m.trial.lifted.value] = band
        lines.append(
            f"| {m.trial.lifted.value} | {tt['drop_deg']:+.1f} | {m.drop_deg:+.1f} | {band:+.1f} |"
        )
    lines += [
        "",
        "The estimator reads what the rendered waist does: the waistband itself turns by",
        "less than half of the applied drop, so the low reading is a property of this",
        "render's waist, not a tracking failure. On the Soldier renders (armour over the",
        "pelvis) the estimators read 0.8-0.9 of the drop (per character in the table above).",
        "",
    ]


def section_mirror_default_rate(
    lines: list[str], summary: dict[str, Any], keep: dict[str, dict[str, Judged]]
) -> None:
    """EDGE_CLIP mirrored in memory (no re-encoding) at the product's default rate."""
    res = keep.get(EDGE_CLIP)
    if res is None:
        return
    rate = Settings().max_fps
    mirrored = run_all_estimators(SHARED / "footage" / EDGE_CLIP, max_fps=rate, mirrored=True)
    lines += [
        f"### {EDGE_CLIP} mirrored in memory at the default rate ({rate:g} fps)",
        "",
        "The metamorphic variants below are re-encoded files analysed at 12 fps. Here the",
        "original file is analysed with every frame flipped in memory",
        "(`Settings(mirrored=True)`, as for a selfie recording), at the rate `stance analyze`",
        "uses, and compared with the original at the same rate (limit 0.3 deg):",
        "",
        "| estimator | original | mirrored | change | coverage (original / mirrored) |",
        "|---|---|---|---|---|",
    ]
    for e in ESTIMATORS:
        a = {m.trial.lifted: m for m in res[e].measurements.trials}
        b = {m.trial.lifted: m for m in mirrored[e].measurements.trials}
        for side, m0 in a.items():
            m1 = b.get(side.other)
            if m1 is None:
                lines.append(f"| {e} | {m0.drop_deg:+.2f} | missed | | |")
                continue
            d = m1.drop_deg - m0.drop_deg
            summary.setdefault("mirror_in_memory", {})[e] = d
            lines.append(
                f"| {e} | {m0.drop_deg:+.2f} | {m1.drop_deg:+.2f} | {d:+.2f} | "
                f"{m0.drop_coverage:.2f} / {m1.drop_coverage:.2f} |"
            )
    change = abs(summary.get("mirror_in_memory", {}).get(ESTIMATORS[0], float("nan")))
    verdict = "This misses the limit." if not change <= 0.3 else "Within the limit."
    lines += [
        "",
        f"{verdict}",
        "When the waist-band estimator alone was the default its change was 0.38 deg: a",
        "frame-by-frame replay with cached landmarks showed the two runs agreeing within",
        "0.05 deg from 24.8 s on while both measure; the change came from a few frames after",
        "the transient (19.1-19.5 s and 24.1-24.6 s) that one run tracked and the other did",
        "not. The garment-boundary estimator measures nearly every frame in both runs (the",
        "coverage column).",
        "",
    ]


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "VALIDATION.md")
    ap.add_argument(
        "--json", type=Path, default=None, help="also write the summary numbers as JSON"
    )
    ap.add_argument("--skip-metamorphic", action="store_true")
    ap.add_argument(
        "--truth-dir",
        type=Path,
        nargs="*",
        default=[],
        help="extra folders of rendered clips with truth JSON (render_clip.sh output)",
    )
    ap.add_argument(
        "--negatives-dir",
        type=Path,
        nargs="*",
        default=[],
        help="folders of rendered movements that are not a hold (render_negatives.sh output)",
    )
    ap.add_argument(
        "--footage",
        nargs="*",
        default=["tree_pose_right_studio.mp4", "tree_pose_left_short.mp4"],
        help="footage clips for the metamorphic variants",
    )
    args = ap.parse_args()
    t0 = time.time()
    lines = [
        "# Validation of the measurements",
        "",
        "Produced by `uv run python benchmarks/accuracy.py`; do not edit by hand.",
        f"Estimators: {', '.join(ESTIMATORS)} (the first is the default).",
        "Drop: degrees, > 0 = the lifted side of the pelvis lower than in the baseline.",
        "",
    ]
    summary: dict[str, Any] = {}
    keep: dict[str, dict[str, Judged]] = {}
    print("rendered clips...", flush=True)
    section_truth_clips(lines, summary, keep, args.truth_dir)
    section_sample_waistband(lines, summary, keep)
    print("negatives...", flush=True)
    section_negatives(lines, summary, args.negatives_dir)
    print("sweeps...", flush=True)
    section_sweeps(lines, summary)
    print("synthetic...", flush=True)
    section_synthetic(lines, summary)
    print("real footage...", flush=True)
    section_real_footage(lines, summary, keep)
    print("waistband edge check...", flush=True)
    section_edge_check(lines, summary, keep)
    print("mirrored in memory...", flush=True)
    section_mirror_default_rate(lines, summary, keep)
    if args.skip_metamorphic:
        lines += [
            "## Metamorphic variants of real footage",
            "",
            "_Skipped (--skip-metamorphic)._",
            "",
        ]
    else:
        print("metamorphic...", flush=True)
        section_metamorphic(lines, summary, args.footage)
    lines.append(f"_Run time {time.time() - t0:.0f} s._")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=float))
    print(text)


if __name__ == "__main__":
    main()
