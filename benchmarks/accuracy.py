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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "tests"))

from stance.models import ensure_model  # noqa: E402
from stance.pipeline import (  # noqa: E402
    ESTIMATORS,
    Judged,
    Settings,
    judge_track,
    pelvis_estimator,
    pelvis_observer,
    run_pose,
)
from stance.source import probe_video  # noqa: E402
from stance.track import Side  # noqa: E402

HIP_WIDTH_CM = 17.8  # hip-joint-centre distance of the rendered characters (truth JSON)


# --------------------------------------------------------------------------- running


def run_all_estimators(path: Path, *, max_fps: float | None = None) -> dict[str, Judged]:
    """One pose pass with every estimator's observer; the numeric steps once per estimator."""
    video = probe_video(path)
    settings = Settings(max_fps=max_fps)  # None: every frame
    observers = {name: pelvis_observer(name) for name in ESTIMATORS}
    raw = run_pose(
        path,
        video,
        model_path=ensure_model(),
        settings=settings,
        observers=[o for o in observers.values() if o is not None],
    )
    return {
        name: judge_track(
            raw, pelvis=pelvis_estimator(name, obs), settings=settings, source_fps=video.fps_nominal
        )
        for name, obs in observers.items()
    }


@dataclass(frozen=True)
class Fit:
    n: int
    slope: float
    offset: float
    rmse: float
    max_err: float

    @staticmethod
    def of(true: list[float], meas: list[float]) -> Fit:
        t, m = np.asarray(true, float), np.asarray(meas, float)
        ok = np.isfinite(t) & np.isfinite(m)
        t, m = t[ok], m[ok]
        if len(t) < 2 or np.ptp(t) == 0:
            return Fit(len(t), float("nan"), float("nan"), float("nan"), float("nan"))
        slope, offset = np.polyfit(t, m, 1)
        err = m - t
        return Fit(
            len(t),
            float(slope),
            float(offset),
            float(np.sqrt(np.mean(err**2))),
            float(np.max(np.abs(err))),
        )

    def cells(self) -> str:
        return (
            f"{self.n} | {self.slope:.2f} | {self.offset:+.2f} | "
            f"{self.rmse:.2f} | {self.max_err:.2f}"
        )


# --------------------------------------------------------------------------- truth clips


