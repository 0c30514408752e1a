"""Rendered clips with exact per-frame truth: every estimator per character and pooled, the
true-drop range's calibration, hold detection and the verdicts' safety rules.

Used by ``accuracy.py`` (the section of docs/VALIDATION.md) and by the regression tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from truth_sets import GAME, REALISTIC, Decisions, outfit_kind, truth_set

from stance.analysis.fuse import CREST, LOW
from stance.analysis.judge import Status, Thresholds
from stance.analysis.measure import TrialMetrics
from stance.core.track import Side
from stance.pipeline import ESTIMATORS, Judged

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HIP_WIDTH_CM = 17.8  # hip-joint-centre distance of the rendered characters (truth JSON)
DETECT_TOL_S = 0.5  # a hold's start and end must be found within this of the truth
REAL_DROP_DEG = 4.0  # a true drop this large must never be judged normal
LEVEL_DEG = 0.5  # a true drop this small is a level pelvis: never positive


@dataclass(frozen=True)
class Fit:
    n: int
    slope: float
    offset: float
    rmse: float
    max_err: float

    @staticmethod
    def of(true: Iterable[float], meas: Iterable[float]) -> Fit:
        t, m = np.asarray(list(true), float), np.asarray(list(meas), float)
        ok = np.isfinite(t) & np.isfinite(m)
        t, m = t[ok], m[ok]
        nan = float("nan")
        err = m - t
        rmse = float(np.sqrt(np.mean(err**2))) if len(t) else nan
        worst = float(np.max(np.abs(err))) if len(t) else nan
        if len(t) < 2 or np.ptp(t) < 1.0:  # no slope from truths within a degree
            return Fit(len(t), nan, nan, rmse, worst)
        slope, offset = np.polyfit(t, m, 1)
        return Fit(len(t), float(slope), float(offset), rmse, worst)

    def cells(self) -> str:
        return (
            f"{self.n} | {self.slope:.2f} | {self.offset:+.2f} | "
            f"{self.rmse:.2f} | {self.max_err:.2f}"
        )


def truth_trials(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Held single-leg phases of a truth JSON: side, start, end (the first frame after the
    hold, as `Trial.end_s`), and median applied values."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for fr in truth["frames"]:
        if fr["phase"] in ("left_up", "right_up"):  # avatar sequences
            side = fr["phase"].split("_")[0]
        elif fr["phase"] == "hold":  # the bundled sample
            side = fr["foot_up"]
        else:
            continue
        rows.setdefault(side, []).append(fr)
    times = np.array([f["t_s"] for f in truth["frames"]])
    dt = float(np.median(np.diff(times))) if times.size > 1 else 0.0
    out = []
    for side, frs in rows.items():
        ap = [f["applied"] for f in frs]
        off = _foot_off_floor(truth["frames"], side, frs[0]["t_s"], dt)
        out.append(
            {
                "lifted": side,
                "start_s": frs[0]["t_s"],
                "end_s": frs[-1]["t_s"] + dt,
                "off_start_s": off[0],
                "off_end_s": off[1],
                "drop_deg": float(np.median([a["pelvic_drop_deg"] for a in ap])),
                "lean_deg": float(np.median([a.get("trunk_lean_deg", 0.0) for a in ap])),
                "shift_cm": float(
                    np.median([a.get("shift_cm", a.get("pelvic_shift_cm", np.nan)) for a in ap])
                ),
                "hip_flex_deg": float(np.median([a.get("hip_flex_deg", np.nan) for a in ap])),
            }
        )
    return sorted(out, key=lambda r: r["start_s"])


FOOT_OFF_CM = 2.0  # the lifted foot is off the floor when its ankle is this much higher


def _foot_off_floor(
    frames: list[dict[str, Any]], side: str, hold_start_s: float, dt: float
) -> tuple[float, float]:
    """(first, after-last) time of the run of frames around a hold in which the lifted
    ankle is more than FOOT_OFF_CM above the standing one (true world heights); NaN when the
    truth has no heights."""
    other = "R" if side == "left" else "L"
    own = side[0].upper()
    lift = []
    for f in frames:
        if "world" in f and "ankle_L" in f["world"]:
            lift.append(100.0 * (f["world"][f"ankle_{own}"][2] - f["world"][f"ankle_{other}"][2]))
        elif "free_ankle_lift_cm" in f:  # the bundled sample: the moving foot's lift
            moving = f.get("foot_up") or f.get("moving_side")
            lift.append(float(f["free_ankle_lift_cm"]) if moving == side else 0.0)
        else:
            return float("nan"), float("nan")
    t = np.array([f["t_s"] for f in frames])
    up = np.asarray(lift) > FOOT_OFF_CM
    i = int(np.searchsorted(t, hold_start_s))
    if i >= len(t) or not up[i]:
        return float("nan"), float("nan")
    a, b = i, i
    while a > 0 and up[a - 1]:
        a -= 1
    while b + 1 < len(t) and up[b + 1]:
        b += 1
    return float(t[a]), float(t[b] + dt)


def character(truth: dict[str, Any]) -> str:
    """The rendered character of a truth JSON; a MakeHuman body in words (sex, age, weight,
    muscle, stature)."""
    body = truth.get("body")
    if isinstance(body, dict) and "gender" in body:
        sex = "female" if body["gender"] < 0.34 else "male" if body["gender"] > 0.66 else "mixed"
        age = body.get("age_years", body.get("age", 0.0))
        return (
            f"{sex} {age:.0f} y, weight {body.get('weight', 0.5):.2f}, "
            f"muscle {body.get('muscle', 0.5):.2f}, {body.get('height_m', 0.0):.2f} m"
        )
    model = str((truth.get("case") or {}).get("model") or truth.get("model") or "")
    return Path(model).stem or "Superhero_Male_FullBody (bundled sample)"


def truth_clips(extra_dirs: Iterable[Path] = ()) -> list[tuple[str, Path, Path]]:
    """(name, video, truth JSON) of the bundled sample, ../shared/avatar/sequences and any
    extra folders of renders (``render_clip.sh`` output)."""
    clips = [("sample", REPO / "sample_videos" / "sample_right_weak.mp4")]
    for folder in (SHARED / "avatar" / "sequences", *extra_dirs):
        clips += [(p.stem, p) for p in sorted(Path(folder).glob("*.mp4"))]
    out = []
    for name, p in clips:
        j = p.with_suffix(".json")
        if name == "sample" and not j.exists():
            j = SHARED / "sample" / "sample_right_weak.json"
        if j.exists():
            out.append((name, p, j))
    return out


@dataclass
class TruthRow:
    """One truth trial and what each estimator made of it."""

    clip: str
    character: str
    truth: dict[str, Any]
    found: dict[str, TrialMetrics | None]
    status: dict[str, Status | None] = field(default_factory=dict)
    kind: str = GAME  # truth_sets.REALISTIC or GAME
    outfit: str = "n/a"  # truth_sets.outfit_kind

    def drop(self, est: str) -> float:
        m = self.found.get(est)
        return float("nan") if m is None else m.drop_deg


def match_trial(judged: Judged, tt: dict[str, Any]) -> TrialMetrics | None:
    """The measured trial of truth trial ``tt``: same lifted side, nearest start (or None)."""
    match = [m for m in judged.measurements.trials if m.trial.lifted.value == tt["lifted"]]
    return min(match, key=lambda m: abs(m.trial.start_s - tt["start_s"])) if match else None


def collect(
    clips: list[tuple[str, Path, Path]], run: Callable[[Path], dict[str, Judged]]
) -> tuple[list[TruthRow], dict[str, dict[str, Judged]]]:
    """Analyse every truth clip with every estimator (``run``) and match the trials."""
    rows: list[TruthRow] = []
    results = {}
    for name, path, truth_path in clips:
        truth = json.loads(truth_path.read_text())
        res = run(path)
        results[name] = res
        for tt in truth_trials(truth):
            found: dict[str, TrialMetrics | None] = {}
            status: dict[str, Status | None] = {}
            for est, judged in res.items():
                m = match_trial(judged, tt)
                found[est] = m
                stance = Side(tt["lifted"]).other
                status[est] = judged.verdict.findings[stance].status if m is not None else None
            rows.append(
                TruthRow(
                    name,
                    character(truth),
                    tt,
                    found,
                    status,
                    kind=truth_set(truth),
                    outfit=outfit_kind(truth),
                )
            )
        print(
            f"  {name}: " + ", ".join(f"{e}: {r.verdict.outcome.value}" for e, r in res.items()),
            flush=True,
        )
    return rows, results


SET_TITLES = {
    REALISTIC: "Realistic bodies (MakeHuman): the calibration set",
    GAME: "Game characters: the robustness set",
}


def section(lines: list[str], summary: dict[str, Any], rows: list[TruthRow]) -> None:
    """The rendered-truth sections of docs/VALIDATION.md, one per truth set (and their
    numbers in ``summary[set]``)."""
    for kind in (REALISTIC, GAME):
        sel = [r for r in rows if r.kind == kind]
        lines += [f"### {SET_TITLES[kind]}", ""]
        if not sel:
            lines += ["_No clips of this set were found._", ""]
            continue
        set_section(lines, summary.setdefault(kind, {}), sel, kind)


def set_section(lines: list[str], summary: dict[str, Any], rows: list[TruthRow], kind: str) -> None:
    """One truth set: every trial, the fits per character and pooled, the decisions per body
    and outfit, calibration, detection and safety."""
    default = ESTIMATORS[0]
    lines += [
        "| clip | character | hip flexion | foot up | true drop | "
        + " | ".join(f"{e}" for e in ESTIMATORS)
        + f" | {default} true-drop range | status | start err s | end err s |",
        "|---" * (9 + len(ESTIMATORS)) + "|",
    ]
    for r in rows:
        m = r.found[default]
        tt = r.truth
        rng = "n/a"
        if m is not None and m.fused is not None and np.isfinite(m.fused.low_deg):
            rng = f"{m.fused.low_deg:+.1f} to {m.fused.high_deg:+.1f}"
        st = r.status.get(default)
        start = np.nan if m is None else m.trial.start_s - tt["start_s"]
        end = np.nan if m is None else m.trial.end_s - tt["end_s"]
        flex = f"{tt['hip_flex_deg']:.0f}" if np.isfinite(tt["hip_flex_deg"]) else "n/a"
        lines.append(
            f"| {r.clip} | {r.character} | {flex} | {tt['lifted']} | "
            f"{tt['drop_deg']:+.1f} | "
            + " | ".join(
                "missed" if r.found[e] is None else f"{r.drop(e):+.1f}" for e in ESTIMATORS
            )
            + f" | {rng} | {st.value if st else 'missed'} | {start:+.2f} | {end:+.2f} |"
        )
    # per character and pooled
    lines += [
        "",
        "Per character and pooled (measured = slope x true + offset; a trial not measured is",
        "left out of the fit and counted in 'measured'):",
        "",
        "| estimator | character | trials | measured | slope | offset | RMSE | max error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    chars = sorted({r.character for r in rows})
    for est in ESTIMATORS:
        for ch in [*chars, "pooled"]:
            sel = [r for r in rows if ch in ("pooled", r.character)]
            fit = Fit.of([r.truth["drop_deg"] for r in sel], [r.drop(est) for r in sel])
            measured = sum(np.isfinite(r.drop(est)) for r in sel)
            summary.setdefault("drop", {}).setdefault(est, {})[ch] = {
                **fit.__dict__,
                "trials": len(sel),
                "measured": int(measured),
            }
            lines.append(
                f"| {est} | {ch} | {len(sel)} | {measured} | {fit.slope:.2f} | "
                f"{fit.offset:+.2f} | {fit.rmse:.2f} | {fit.max_err:.2f} |"
            )
    # landmarks
    found = [r for r in rows if r.found[default] is not None]
    shift = Fit.of(
        [r.truth["shift_cm"] for r in found],
        [r.found[default].shift_pct_hip / 100 * HIP_WIDTH_CM for r in found],  # type: ignore[union-attr]
    )
    lean = Fit.of([r.truth["lean_deg"] for r in found], [r.found[default].lean_deg for r in found])  # type: ignore[union-attr]
    summary["shift"], summary["lean"] = shift.__dict__, lean.__dict__
    lines += [
        f"| landmarks | lateral shift (cm), pooled | {shift.n} | {shift.n} | {shift.slope:.2f} | "
        f"{shift.offset:+.2f} | {shift.rmse:.2f} | {shift.max_err:.2f} |",
        f"| landmarks | trunk lean (deg), pooled | {lean.n} | {lean.n} | {lean.slope:.2f} | "
        f"{lean.offset:+.2f} | {lean.rmse:.2f} | {lean.max_err:.2f} |",
        "",
    ]
    _groups(lines, summary, rows)
    if kind == REALISTIC:
        _realistic_targets(lines, summary)
    else:
        _targets(lines, summary, chars)
    _calibration(lines, summary, rows)
    _detection(lines, summary, rows)
    _safety(lines, summary, rows)


def _groups(lines: list[str], summary: dict[str, Any], rows: list[TruthRow]) -> None:
    """Decisions per body (character), per outfit kind and pooled."""
    default = ESTIMATORS[0]
    th = Thresholds()
    lines += [
        f"Decisions ({default}; a standing leg must be judged positive for a true drop of "
        f"{th.drop_deg + 2.5:.1f} deg or more, normal for a level pelvis without lean, compensated",
        f"for a level pelvis with a lean of {th.lean_deg + 2:.0f} deg or more toward it):",
        "",
        "| group | holds found | measured | truth in range | median range width (deg) | "
        "correct decisive status | slope | RMSE | worst |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups = [
        ("body " + c, [r for r in rows if r.character == c])
        for c in sorted({r.character for r in rows})
    ]
    groups += [
        ("outfit: " + o, [r for r in rows if r.outfit == o])
        for o in sorted({r.outfit for r in rows})
    ]
    groups.append(("pooled", rows))
    for name, sel in groups:
        d = Decisions.of(sel, th, default)
        fit = Fit.of([r.truth["drop_deg"] for r in sel], [r.drop(default) for r in sel])
        summary.setdefault("decisions", {})[name] = {
            **d.__dict__,
            **{f"fit_{k}": v for k, v in fit.__dict__.items()},
        }
        lines.append(
            f"| {name} | {d.cells()} | {fit.slope:.2f} | {fit.rmse:.2f} | {fit.max_err:.2f} |"
        )
    lines.append("")


def _realistic_targets(lines: list[str], summary: dict[str, Any]) -> None:
    """The realistic set's targets (issue 20) and whether they are met."""
    p = summary["decisions"]["pooled"]
    checks = [
        ("every hold found", p["found"] == p["trials"]),
        (f"pooled slope 0.85-1.15 ({p['fit_slope']:.2f})", 0.85 <= p["fit_slope"] <= 1.15),
        (f"RMSE <= 1.5 deg ({p['fit_rmse']:.2f})", p["fit_rmse"] <= 1.5),
        (f"worst error <= 3 deg ({p['fit_max_err']:.2f})", p["fit_max_err"] <= 3.0),
        (
            f"truth inside the range in >= 90% ({p['in_range']}/{p['measured']})",
            p["measured"] > 0 and p["in_range"] >= 0.9 * p["measured"],
        ),
        (
            f"median range width <= 5 deg ({p['median_width_deg']:.1f})",
            p["median_width_deg"] <= 5.0,
        ),
        (
            f"correct decisive status for >= 80% ({p['correct']}/{p['expected']})",
            p["expected"] > 0 and p["correct"] >= 0.8 * p["expected"],
        ),
    ]
    summary["targets_met"] = all(ok for _, ok in checks)
    lines += ["Targets on realistic bodies:", ""]
    lines += [f"- {'met' if ok else 'NOT met'}: {what}" for what, ok in checks]
    lines.append("")


