"""Report step: the analysis as a versioned JSON document.

The JSON schema is documented in docs/JSON_SCHEMA.md; bump `SCHEMA` on any change
that could break a reader.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from stance import __version__
from stance.analysis.fuse import Evidence
from stance.analysis.judge import SideFinding
from stance.analysis.measure import TrialMetrics
from stance.core.atomic import strict_json, write_atomic
from stance.pipeline import Analysis, Settings
from stance.report.wording import summary_line

SCHEMA = "stance.analysis/1.4"

UNITS = {
    "t_s, start_s, end_s, hold_s": "seconds from the start of the file",
    "drop_deg": "degrees; > 0 = the LIFTED side of the pelvis is lower than in the baseline",
    "lean_deg": "degrees; > 0 = trunk leans toward the STANCE side, relative to the baseline",
    "shift_frac": "fraction of the baseline distance from the centre of mass to the stance ankle",
    "shift_pct_hip, sway_pct_hip": "percent of the baseline hip width",
    "weight_left_pct": "percent of body weight on the LEFT foot in quiet stance (estimate)",
}


def settings_dict(settings: Settings) -> dict[str, Any]:
    """The settings as every output records them: whole, except that a ``--model`` path is
    given by its file name only. The model is named, not located, so that no file meant to
    be shared (a report, a batch folder) holds a local folder such as the user's home."""
    doc = asdict(settings)
    if settings.model is not None:
        doc["model"] = Path(settings.model).name
    return doc


def _num(x: float | None, nd: int = 2) -> float | None:
    if x is None or not math.isfinite(float(x)):
        return None
    return round(float(x), nd)


def _trial(m: TrialMetrics) -> dict[str, Any]:
    t = m.trial
    return {
        "lifted": t.lifted.value,
        "stance": t.stance.value,
        "start_s": _num(t.start_s),
        "end_s": _num(t.end_s),
        "hold_s": _num(m.hold_s),
        "touchdowns_s": [_num(x) for x in t.touchdowns_s],
        "baseline": (
            None
            if t.baseline is None
            else {"start_s": _num(t.baseline.t0_s), "end_s": _num(t.baseline.t1_s)}
        ),
        "drop_deg": _num(m.drop_deg),
        "drop_uncertainty_deg": _num(m.drop_uncertainty_deg),
        "drop_low_deg": None if m.fused is None else _num(m.fused.low_deg),
        "drop_high_deg": None if m.fused is None else _num(m.fused.high_deg),
        "drop_peak_deg": _num(m.drop_peak_deg),
        "drop_noise_deg": _num(m.drop_noise_deg),
        "drop_coverage": _num(m.drop_coverage, 3),
        "evidence": [] if m.fused is None else [_evidence(e) for e in m.fused.evidence],
        "lean_deg": _num(m.lean_deg),
        "shift_frac": _num(m.shift_frac, 3),
        "shift_pct_hip": _num(m.shift_pct_hip, 1),
        "sway_pct_hip": _num(m.sway_pct_hip, 1),
    }


def _evidence(e: Evidence) -> dict[str, Any]:
    return {
        "estimator": e.name,
        "drop_deg": _num(e.drop_deg),
        "uncertainty_deg": _num(e.uncertainty_deg),
        "noise_deg": _num(e.noise_deg),
        "coverage": _num(e.coverage, 3),
        "weight": _num(e.weight, 3),
        "band": e.range_model.band.value,
    }


def _finding(f: SideFinding) -> dict[str, Any]:
    return {
        "stance": f.stance.value,
        "status": f.status.value,
        "drop_deg": _num(f.drop_deg),
        "drop_uncertainty_deg": _num(f.drop_uncertainty_deg),
        "drop_low_deg": _num(f.drop_low_deg),
        "drop_high_deg": _num(f.drop_high_deg),
        "evidence": list(f.evidence),
        "lean_deg": _num(f.lean_deg),
        "shift_frac": _num(f.shift_frac, 3),
        "shift_pct_hip": _num(f.shift_pct_hip, 1),
        "hold_s": _num(f.hold_s),
        "confidence": _num(f.confidence),
        "reasons": list(f.reasons),
    }


def to_dict(a: Analysis) -> dict[str, Any]:
    """The analysis as a JSON-ready dict (schema `SCHEMA`)."""
    v = a.verdict
    q = a.quality
    return {
        "schema": SCHEMA,
        "tool": {"name": "stance", "version": __version__},
        "input": {"path": str(a.path), "mirrored": a.settings.mirrored},
        "video": {
            "width": a.video.width,
            "height": a.video.height,
            "fps_nominal": _num(a.video.fps_nominal, 3),
            "n_frames": a.video.n_frames,
            "duration_s": _num(a.video.duration_s, 3),
            "rotation_deg": a.video.rotation_deg,
            "codec": a.video.codec,
            "analysed_frames": len(a.raw),
            "analysed_fps": _num(a.raw.fps, 3),
        },
        "model": {"path": a.model_path.name, "name": a.model_path.stem},  # named, not located
        "settings": settings_dict(a.settings),  # every field: what changes the result
        "units": UNITS,
        "trials": [_trial(m) for m in a.measurements.trials],
        "findings": {side.value: _finding(f) for side, f in v.findings.items()},
        "holds": [
            {
                "stance": h.stance.value,
                "hold_s": _num(h.hold_s),
                "meets_30s_criterion": h.meets_criterion,
                "age_norm_s": _num(h.norm_s),
                "age_norm_source": h.norm_source,
            }
            for h in v.holds
        ],
        "weight_left_pct": _num(a.measurements.weight_left_pct, 1),
        "verdict": {
            "outcome": v.outcome.value,
            "reason": v.reason,
            "summary": summary_line(v),
            "weight_note": v.weight_asymmetry_note,
        },
        "quality": {
            "blocking": q.blocking,
            "flags": [
                {"code": f.code, "message": f.message, "blocking": f.blocking} for f in q.flags
            ],
            "person_fraction": _num(q.person_fraction, 3),
            "frontal_fraction": _num(q.frontal_fraction, 3),
            "feet_visible_fraction": _num(q.feet_visible_fraction, 3),
            "multi_person_fraction": _num(q.multi_person_fraction, 3),
            "brightness": _num(q.lighting.brightness, 3),
            "contrast": _num(q.lighting.contrast, 4),
        },
        "timings_s": {k: _num(t, 3) for k, t in a.timings_s.items()},
    }


def write_json_atomic(doc: dict[str, Any], path: Path) -> None:
    """Write ``doc`` to ``path`` as strict JSON (no NaN: null) via a temporary file and a
    rename (never half-written)."""
    write_atomic(strict_json(doc), path)
