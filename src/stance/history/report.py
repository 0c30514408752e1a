"""The test history as people read it: a terminal table, JSON, CSV and an HTML page with
trend plots. The decisions (`stance.history.record.timeline`) are made before; this module words
and draws them.
"""

from __future__ import annotations

import csv
import html
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stance import __version__
from stance.core.atomic import strict_json, write_atomic
from stance.history.record import SIDES, Change, HistoryRow, SideChange, SideResult
from stance.history.store import record_to_dict
from stance.report.series_csv import csv_cell

HISTORY_SCHEMA = "stance.history/1.0"

CSV_COLUMNS = (
    "person",
    "test_id",
    "tested_at",
    "date_source",
    "input_name",
    "outcome",
    "stance",
    "status",
    "drop_deg",
    "drop_uncertainty_deg",
    "drop_low_deg",
    "drop_high_deg",
    "lean_deg",
    "shift_frac",
    "hold_s",
    "meets_30s",
    "age_norm_s",
    "change_since_previous",
    "delta_since_previous_deg",
    "change_since_first",
    "delta_since_first_deg",
    "needed_deg",
    "json_report",
    "html_report",
)
"""One CSV row per test and standing leg (README: `stance history`)."""

_CHANGE_COLOUR = {
    Change.IMPROVED: "green",
    Change.WORSE: "red",
    Change.NO_REAL_CHANGE: "default",
    Change.NOT_COMPARABLE: "dim",
}


def _change(c: SideChange) -> dict[str, Any]:
    return {"change": c.change.value, "delta_deg": c.delta_deg, "needed_deg": c.needed_deg}


def to_history_dict(people: dict[str, list[HistoryRow]]) -> dict[str, Any]:
    """The history as a JSON-ready dict (schema `HISTORY_SCHEMA`)."""
    return {
        "schema": HISTORY_SCHEMA,
        "tool": {"name": "stance", "version": __version__},
        "people": [
            {
                "person": person,
                "tests": [
                    {
                        **record_to_dict(row.test),
                        "change_since_previous": {
                            s: _change(c) for s, c in row.since_previous.items()
                        },
                        "change_since_first": {s: _change(c) for s, c in row.since_first.items()},
                    }
                    for row in rows
                ],
            }
            for person, rows in people.items()
        ],
    }


