"""Compare pelvis-tracker parameter variants on truth clips, one pose pass per clip.

    uv run python benchmarks/pelvis_lab.py [--dir FOLDER ...] [--only NAME ...] [--out F.json]

Each variant is a (TextureParams, EdgeParams) pair (``VARIANTS``); every variant's trackers watch
the same frames of one pose pass, so a clip costs one pass whatever the number of variants. For
every truth trial it prints the true drop and lean and each variant's drop per evidence, and
writes them to ``--out`` (JSON) for analysis. A development tool: the harness that guards the
shipped numbers is ``accuracy.py``.
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

from truth_clips import character, match_trial, truth_clips, truth_trials  # noqa: E402

from stance.analysis.fuse import range_model_at  # noqa: E402
from stance.analysis.pelvis import Estimator, FusedTilt, PrecomputedTilt  # noqa: E402
from stance.core.track import Side  # noqa: E402
from stance.io.models import ensure_model  # noqa: E402
from stance.io.source import probe_video  # noqa: E402
from stance.pipeline import PelvisObserver, Settings, judge_track, run_pose  # noqa: E402
from stance.vision.pelvis_edge import EdgeParams, PelvisEdgeTracker  # noqa: E402
from stance.vision.pelvis_texture import PelvisImageTracker, TextureParams  # noqa: E402

VARIANTS: dict[str, tuple[TextureParams, EdgeParams]] = {
    "new": (TextureParams(), EdgeParams()),
}


def run_clip(path: Path, truth: dict[str, Any]) -> list[dict[str, Any]]:
    video = probe_video(path)
    settings = Settings()
    observers = {
        name: PelvisObserver(
            Estimator.FUSED,
            {
                Estimator.PELVIS_IMAGE: PelvisImageTracker(tp),
                Estimator.PELVIS_EDGE: PelvisEdgeTracker(ep),
            },
        )
        for name, (tp, ep) in VARIANTS.items()
    }
    raw = run_pose(
        path,
        video,
        model_path=ensure_model(),
        settings=settings,
        observers=list(observers.values()),
    )
    rows = []
    for tt in truth_trials(truth):
        row: dict[str, Any] = {
            "clip": path.stem,
            "character": character(truth),
            "lifted": tt["lifted"],
            "true_drop": round(tt["drop_deg"], 2),
            "true_lean": round(tt["lean_deg"], 2),
            "hipflex": tt["hip_flex_deg"],
            "outfit": truth.get("outfit"),
            "height": {},
        }
        for vname, obs in observers.items():
            for est, tracker in obs.trackers.items():
                judged = judge_track(
                    raw,
                    pelvis=PrecomputedTilt(est, tracker.result().tilt_deg),
                    settings=replace(settings, estimator=est),
                    source_fps=video.fps_nominal,
                )
                m = match_trial(judged, tt)
                key = f"{vname}:{est.value}"
                row[key] = None if m is None else round(m.drop_deg, 2)
                row["height"][key] = round(tracker.result().height_l, 3)
                if m is not None and est is Estimator.PELVIS_EDGE:
                    row["lean_meas"] = round(m.lean_deg, 2)
            parts = tuple(
                PrecomputedTilt(n, r.tilt_deg, range_model_at(r.height_l))
                for n, r in ((n, t.result()) for n, t in obs.trackers.items())
            )
            judged = judge_track(
                raw,
                pelvis=FusedTilt(Estimator.FUSED, parts),
                settings=settings,
                source_fps=video.fps_nominal,
            )
            m = match_trial(judged, tt)
            f = judged.verdict.findings[Side(tt["lifted"]).other]
            row[f"{vname}:fused"] = None if m is None else round(m.drop_deg, 2)
            row["height"][f"{vname}:fused"] = float("nan")
            row.setdefault("fused", {})[vname] = {
                "low": f.drop_low_deg,
                "high": f.drop_high_deg,
                "status": f.status.value,
                "basis": f.basis.value,
            }
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, action="append", default=[])
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    rows: list[dict[str, Any]] = []
    for name, path, tpath in truth_clips(a.dir):
        if a.only and not any(name.startswith(o) for o in a.only):
            continue
        got = run_clip(path, json.loads(tpath.read_text()))
        for r in got:
            cells = " ".join(
                f"{k.split(':')[0][:5]}/{k.split(':')[1][7:11]}={v}@{r['height'][k]:.2f}"
                for k, v in r.items()
                if ":" in k
            )
            fz = " ".join(
                f"{v}:[{d['low'] or np.nan:.1f},{d['high'] or np.nan:.1f}]{d['status'][:4]}"
                for v, d in r.get("fused", {}).items()
            )
            print(
                f"{name:10s} {r['lifted']:5s} true {r['true_drop']:+5.1f} "
                f"lean {r['true_lean']:+4.1f} | {cells} | {fz}",
                flush=True,
            )
        rows += got
    if a.out:
        a.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