def _targets(lines: list[str], summary: dict[str, Any], chars: list[str]) -> None:
    """The accuracy targets (pooled slope 0.8-1.2, RMSE <= 2, worst <= 3) and why they are
    or are not reached, per character."""
    default = ESTIMATORS[0]
    fits = summary["drop"][default]
    pooled = fits["pooled"]
    met = 0.8 <= pooled["slope"] <= 1.2 and pooled["rmse"] <= 2.0 and pooled["max_err"] <= 3.0
    per = sorted((fits[c]["slope"], c) for c in chars if np.isfinite(fits[c]["slope"]))
    lines += [
        f"Targets for {default} (pooled slope 0.8-1.2, RMSE <= 2.0 deg, worst error <= 3.0 deg):",
        f"{'met' if met else 'NOT met'}: slope {pooled['slope']:.2f}, RMSE {pooled['rmse']:.2f},",
        f"worst {pooled['max_err']:.2f}. Per character the slope goes from {per[0][0]:.2f}",
        f"({per[0][1]}) to {per[-1][0]:.2f} ({per[-1][1]})." if per else "",
        "Why: both image estimators read the garments and skin at the pelvis, and on these",
        "skinned game characters that surface turns by less than the pelvis bone: the",
        "waist is weighted between the pelvis and the upright spine, and a jacket or tunic",
        "hem hangs from the trunk. The two estimators share nothing but the landmarks that",
        "place the waist. Where they agree on a low reading (the bundled sample, the",
        "Female_Ranger's jacket) the image itself shows less than the truth, and an",
        "independent column-by-column fit of the sample's waistband (below) turns as little",
        "as they read: no tracking of that surface can reach the targets there. Where they",
        "disagree (the Male_Peasant's belt band against its tunic hem) different garments",
        "turn by different amounts; the fusion takes their weighted mean and widens its",
        "uncertainty by their disagreement. The product",
        "therefore reports the range of true drops a reading allows and judges on it.",
        "",
    ]