def to_history_csv(people: dict[str, list[HistoryRow]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180: a CR inside a cell is quoted
    w.writerow(CSV_COLUMNS)
    for person, rows in people.items():
        for row, stance, side in leg_rows(rows):
            t = row.test
            prev, first = row.since_previous[stance], row.since_first[stance]
            values = {
                "person": person,
                "test_id": t.id,
                "tested_at": t.tested_at.isoformat(timespec="seconds"),
                "date_source": t.date_source.value,
                "input_name": t.input_name,
                "outcome": t.outcome.value,
                **{k: getattr(side, k) for k in SideResult.__dataclass_fields__},
                "change_since_previous": prev.change.value,
                "delta_since_previous_deg": prev.delta_deg,
                "change_since_first": first.change.value,
                "delta_since_first_deg": first.delta_deg,
                "needed_deg": prev.needed_deg,
                "json_report": t.json_report,
                "html_report": t.html_report,
            }
            w.writerow([csv_cell(values[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def leg_rows(rows: list[HistoryRow]) -> Iterator[tuple[HistoryRow, str, SideResult]]:
    """(test row, standing leg, its result) for every measured leg of every test, in order."""
    for row in rows:
        for stance in SIDES:
            side = row.test.side(stance)
            if side is not None:
                yield row, stance, side


def _drop(side: SideResult | None) -> str:
    if side is None or side.drop_deg is None:
        return "n/a"
    u = f" ± {side.drop_uncertainty_deg:.1f}" if side.drop_uncertainty_deg is not None else ""
    return f"{side.drop_deg:+.1f}{u}"


def _hold(side: SideResult | None) -> str:
    if side is None or side.hold_s is None:
        return "n/a"
    mark = " ✓30" if side.meets_30s else ""
    norm = f" (norm {side.age_norm_s:.0f})" if side.age_norm_s is not None else ""
    return f"{side.hold_s:.1f} s{mark}{norm}"


def render_history(people: dict[str, list[HistoryRow]], console: Any) -> None:
    """Print one table per person: a row per test and standing leg, with the changes."""
    from rich.table import Table

    if not people:
        console.print("No tests recorded yet: add --person NAME to stance analyze, live or batch.")
        return
    for person, rows in people.items():
        table = Table(title=f"{person}: {len(rows)} test(s)", title_justify="left")
        for col in ("id", "date", "standing on", "drop (deg)", "vs previous", "vs first"):
            table.add_column(col, justify="right" if col == "drop (deg)" else "left")
        for col in ("hold", "lean", "shift"):
            table.add_column(col, justify="right")
        for row in rows:
            t = row.test
            measured = [s for s in SIDES if t.side(s) is not None]
            for k, stance in enumerate(measured or [""]):
                side = t.side(stance) if stance else None
                head = [str(t.id), t.tested_at.strftime("%Y-%m-%d %H:%M")] if k == 0 else ["", ""]
                if side is None:
                    table.add_row(*head, "-", "n/a", "", "", "", "", "")
                    continue
                prev, first = row.since_previous[stance], row.since_first[stance]
                table.add_row(
                    *head,
                    stance.upper(),
                    _drop(side),
                    f"[{_CHANGE_COLOUR[prev.change]}]{prev.change.value}[/]",
                    f"[{_CHANGE_COLOUR[first.change]}]{first.change.value}[/]",
                    _hold(side),
                    _num(side.lean_deg, "+.1f"),
                    _num(side.shift_frac, ".2f"),
                )
            table.rows[-1].end_section = True
        console.print(table)
        for row in rows:
            console.print(f"  {row.test.id}: {row.test.input_name}: {row.test.summary}")
    console.print(
        "[dim]Drop: + = the lifted side lower, ± its measurement uncertainty (k = 2). A change "
        "is real when it is larger than 4 deg (the minimal detectable change, Youdas et al. "
        "2007) and than the two readings' uncertainty. Lean in deg toward the standing leg, "
        "shift as a fraction of the way to the standing foot.[/]"
    )


def _num(x: float | None, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


# --------------------------------------------------------------------------- HTML


def trend_png(rows: list[HistoryRow], drop_threshold: float) -> bytes:
    """Drop (with its uncertainty band) and hold time per standing leg against the test
    dates, with the drop threshold and the 30-s criterion drawn (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 6), dpi=100)
    FigureCanvasAgg(fig)
    ax_drop, ax_hold = fig.subplots(2, 1, sharex=True)
    colours = {"left": "#d35400", "right": "#16a085"}
    for stance in SIDES:
        pts = [
            (r.test.tested_at, s)
            for r in rows
            if (s := r.test.side(stance)) and s.drop_deg is not None
        ]
        if pts:
            x = [p[0] for p in pts]
            y = [p[1].drop_deg or 0.0 for p in pts]
            u = [p[1].drop_uncertainty_deg or 0.0 for p in pts]
            lo = [a - b for a, b in zip(y, u, strict=True)]
            hi = [a + b for a, b in zip(y, u, strict=True)]
            ax_drop.fill_between(x, lo, hi, color=colours[stance], alpha=0.18, lw=0)
            ax_drop.plot(x, y, "o-", color=colours[stance], label=f"standing on {stance.upper()}")
        holds = [
            (r.test.tested_at, s.hold_s)
            for r in rows
            if (s := r.test.side(stance)) and s.hold_s is not None
        ]
        if holds:
            ax_hold.plot(
                [h[0] for h in holds], [h[1] for h in holds], "s-", color=colours[stance],
                label=f"standing on {stance.upper()}",
            )  # fmt: skip
    ax_drop.axhline(
        drop_threshold, color="#444", ls="--", lw=1, label=f"threshold {drop_threshold:g}"
    )
    ax_drop.axhline(0, color="#999", lw=0.6)
    ax_drop.set_ylabel("pelvic drop (deg)\n+ = lifted side lower", fontsize=9)
    ax_hold.axhline(30, color="#444", ls="--", lw=1, label="30-s criterion")
    ax_hold.set_ylabel("hold (s)", fontsize=9)
    for ax in (ax_drop, ax_hold):
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8, framealpha=0.8)
    ax_drop.set_title("Pelvic drop per test (band: measurement uncertainty, k = 2) and hold time")
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _link(report: str | None, page: Path) -> str:
    """A link from the history page to a test's own HTML report, when it still exists."""
    from urllib.parse import quote

    if not report or not Path(report).is_file():
        return ""
    rel = os.path.relpath(Path(report).resolve(), page.resolve().parent)
    return f"<a href='{html.escape(quote(rel.replace(os.sep, '/')))}'>report</a>"


def to_history_html(people: dict[str, list[HistoryRow]], page: Path) -> str:
    """One self-contained page: per person the trend plot and the table of tests."""
    from stance.analysis.judge import Thresholds
    from stance.report.html_page import CSS, html_table, png_data_uri

    e = html.escape
    title = ", ".join(people) or "nobody yet"
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>stance history: {e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>Test history: {e(title)}</h1>",
        "<p class=meta>A change counts as real when it is larger than 4 deg (the minimal "
        "detectable change of the angle, Youdas et al. 2007) and than the two readings' "
        "combined uncertainty; a drop below zero counts as zero.</p>",
    ]
    for person, rows in people.items():
        given = (r.test.thresholds.get("drop_deg") for r in rows)
        threshold = next((float(v) for v in given if v is not None), Thresholds().drop_deg)
        if len(people) > 1:
            out.append(f"<h2>{e(person)}</h2>")
        out.append(
            f"<img src='{png_data_uri(trend_png(rows, threshold))}' "
            f"alt='trend of pelvic drop and hold time for {e(person)}'>"
        )
        table_rows = []
        for row, stance, side in leg_rows(rows):
            t = row.test
            table_rows.append(
                [
                    t.tested_at.strftime("%Y-%m-%d %H:%M"),
                    t.input_name,
                    stance.upper(),
                    side.status,
                    _drop(side),
                    row.since_previous[stance].change.value,
                    row.since_first[stance].change.value,
                    _hold(side),
                    t.summary,
                ]
            )
        head = ["date", "clip", "standing on", "status", "drop (deg)", "vs previous",
                "vs first", "hold", "verdict"]  # fmt: skip
        out.append(html_table(head, table_rows))
        links = [
            f"<li>{e(r.test.tested_at.strftime('%Y-%m-%d'))} {e(r.test.input_name)}: {link}</li>"
            for r in rows
            if (link := _link(r.test.html_report, page))
        ]
        if links:
            out.append("<h3>The tests' own reports</h3><ul>" + "".join(links) + "</ul>")
    out.append("<p class=note>This is not a diagnosis.</p></body></html>")
    return "\n".join(out)


def write_history_files(
    people: dict[str, list[HistoryRow]],
    *,
    json_path: Path | None = None,
    csv_path: Path | None = None,
    html_path: Path | None = None,
) -> None:
    """Write each asked-for file atomically."""
    if json_path is not None:
        write_atomic(strict_json(to_history_dict(people)), json_path)
    if csv_path is not None:
        write_atomic(to_history_csv(people), csv_path)
    if html_path is not None:
        write_atomic(to_history_html(people, html_path), html_path)