def truth_trials(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Held single-leg phases of a truth JSON: side, start, end and median applied values."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for fr in truth["frames"]:
        if fr["phase"] in ("left_up", "right_up"):  # avatar sequences
            side = fr["phase"].split("_")[0]
        elif fr["phase"] == "hold":  # the bundled sample
            side = fr["foot_up"]
        else:
            continue
        rows.setdefault(side, []).append(fr)
    out = []
    for side, frs in rows.items():
        ap = [f["applied"] for f in frs]
        out.append(
            {
                "lifted": side,
                "start_s": frs[0]["t_s"],
                "end_s": frs[-1]["t_s"],
                "drop_deg": float(np.median([a["pelvic_drop_deg"] for a in ap])),
                "lean_deg": float(np.median([a.get("trunk_lean_deg", 0.0) for a in ap])),
                "shift_cm": float(
                    np.median([a.get("shift_cm", a.get("pelvic_shift_cm", np.nan)) for a in ap])
                ),
            }
        )
    return sorted(out, key=lambda r: r["start_s"])


def truth_clips() -> list[tuple[str, Path, Path]]:
    clips = [("sample", REPO / "sample_videos" / "sample_right_weak.mp4")]
    seq = SHARED / "avatar" / "sequences"
    clips += [(p.stem, p) for p in sorted(seq.glob("dev_*.mp4"))]
    return [(n, p, p.with_suffix(".json")) for n, p in clips if p.with_suffix(".json").exists()]


def section_truth_clips(lines: list[str], summary: dict[str, Any]) -> None:
    lines += ["## Rendered clips with per-frame truth", ""]
    clips = truth_clips()
    if len(clips) < 2:
        lines.append("_../shared/avatar/sequences absent: only the bundled sample is used._")
    pooled: dict[str, dict[str, list[float]]] = {
        e: {k: [] for k in ("true", "drop", "tshift", "shift", "tlean", "lean")} for e in ESTIMATORS
    }
    table = [
        "| clip | foot up | true drop | "
        + " | ".join(f"{e} drop" for e in ESTIMATORS)
        + " | true shift cm | shift cm | true lean | lean | side ok | start err s | end err s |",
        "|---" * (10 + len(ESTIMATORS)) + "|",
    ]
    side_ok_all = []
    for name, path, truth_path in clips:
        truth = truth_trials(json.loads(truth_path.read_text()))
        res = run_all_estimators(path)
        for tt in truth:
            cells: list[str] = []
            found = None
            for est in ESTIMATORS:
                trials = res[est].measurements.trials
                match = [m for m in trials if m.trial.lifted.value == tt["lifted"]]
                m = (
                    min(match, key=lambda m: abs(m.trial.start_s - tt["start_s"]))
                    if match
                    else None
                )
                cells.append("missed" if m is None else f"{m.drop_deg:+.1f}")
                pooled[est]["true"].append(tt["drop_deg"])
                pooled[est]["drop"].append(np.nan if m is None else m.drop_deg)
                found = found or m
            m = found
            side_ok = m is not None
            side_ok_all.append(side_ok)
            shift = np.nan if m is None else m.shift_pct_hip / 100 * HIP_WIDTH_CM
            lean = np.nan if m is None else m.lean_deg
            for est in ESTIMATORS:
                pooled[est]["tshift"].append(tt["shift_cm"])
                pooled[est]["shift"].append(shift)
                pooled[est]["tlean"].append(tt["lean_deg"])
                pooled[est]["lean"].append(lean)
            start_err = np.nan if m is None else m.trial.start_s - tt["start_s"]
            end_err = np.nan if m is None else m.trial.end_s - tt["end_s"]
            table.append(
                f"| {name} | {tt['lifted']} | {tt['drop_deg']:+.1f} | "
                + " | ".join(cells)
                + f" | {tt['shift_cm']:.1f} | {shift:.1f} | {tt['lean_deg']:.1f} | {lean:+.1f} | "
                f"{'yes' if side_ok else 'NO'} | {start_err:+.2f} | {end_err:+.2f} |"
            )
        verdicts = ", ".join(f"{e}: {res[e].verdict.outcome}" for e in ESTIMATORS)
        summary.setdefault("verdicts", {})[name] = {e: res[e].verdict.outcome for e in ESTIMATORS}
        print(f"  {name}: {verdicts}", flush=True)
    lines += [*table, "", "Pooled over both lifted sides (measured = slope x true + offset):", ""]
    lines += [
        "| estimator | quantity | n | slope | offset | RMSE | max error |",
        "|---|---|---|---|---|---|---|",
    ]
    for est in ESTIMATORS:
        p = pooled[est]
        fit = Fit.of(p["true"], p["drop"])
        summary.setdefault("drop", {})[est] = fit.__dict__
        lines.append(f"| {est} | pelvic drop (deg) | {fit.cells()} |")
    p = pooled[ESTIMATORS[0]]
    shift_fit, lean_fit = Fit.of(p["tshift"], p["shift"]), Fit.of(p["tlean"], p["lean"])
    summary["shift"], summary["lean"] = shift_fit.__dict__, lean_fit.__dict__
    lines.append(f"| landmarks | lateral shift (cm) | {shift_fit.cells()} |")
    lines.append(f"| landmarks | trunk lean (deg) | {lean_fit.cells()} |")
    lines.append(
        f"\nLifted side found correctly in {sum(side_ok_all)} of {len(side_ok_all)} trials.\n"
    )


# --------------------------------------------------------------------------- sweeps


def section_sweeps(lines: list[str], summary: dict[str, Any]) -> None:
    import cv2

    from stance.pelvis import HipLineEstimator
    from stance.pose import PoseEstimator, TrackBuilder
    from stance.source import Frame

    lines += ["## Single rendered frames (../shared/avatar/sweeps)", ""]
    root = SHARED / "avatar" / "sweeps"
    if not root.exists():
        lines += ["_Skipped: ../shared/avatar/sweeps is absent._", ""]
        return
    lines += [
        "Each dropped frame is compared with the level (0 deg) frame of the same character and",
        "lifted foot, as a two-frame clip. These are unrelated renders (a 10-degree jump between",
        "frames), harder than video, where the pelvis moves a little from frame to frame.",
        "",
        "| character | estimator | n | slope | offset | RMSE | max error |",
        "|---|---|---|---|---|---|---|",
    ]
    model = ensure_model()
    for char in sorted(p for p in root.iterdir() if p.is_dir()):
        truth = json.loads((char / "truth.json").read_text())
        level = {t["free_foot"]: t for t in truth if t["applied_drop_deg"] == 0}
        res: dict[str, tuple[list[float], list[float]]] = {e: ([], []) for e in ESTIMATORS}
        for t in truth:
            if t["applied_shift_m"] != 0 or t["applied_drop_deg"] == 0:
                continue
            ref = level[t["free_foot"]]
            imgs = [cv2.imread(str(char / f)) for f in (ref["file"], t["file"])]
            h, w = imgs[0].shape[:2]
            builder = TrackBuilder(w, h)
            obs = {e: pelvis_observer(e) for e in ESTIMATORS}
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
        for e in ESTIMATORS:
            fit = Fit.of(*res[e])
            summary.setdefault("sweeps", {}).setdefault(char.name, {})[e] = fit.__dict__
            lines.append(f"| {char.name} | {e} | {fit.cells()} |")
    lines.append("")


# --------------------------------------------------------------------------- synthetic


def section_synthetic(lines: list[str], summary: dict[str, Any]) -> None:
    from stance.pelvis import HipLineEstimator
    from synthetic import make_test_track

    lines += [
        "## Synthetic landmark tracks (known answers)",
        "",
        "Stick figures with a known pelvic drop (rotation about the stance hip), 1.5 px noise",
        "and 7 degrees of camera roll. Only the landmark geometry is exercised: this checks the",
        "numeric steps, not the pose model or the image estimator.",
        "",
        "| true drop (left up / right up) | measured left-up | measured right-up | verdict |",
        "|---|---|---|---|",
    ]
    true, meas = [], []
    for dl, dr in [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0), (8.0, 3.0), (-3.0, 10.0)]:
        track = make_test_track(drop_left_deg=dl, drop_right_deg=dr, noise_px=1.5, roll_deg=7.0)
        j = judge_track(track, pelvis=HipLineEstimator(), settings=Settings())
        by = {m.trial.lifted: m.drop_deg for m in j.measurements.trials}
        true += [dl, dr]
        meas += [by.get(Side.LEFT, np.nan), by.get(Side.RIGHT, np.nan)]
        lines.append(
            f"| {dl:+.0f} / {dr:+.0f} | {by.get(Side.LEFT, np.nan):+.2f} | "
            f"{by.get(Side.RIGHT, np.nan):+.2f} | {j.verdict.outcome} |"
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


def section_metamorphic(lines: list[str], summary: dict[str, Any], clips: list[str]) -> None:
    from stance.videotools import make_variant

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


# --------------------------------------------------------------------------- real footage


def section_real_footage(lines: list[str], summary: dict[str, Any]) -> None:
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
        first = res[ESTIMATORS[0]]
        trials = first.measurements.trials
        if not trials:
            lines.append(
                f"| {clip.name} | none | " + " | " * len(ESTIMATORS) + first.verdict.outcome + " |"
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
                + f" | {first.verdict.outcome} |"
            )
        print(f"  {clip.name}: {first.verdict.outcome}", flush=True)
    lines.append("")


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
    print("rendered clips...", flush=True)
    section_truth_clips(lines, summary)
    print("sweeps...", flush=True)
    section_sweeps(lines, summary)
    print("synthetic...", flush=True)
    section_synthetic(lines, summary)
    print("real footage...", flush=True)
    section_real_footage(lines, summary)
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