def _calibration(lines: list[str], summary: dict[str, Any], rows: list[TruthRow]) -> None:
    default = ESTIMATORS[0]
    inside, meas_in, n = 0, 0, 0
    for r in rows:
        m = r.found[default]
        if m is None or m.fused is None or not np.isfinite(m.fused.low_deg):
            continue
        n += 1
        t = r.truth["drop_deg"]
        inside += int(m.fused.low_deg <= t <= m.fused.high_deg)
        meas_in += int(abs(m.drop_deg - t) <= m.fused.uncertainty_deg)
    summary["calibration"] = {"trials": n, "in_range": inside, "in_measurement_only": meas_in}
    lines += [
        "### Uncertainty: is the true drop where the report says it is?",
        "",
        f"Measured trials ({default}): {n}. The true drop lies inside the reported true-drop",
        f"range (`drop_low_deg` to `drop_high_deg`, k = 2) in **{inside} of {n}**; inside the",
        f"measurement uncertainty alone (drop +- `drop_uncertainty_deg`) in {meas_in} of {n}.",
        "The measurement uncertainty (quiet-stance noise and coverage, fused, widened when the",
        "estimators disagree) says how well the surface's angle was read. The range adds what",
        "the surface does not show (`stance.analysis.fuse`): read between the hip joints and",
        "the iliac crest (band `crest`) a reading m means a true drop between",
        f"m / {CREST.read_max} and m / {CREST.read_min}, plus up to {CREST.low_bias_deg} deg that",
        "the lifted thigh",
        f"pulls it low; read below (band `low`) m / {LOW.read_max} to m / {LOW.read_min} plus",
        f"{LOW.low_bias_deg} deg; read above the crest (band `waist`, the soft waist, a hem at the",
        "natural waist) or mirroring a clear trunk lean (a hem hanging from the trunk) it is no",
        "measurement and is not used. On the game",
        "characters the skin at the crest turns only 0.3-0.75 of the pelvis, so their truth",
        "often lies above the range: that set checks robustness and safety, not the range.",
        "",
    ]


