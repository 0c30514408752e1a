"""Per-frame poses of movements that are NOT a held single-leg stance, for the MakeHuman
renderer (../shared/avatar/render/mh/render_mh.py, one case per frame): the negatives of hold
detection. Rendered by ``render_negatives.sh``; checked by ``holds_check.py`` (no hold may be
found).

    python3 benchmarks/motion_cases.py KIND OUT.json [--fps 15]

Every clip: 2.5 s of quiet stance, the movement until 9.5 s, quiet stance to 12 s.
KIND:
* ``march``: marching on the spot, 110 steps a minute, each foot off the floor 0.45 s, hip
  flexion 50 deg, knee 70;
* ``high_knees``: 160 steps a minute, each foot off 0.32 s, hip 90, knee 100;
* ``slow_march``: 65 steps a minute, each foot off 0.75 s (up 0.3, at the top 0.15, down
  0.3), hip 60, knee 75: the slowest step that is not a hold;
* ``step_jacks``: low-impact jumping jacks: the feet step apart (0.28 to 0.70 m) and the
  arms rise to 160 deg, 0.8 s a cycle, both feet on the floor (the renderer has no flight).
Fields as render_mh.py reads them (``free``, ``lift``, ``hipflex_deg``, ``kneeflex_deg``,
``shift_m``, ``stance_width_m``, ``arm_abd_deg``, ``frame``) plus ``t_s`` and ``phase``.
"""

from __future__ import annotations

import argparse
import json
import math

QUIET_S, END_S, DURATION_S = 2.5, 9.5, 12.0

# kind: (step period s, foot off s, hip flexion deg, knee flexion deg)
STEPS = {
    "march": (60 / 110, 0.45, 50.0, 70.0),
    "high_knees": (60 / 160, 0.32, 90.0, 100.0),
    "slow_march": (60 / 65, 0.75, 60.0, 75.0),
}
JACK_PERIOD_S, JACK_WIDTH_M, JACK_ARMS_DEG = 0.8, 0.70, 160.0
STANCE_WIDTH_M, ARMS_DEG, SHIFT_M = 0.28, 12.0, 0.02


def step_pose(kind: str, t: float) -> dict[str, object]:
    """The pose at ``t`` seconds of a stepping movement."""
    period, off, hip, knee = STEPS[kind]
    u = t - QUIET_S
    k = int(u // period)
    w = u - k * period
    if w >= off or t >= END_S:
        return {"free": None, "lift": 0.0, "phase": "both"}
    # a smooth rise and fall; the slow march stays at the top for a while
    rise = 0.3 if kind == "slow_march" else off / 2
    x = min(w / rise, 1.0, (off - w) / rise)
    lift = 0.5 - 0.5 * math.cos(math.pi * max(0.0, x))
    side = "L" if k % 2 == 0 else "R"
    return {
        "free": side,
        "lift": lift,
        "hipflex_deg": hip * lift,
        "kneeflex_deg": knee * lift,
        "shift_m": SHIFT_M * lift,
        "phase": f"{'left' if side == 'L' else 'right'}_step",
    }


def jack_pose(t: float) -> dict[str, object]:
    u = t - QUIET_S
    x = 0.0 if t >= END_S else 0.5 - 0.5 * math.cos(2 * math.pi * u / JACK_PERIOD_S)
    return {
        "free": None,
        "lift": 0.0,
        "stance_width_m": STANCE_WIDTH_M + (JACK_WIDTH_M - STANCE_WIDTH_M) * x,
        "arm_abd_deg": ARMS_DEG + (JACK_ARMS_DEG - ARMS_DEG) * x,
        "phase": "jack" if x > 0 else "both",
    }


def cases(kind: str, fps: int) -> list[dict[str, object]]:
    out = []
    for i in range(round(DURATION_S * fps)):
        t = i / fps
        pose: dict[str, object] = {"free": None, "lift": 0.0, "phase": "both"}
        if t >= QUIET_S:
            pose = jack_pose(t) if kind == "step_jacks" else step_pose(kind, t)
        case: dict[str, object] = {
            "name": f"{kind}_{i:04d}",
            "frame": i,
            "t_s": t,
            "drop_deg": 0.0,
            "shift_m": 0.0,
            "hipflex_deg": 0.0,
            "kneeflex_deg": 0.0,
            "stance_width_m": STANCE_WIDTH_M,
            "arm_abd_deg": ARMS_DEG,
        }
        case.update(pose)
        out.append(case)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("kind", choices=[*STEPS, "step_jacks"])
    ap.add_argument("out")
    ap.add_argument("--fps", type=int, default=15)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        json.dump(cases(a.kind, a.fps), f, indent=0)


if __name__ == "__main__":
    main()
