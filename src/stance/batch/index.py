"""The index page of a batch (`stance batch ... --html`): ``OUT/index.html``.

One self-contained page (inline CSS, no script, no external request) built from the summary
rows and the per-clip result files, so it is rebuilt the same way after a full run, after
Ctrl-C and on ``--resume``. It has the counts, the settings, and one table row per input: the
clip name linking (relatively) to its own HTML report when there is one, the verdict in plain
words colour-coded, per standing leg the hip drop with its uncertainty (degrees), the trunk
lean (degrees), the lateral shift (% hip width) and the hold time (seconds), and the quality
notes, the reason of a "cannot tell" or the one-line error of a failed clip.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from stance import __version__
from stance.analysis.judge import Outcome
from stance.batch.rows import RowStatus, SummaryRow, shown_text
from stance.core.atomic import write_atomic
from stance.core.track import Side
from stance.report.advice import NOT_A_DIAGNOSIS
from stance.report.wording import cannot_tell_line

INDEX_NAME = "index.html"
"""File name of the index page inside the batch's output directory."""

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1300px;color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}.meta,.note{color:#555}
table{border-collapse:collapse;margin:.8em 0;width:100%}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}th{background:#f3f3f3}
td.n{text-align:right;white-space:nowrap}
tr.weak td.v{background:#fdf0ee;border-left:5px solid #c0392b}
tr.none td.v{background:#eefaf2;border-left:5px solid #27ae60}
tr.cannot_tell td.v{background:#fdf8e6;border-left:5px solid #d4a017}
tr.error td.v{background:#eee;border-left:5px solid #555}tr.error td{color:#555}
ul.counts{list-style:none;padding:0;display:flex;gap:1.5em;flex-wrap:wrap}
.warn{border:3px solid #d4a017;background:#fdf8e6;border-radius:8px;padding:.6em 1em}
"""

_SIDES = (Side.LEFT, Side.RIGHT)


def report_path(result: str | Path) -> Path:
    """The HTML report that belongs to a clip's result JSON (beside it, same stem)."""
    return Path(result).with_suffix(".html")


def _load(result: str, out: Path) -> dict[str, Any] | None:
    """The clip's result document; ``result`` is relative to ``out``."""
    if not result:
        return None
    try:
        doc = json.loads((out / result).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _num(x: Any, unit: str, nd: int = 1, sign: bool = False) -> str:
    if x is None or x == "":
        return "n/a"
    return f"{float(x):+.{nd}f}{unit}" if sign else f"{float(x):.{nd}f}{unit}"


def _verdict(row: SummaryRow, doc: dict[str, Any] | None) -> tuple[str, str]:
    """(row class, the outcome in plain words)."""
    if row.status is RowStatus.ERROR:
        return "error", "Failed"
    no_test = row.status is RowStatus.CANNOT_TELL
    if doc is not None:
        words = str(doc["verdict"]["summary"])
    elif no_test:
        words = cannot_tell_line(row.reason or "no valid test found")
    else:
        words = str(row.weak_side.value if row.weak_side is not None else None)
    if no_test:
        return "cannot_tell", words
    return ("none" if row.weak_side is Outcome.NONE else "weak"), words


def _side_cells(row: SummaryRow, doc: dict[str, Any] | None) -> list[str]:
    """Per standing leg: hip drop with its true-drop range (and status), trunk lean, shift,
    hold."""
    cells = []
    for side in _SIDES:
        f = (doc or {}).get("findings", {}).get(side.value) or {}
        stance = row.stance(side)
        drop = _num(stance.drop_deg, " deg", sign=True)
        lo, hi = f.get("drop_low_deg"), f.get("drop_high_deg")
        if lo is not None and hi is not None and drop != "n/a":
            drop += f"<br><small>true {float(lo):+.1f} to {float(hi):+.1f}</small>"
        elif f.get("drop_uncertainty_deg") is not None and drop != "n/a":
            drop += f" &plusmn; {float(f['drop_uncertainty_deg']):.1f}"
        if f.get("status"):
            drop += f"<br><small>{html.escape(str(f['status']))}</small>"
        cells += [
            drop,
            _num(stance.lean_deg, " deg", sign=True),
            _num(stance.shift_pct_hip, " %", nd=0),
            _num(stance.hold_s, " s"),
        ]
    return cells


def _notes(row: SummaryRow, doc: dict[str, Any] | None) -> str:
    if row.status is RowStatus.ERROR:
        return html.escape(str(row.error or "unknown error"))
    notes: list[str] = []
    if row.status is RowStatus.CANNOT_TELL and row.reason and doc is None:
        notes.append(row.reason)
    if doc is not None:
        notes += [fl["message"] for fl in doc.get("quality", {}).get("flags", [])]
    elif row.quality_flags:
        notes.append(row.quality_flags.replace(";", ", "))
    if row.resumed:
        notes.append("(result from an earlier run)")
    return "<br>".join(html.escape(n) for n in notes)


def _clip_cell(row: SummaryRow, out: Path) -> str:
    name = html.escape(Path(row.file).name)
    title = html.escape(row.file, quote=True)
    report = report_path(out / row.result) if row.result else None
    if report is None or not report.is_file():
        return f"<td title='{title}'>{name}</td>"
    # a URL, not a file name: percent-encoded (of the name's bytes), so that '#', '?', '%', a
    # space, non-ASCII letters or a line break in a clip's name still give a working link
    rel = Path(os.path.relpath(report.resolve(), out.resolve())).as_posix()
    href = quote(os.fsencode(rel))
    return f"<td title='{title}'><a href='{html.escape(href, quote=True)}'>{name}</a></td>"


def to_index_html(
    rows: Sequence[SummaryRow], out: Path, *, settings: dict[str, Any], complete: bool
) -> str:
    """The index page for summary ``rows`` (`stance.batch.rows.SummaryRow`) written to ``out``.

    ``settings`` is the batch's `Settings` as a dict; ``complete`` is False after Ctrl-C.
    Links are relative to ``out``, so the output directory can be moved or sent as a whole,
    and percent-encoded, so that any file name gives a working link.
    """
    e = html.escape
    status = Counter(r.status.value for r in rows)
    verdicts = Counter(
        str(r.weak_side.value if r.weak_side is not None else None)
        for r in rows
        if r.status is RowStatus.OK
    )
    resumed = sum(r.resumed for r in rows)
    body = []
    for r in rows:
        doc = _load(r.result, out)
        cls, words = _verdict(r, doc)
        if cls == "error":  # the one-line error across the number columns
            cells = f"<td colspan={4 * len(_SIDES) + 1}>{_notes(r, doc)}</td>"
        else:
            cells = "".join(f"<td class=n>{c}</td>" for c in _side_cells(r, doc))
            cells += f"<td>{_notes(r, doc)}</td>"
        body.append(
            f"<tr class='clip {cls}'>{_clip_cell(r, out)}<td class=v>{e(words)}</td>{cells}</tr>"
        )
    weak = ", ".join(
        f"{n} {'no weak side' if k == 'none' else f'weak {k}'}" for k, n in sorted(verdicts.items())
    )
    counts = [
        f"<li><b>{len(rows)}</b> clips</li>",
        f"<li><b>{status['ok']}</b> judged{f' ({e(weak)})' if weak else ''}</li>",
        f"<li><b>{status['cannot_tell']}</b> cannot tell</li>",
        f"<li><b>{status['error']}</b> failed</li>",
        f"<li><b>{resumed}</b> from an earlier run</li>",
    ]
    shown = {k: "-" if v is None else v for k, v in settings.items() if k != "thresholds"}
    if settings.get("model") is None:
        shown["model"] = "default"
    sets = ", ".join(f"{e(str(k))} = {e(str(v))}" for k, v in shown.items())
    limits = ", ".join(
        f"{e(str(k))} = {e(str(v))}" for k, v in (settings.get("thresholds") or {}).items()
    )
    side_head = "".join(f"<th colspan=4>standing on the {s.caps} leg</th>" for s in _SIDES)
    sub_head = "<th>hip drop</th><th>trunk lean</th><th>shift (hip width)</th><th>hold</th>" * 2
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>stance batch: {len(rows)} clips</title><style>{_CSS}</style></head><body>",
        "<h1>Single-leg stance test: batch summary</h1>",
        f"<p class=meta>stance {e(__version__)}; settings: {sets}<br>"
        f"<small>thresholds: {limits}</small></p>",
    ]
    if not complete:
        parts.append(
            "<p class=warn>The batch was interrupted: only the clips that finished are listed. "
            "Run it again with <code>--resume</code> to finish it.</p>"
        )
    parts += [
        f"<ul class=counts>{''.join(counts)}</ul>",
        "<table><thead><tr><th rowspan=2>clip</th><th rowspan=2>result</th>"
        f"{side_head}<th rowspan=2>notes</th></tr><tr>{sub_head}</tr></thead>",
        f"<tbody>{''.join(body)}</tbody></table>",
        "<p class=note>Hip drop: degrees, &gt; 0 = the lifted side of the pelvis is lower than "
        "in quiet stance (a Trendelenburg sign for the standing leg), with its uncertainty and "
        "the finding for that leg. Trunk lean: degrees, &gt; 0 = toward the standing leg. "
        "Shift: how far the centre of mass moved toward the standing foot, % of hip width. "
        "Hold: seconds on one leg (the test asks for 30). Click a clip for its full report.</p>",
        f"<p class=note><b>{e(NOT_A_DIAGNOSIS)}</b></p></body></html>\n",
    ]
    return "\n".join(parts)


def write_index(
    rows: Sequence[SummaryRow], out: Path, *, settings: dict[str, Any], complete: bool
) -> Path:
    """Write ``out/index.html`` atomically (see `to_index_html`); returns its path."""
    path = Path(out) / INDEX_NAME
    write_atomic(shown_text(to_index_html(rows, out, settings=settings, complete=complete)), path)
    return path