def _detection(lines: list[str], summary: dict[str, Any], rows: list[TruthRow]) -> None:
    default = ESTIMATORS[0]
    n = len(rows)
    found = [(r, r.found[default]) for r in rows if r.found[default] is not None]

    def errs(start_key: str, end_key: str) -> tuple[list[float], list[float], int]:
        se = [abs(m.trial.start_s - r.truth[start_key]) for r, m in found]  # type: ignore[union-attr]
        ee = [abs(m.trial.end_s - r.truth[end_key]) for r, m in found]  # type: ignore[union-attr]
        ok = sum(1 for a, b in zip(se, ee, strict=True) if a <= DETECT_TOL_S and b <= DETECT_TOL_S)
        return se, ee, ok

    ps, pe, p_ok = errs("start_s", "end_s")
    fs, fe, f_ok = errs("off_start_s", "off_end_s")
    summary["detection"] = {
        "holds": n,
        "found": len(found),
        "within_tol_phase": p_ok,
        "within_tol_off_floor": f_ok,
        "max_start_err_s": float(np.nanmax(ps)) if ps else float("nan"),
        "max_end_err_s": float(np.nanmax(pe)) if pe else float("nan"),
        "max_off_floor_err_s": float(np.nanmax(fs + fe)) if fs else float("nan"),
    }
    d = summary["detection"]
    lines += [
        "### Hold detection",
        "",
        f"Holds found with the right lifted side: **{len(found)} of {n}**. Compared with the",
        f"truth's hold phase (the foot at its full height): start and end within {DETECT_TOL_S} s",
        f"in {p_ok} of {n} (largest start error {d['max_start_err_s']:.2f} s, end error",
        f"{d['max_end_err_s']:.2f} s). Compared with the foot off the floor (the lifted ankle",
        f"more than {FOOT_OFF_CM:.0f} cm above the standing one in the truth's world heights),",
        f"which is what the tool times: within {DETECT_TOL_S} s in {f_ok} of {n} (largest error",
        f"{d['max_off_floor_err_s']:.2f} s). The hold phase excludes the lift and the lowering,",
        "during which the foot is already or still off the floor (a clinical lift lowers the",
        "foot over about 0.6 s after the phase ends).",
        "",
        "Per body, lift (hip flexion; negative: the foot lifted behind) and side, against the",
        "foot off the floor:",
        "",
        "| body | hip flexion | foot up | holds | found | start error s | end error s |",
        "|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str, str], list[TruthRow]] = {}
    for r in rows:
        flex = r.truth["hip_flex_deg"]
        key = (r.character, f"{flex:.0f}" if np.isfinite(flex) else "n/a", r.truth["lifted"])
        groups.setdefault(key, []).append(r)
    for (body, flex, side), sel in sorted(groups.items()):
        got = [(r, r.found[default]) for r in sel if r.found[default] is not None]
        se = [m.trial.start_s - r.truth["off_start_s"] for r, m in got]  # type: ignore[union-attr]
        ee = [m.trial.end_s - r.truth["off_end_s"] for r, m in got]  # type: ignore[union-attr]
        cell = lambda v: ", ".join(f"{x:+.2f}" for x in v) or "n/a"  # noqa: E731
        lines.append(
            f"| {body} | {flex} | {side} | {len(sel)} | {len(got)} | {cell(se)} | {cell(ee)} |"
        )
    lines.append("")


def _safety(lines: list[str], summary: dict[str, Any], rows: list[TruthRow]) -> None:
    default = ESTIMATORS[0]
    missed_weak = [
        r
        for r in rows
        if r.truth["drop_deg"] >= REAL_DROP_DEG
        and r.status.get(default) in (Status.NORMAL, Status.COMPENSATED)
    ]
    false_pos = [
        r
        for r in rows
        if abs(r.truth["drop_deg"]) <= LEVEL_DEG and r.status.get(default) is Status.POSITIVE
    ]
    counts: dict[str, int] = {}
    for r in rows:
        st = r.status.get(default)
        t = r.truth["drop_deg"]
        kind = ">= 4" if t >= REAL_DROP_DEG else "level" if abs(t) <= LEVEL_DEG else "1-4"
        key = f"true {kind}: {st.value if st else 'missed'}"
        counts[key] = counts.get(key, 0) + 1
    summary["safety"] = {
        "real_drop_judged_normal": len(missed_weak),
        "level_judged_positive": len(false_pos),
        "status_counts": counts,
    }

    def names(rs: list[TruthRow]) -> str:
        return " (" + ", ".join(r.clip + " " + r.truth["lifted"] for r in rs) + ")" if rs else ""

    lines += [
        "### Verdict safety (default estimator)",
        "",
        f"- true drop of {REAL_DROP_DEG:.0f} deg or more judged normal or compensated: "
        f"**{len(missed_weak)}**{names(missed_weak)}",
        f"- level pelvis (|true| <= {LEVEL_DEG}) judged positive: "
        f"**{len(false_pos)}**{names(false_pos)}",
        "- status per kind of trial: " + "; ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
        "",
    ]
