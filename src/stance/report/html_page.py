"""A self-contained HTML report of one analysis (`stance analyze --html PATH`).

One file, no external requests: images are embedded as base64 PNG, CSS is inline and there
is no script. It shows the verdict in plain words, the key frame of each trial (the frame of
largest pelvic drop in the settled hold, re-decoded from the video, with the skeleton, the
measured and the quiet-stance pelvis lines and the drop drawn on it by `stance.report.overlay`), a
timeline of drop, shift and lean, the numbers with units, the quality notes, the exercises
for a weak side and the not-a-diagnosis note.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from stance.analysis.segment import LEFT_UP, RIGHT_UP
from stance.core.atomic import write_atomic
from stance.io.source import iter_frames
from stance.pipeline import Analysis
from stance.report import overlay as overlay
from stance.report.advice import NOT_A_DIAGNOSIS, exercises_for
from stance.report.document import to_dict
from stance.report.series_csv import frame_table, settled_indices, trial_start_index
from stance.report.wording import EVIDENCE_WORDS, finding_sentence, summary_line, verdict_colour

KEY_FRAME_WIDTH = 420
"""Width of the embedded key frames in pixels."""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em}
.meta{color:#666}.card{border:3px solid;border-radius:10px;padding:1em 1.4em;margin:1em 0}
.card p.summary{font-size:1.35em;font-weight:600;margin:.2em 0 .6em}
.red{border-color:#c0392b;background:#fdf0ee}.green{border-color:#27ae60;background:#eefaf2}
.yellow{border-color:#d4a017;background:#fdf8e6}
.frames{display:flex;flex-wrap:wrap;gap:1em}.frames figure{margin:0}
figcaption{color:#555;font-size:.9em;max-width:420px}img{max-width:100%;height:auto}
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ccc;padding:.3em .6em;
text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
.note{color:#555;font-size:.95em}.ex{margin:.5em 0}.dose{color:#666}
"""


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def key_frame_indices(a: Analysis) -> list[int]:
    """Per trial, the track index of the largest drop in its settled hold."""
    out = []
    for m in a.measurements.trials:
        settled = settled_indices(a, m)
        drop = m.series.drop_deg[settled - trial_start_index(m)]
        if np.any(np.isfinite(drop)):
            out.append(int(settled[int(np.nanargmax(drop))]))
        else:
            out.append(int(settled[settled.size // 2]))
    return out


def decode_frames(a: Analysis, times_s: list[float]) -> list[np.ndarray | None]:
    """Re-decode the frames nearest to ``times_s`` (the track's timestamps) in one pass."""
    best: list[tuple[float, np.ndarray | None]] = [(np.inf, None) for _ in times_s]
    if not times_s:
        return []
    last = max(times_s)
    frames = iter_frames(a.path, mirrored=a.settings.mirrored, max_fps=a.settings.max_fps)
    try:
        for f in frames:
            for k, t in enumerate(times_s):
                d = abs(f.t_s - t)
                if d < best[k][0]:
                    best[k] = (d, f.image)
            if f.t_s > last + 1.0:
                break
    finally:
        frames.close()
    return [img for _, img in best]


def draw_key_frame(a: Analysis, image: np.ndarray, trial: int, index: int) -> bytes:
    """The frame with the skeleton, the measured pelvis line (coloured by drop), the
    quiet-stance pelvis line (green) and the drop, as PNG bytes."""
    import cv2

    m = a.measurements.trials[trial]
    img = image.copy()
    h, w = img.shape[:2]
    s = overlay.scale_for(img.shape)
    xy = a.track.xy[index]
    overlay.draw_skeleton(img, xy, s)
    drop = float(m.series.drop_deg[index - trial_start_index(m)])
    b = m.trial.baseline
    quiet = float("nan") if b is None else overlay.hip_angle_deg(a.track.xy[b.i0 : b.i1])
    if np.isfinite(quiet) and np.isfinite(drop):
        angle = overlay.pelvis_angle_deg(quiet, overlay.tilt_change_deg(drop, m.trial.lifted), 0.0)
        colour = overlay.drop_colour(drop, a.settings.thresholds.drop_deg)
        overlay.draw_pelvis(img, xy, s=s, angle_deg=angle, colour=colour, quiet_angle_deg=quiet)
    else:  # no drop value: the hip-landmark line in grey
        angle = overlay.hip_angle_deg(xy)
        overlay.draw_pelvis(img, xy, s=s, angle_deg=angle, colour=overlay.GREY)
    ends = overlay.pelvis_endpoints(xy, angle)
    if ends is not None:
        label = f"drop {drop:+.1f} deg" if np.isfinite(drop) else "drop n/a"
        mid, half = ends.mean(axis=0), float(np.hypot(*(ends[1] - ends[0]))) / 2
        org = (int(mid[0] - 4 * half / 3), int(mid[1] + 28 * s))
        overlay.put_text(img, label, org, s=s)
    scale = KEY_FRAME_WIDTH / w
    if scale < 1:
        img = cv2.resize(img, (KEY_FRAME_WIDTH, round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise RuntimeError("could not encode a key frame as PNG")
    return bytes(buf)


def _spans(mask: np.ndarray, t: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) times of the runs of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    return [
        (float(t[i]), float(t[j - 1]) + dt)
        for i, j in zip(*np.nonzero(edges)[0].reshape(-1, 2).T, strict=True)
    ]


def timeline_png(a: Analysis) -> bytes:
    """Drop, shift and lean against time, single-leg phases shaded, thresholds drawn (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cols = frame_table(a)
    t = cols["t_s"]
    th = a.settings.thresholds
    fig = Figure(figsize=(10, 6.5), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 1, sharex=True)
    rows = (
        ("drop_deg", "pelvic drop (deg)\n+ = lifted side lower", th.drop_deg, "#c0392b"),
        ("shift_frac", "shift to stance\n(fraction)", th.dramatic_shift_frac, "#2c7fb8"),
        ("lean_deg", "trunk lean (deg)\n+ = toward stance", th.lean_deg, "#8e44ad"),
    )
    lifted = a.segmentation.lifted
    for ax, (key, label, limit, colour) in zip(axes, rows, strict=True):
        for code, shade in ((LEFT_UP, "#f6d6a8"), (RIGHT_UP, "#bfe3c6")):
            for t0, t1 in _spans(lifted == code, t):
                ax.axvspan(t0, t1, color=shade, lw=0)
        ax.plot(t, cols[key], color=colour, lw=1.6)
        ax.axhline(limit, color="#444", ls="--", lw=1, label=f"threshold {limit:g}")
        ax.axhline(0, color="#999", lw=0.6)
        ax.set_ylabel(label, fontsize=9)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
    axes[0].set_title("Single-leg phases shaded: orange = LEFT foot up, green = RIGHT foot up")
    axes[-1].set_xlabel("time (s)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def fmt(x: Any, unit: str = "", nd: int = 1, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.{nd}f}{unit}" if sign else f"{x:.{nd}f}{unit}"


def html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(
        f"<th{' class=l' if i == 0 else ''}>{html.escape(h)}</th>" for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=l' if i == 0 else ''}>{html.escape(c)}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{th}</tr>{body}</table>"


def to_html(a: Analysis) -> str:
    """The whole report as one self-contained HTML document."""
    doc = to_dict(a)
    v = a.verdict
    e = html.escape
    colour = verdict_colour(v)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>stance: {e(a.path.name)}</title><style>{CSS}</style></head><body>",
        "<h1>Single-leg stance test</h1>",
        f"<p class=meta>{e(a.path.name)}: {a.video.width}x{a.video.height}, "
        f"{a.video.duration_s:.1f} s, {len(a.raw)} frames analysed at {a.raw.fps:.1f} fps; "
        f"stance {e(doc['tool']['version'])}, estimator {e(a.settings.estimator)}</p>",
        f"<div class='card {colour}'><p class=summary>{e(summary_line(v))}</p>",
        *(f"<p>{e(finding_sentence(f))}</p>" for f in v.findings.values()),
        "</div>",
    ]
    frames = key_frame_indices(a)
    images = decode_frames(a, [float(a.track.t_s[i]) for i in frames])
    if frames:
        parts.append("<h2>Key frames</h2><div class=frames>")
        for k, (i, img) in enumerate(zip(frames, images, strict=True)):
            t = a.measurements.trials[k].trial
            th = a.settings.thresholds.drop_deg
            cap = (
                f"{t.lifted.caps} foot up, standing on the {t.stance.value} leg, at "
                f"{a.track.t_s[i]:.2f} s (largest drop of the settled hold). Thick line: the "
                "pelvis as measured (the quiet-stance hip line turned by the measured drop; "
                "green below "
                f"{th / 2:g} deg, amber below {th:g} deg, red from {th:g} deg); thin green: "
                "the hip line of the quiet stance before the lift."
            )
            if img is None:
                parts.append(
                    f"<p class=note>Frame at {a.track.t_s[i]:.2f} s could not be decoded.</p>"
                )
                continue
            uri = png_data_uri(draw_key_frame(a, img, k, i))
            parts.append(
                f"<figure><img src='{uri}' alt='key frame {k}'>"
                f"<figcaption>{e(cap)}</figcaption></figure>"
            )
        parts.append("</div>")
    parts += [
        "<h2>Timeline</h2>",
        f"<img src='{png_data_uri(timeline_png(a))}' alt='timeline of drop, shift and lean'>",
    ]
    parts += _numbers(doc)
    notes = [f.message for f in a.quality.flags]
    notes += [v.weight_asymmetry_note] if v.weight_asymmetry_note else []
    if notes:
        parts.append(
            "<h2>Quality notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>"
        )
    if v.outcome.weak_sides:
        sides = list(v.outcome.weak_sides)
        for side in sides:
            parts.append(f"<h2>What to do next ({side.value} side)</h2>")
            parts += [
                f"<div class=ex><b>{e(x.name)}</b>: {e(x.how)} "
                f"<span class=dose>{e(x.dose)}</span></div>"
                for x in exercises_for(side)
            ]
    parts.append(f"<p class=note><b>{e(NOT_A_DIAGNOSIS)}</b></p></body></html>\n")
    return "\n".join(parts)


def _numbers(doc: dict[str, Any]) -> list[str]:
    trials = [
        [
            t["lifted"].upper(),
            f"{fmt(t['start_s'])}-{fmt(t['end_s'])}",
            fmt(t["hold_s"], " s"),
            fmt(t["drop_deg"], " deg", sign=True),
            fmt(t["drop_peak_deg"], " deg", sign=True),
            fmt(t["drop_noise_deg"], " deg", 2),
            fmt(t["lean_deg"], " deg", sign=True),
            fmt(t["shift_frac"], "", 2),
            fmt(t["shift_pct_hip"], " %", 0),
            fmt(t["sway_pct_hip"], " %", 1),
        ]
        for t in doc["trials"]
    ]
    findings = [
        [
            f["stance"].upper(),
            f["status"],
            fmt(f["drop_deg"], " deg", sign=True),
            fmt(f["drop_uncertainty_deg"], " deg"),
            _interval(f),
            ", ".join(EVIDENCE_WORDS.get(x, x) for x in f.get("evidence", [])) or "n/a",
            fmt(f["lean_deg"], " deg", sign=True),
            fmt(f["shift_frac"], "", 2),
            fmt(f["hold_s"], " s"),
            fmt(f["confidence"], "", 2),
        ]
        for f in doc["findings"].values()
    ]
    units = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(u)}</li>" for k, u in doc["units"].items()
    )
    return [
        "<h2>Numbers</h2><h3>Trials</h3>",
        html_table(
            [
                "foot up",
                "time (s)",
                "hold",
                "pelvic drop",
                "peak drop",
                "noise (SD)",
                "trunk lean",
                "shift (fraction)",
                "shift (% hip width)",
                "sway (% hip width)",
            ],
            trials,
        ),
        "<h3>Findings per standing leg</h3>",
        html_table(
            [
                "standing on",
                "status",
                "pelvic drop",
                "+/- measurement (k=2)",
                "true drop range",
                "measured from",
                "trunk lean",
                "shift (fraction)",
                "hold",
                "confidence",
            ],
            findings,
        ),
        f"<p class=note>Units and signs:</p><ul class=note>{units}</ul>",
    ]


def _interval(f: dict[str, Any]) -> str:
    """The finding's true-drop range as text (n/a when not measured)."""
    lo, hi = f.get("drop_low_deg"), f.get("drop_high_deg")
    if lo is None or hi is None:
        return "n/a"
    return f"{fmt(lo, '', sign=True)} to {fmt(hi, ' deg', sign=True)}"


def write_html(a: Analysis, path: Path) -> None:
    """Write the HTML report of ``a`` to ``path`` atomically (built fully before writing)."""
    write_atomic(to_html(a), path)
