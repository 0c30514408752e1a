"""The analysis printed in the terminal (rich): the trials table, the findings, the holds,
the notes, the verdict panel and what to do next."""

from __future__ import annotations

import math
from typing import Any

from stance.analysis.fuse import CREST
from stance.analysis.measure import TrialMetrics
from stance.analysis.pelvis import Estimator
from stance.pipeline import Analysis
from stance.report.advice import NOT_A_DIAGNOSIS, exercises_for
from stance.report.wording import finding_sentence, summary_line, verdict_colour


def _shift_cell(m: TrialMetrics) -> str:
    hip = f"{m.shift_pct_hip:.0f}% hip width" if math.isfinite(m.shift_pct_hip) else "n/a"
    if not math.isfinite(m.shift_frac):
        return hip
    return f"{100 * m.shift_frac:.0f}% of the way ({hip})"


def _deg(x: float) -> str:
    """A signed angle for the terminal table, "n/a" when not measured (never "+nan")."""
    return f"{x:+.1f} deg" if math.isfinite(x) else "n/a"


def render(a: Analysis, console: Any) -> None:
    """Print the human summary with rich."""
    from rich.panel import Panel
    from rich.table import Table

    v = a.verdict
    console.print(
        f"[bold]{a.path.name}[/]  {a.video.width}x{a.video.height}, "
        f"{a.video.duration_s:.1f} s, {len(a.raw)} frames analysed at {a.raw.fps:.1f} fps"
    )
    if a.measurements.trials:
        table = Table(title="Single-leg stances found", title_justify="left")
        for col in ("foot up", "time (s)", "hold", "hip drop", "trunk lean", "shift to stance"):
            table.add_column(col, justify="right")
        for m in a.measurements.trials:
            t = m.trial
            table.add_row(
                t.lifted.caps,
                f"{t.start_s:.1f}-{t.end_s:.1f}",
                f"{m.hold_s:.1f} s",
                _deg(m.drop_deg),
                _deg(m.lean_deg),
                _shift_cell(m),
            )
        console.print(table)
    for f in v.findings.values():
        console.print("  " + finding_sentence(f))
    if a.settings.estimator != Estimator.HIP_LINE and a.measurements.trials:
        console.print(
            "  [dim]Hip drop is measured from the skin and garments between the hip joints and "
            "the crest of the hip bones; on realistic rendered bodies with known truth they turn "
            f"by {CREST.read_min:.0%}-{CREST.read_max:.0%} of a true drop, so the range given is "
            "where the true drop can be, and a side is called normal only when all of it is "
            "below the threshold (docs/VALIDATION.md).[/]"
        )
    for h in v.holds:
        norm = f"; age norm {h.norm_s:.0f} s ({h.norm_source})" if h.norm_s is not None else ""
        ok = "meets" if h.meets_criterion else "is short of"
        console.print(
            f"  Hold on the {h.stance.value} leg: {h.hold_s:.1f} s, {ok} the 30 s test{norm}."
        )
    if v.weight_asymmetry_note:
        console.print("  " + v.weight_asymmetry_note)
    for flag in a.quality.flags:
        style = "red" if flag.blocking else "yellow"
        console.print(f"  [{style}]Note:[/] {flag.message}")
    console.print(Panel(summary_line(v), border_style=verdict_colour(v), expand=False))
    if v.outcome.weak_sides:
        sides = list(v.outcome.weak_sides)
        for side in sides:
            console.print(f"[bold]What to do next ({side.value} side):[/]")
            for ex in exercises_for(side):
                console.print(f"  [bold]{ex.name}[/]: {ex.how} [dim]{ex.dose}[/]")
    console.print(f"[dim]{NOT_A_DIAGNOSIS}[/]")
