"""One summary row per input, and ``summary.csv`` / ``summary.json``."""

from __future__ import annotations

import csv
import dataclasses
import io
from enum import Enum
from pathlib import Path
from typing import Any

from stance import __version__
from stance.analysis.judge import Outcome
from stance.batch.index import shown_text
from stance.core.atomic import strict_json, write_atomic
from stance.core.errors import NoValidTestError
from stance.pipeline import Settings
from stance.report.series_csv import csv_cell

SUMMARY_SCHEMA = "stance.batch/1.0"

COLUMNS = (
    "file",
    "status",
    "weak_side",
    "left_stance_drop_deg",
    "right_stance_drop_deg",
    "left_stance_shift_pct_hip",
    "right_stance_shift_pct_hip",
    "left_stance_lean_deg",
    "right_stance_lean_deg",
    "left_stance_hold_s",
    "right_stance_hold_s",
    "quality_flags",
    "reason",
    "error",
    "result",
    "resumed",
)
"""The summary columns; ``*_stance_*`` are the findings for standing on that leg."""


class RowStatus(str, Enum):
    """A summary row's status."""

    OK = "ok"  # judged (a weak side or none)
    CANNOT_TELL = "cannot_tell"  # analysed, but no judgeable test in it
    ERROR = "error"  # could not be analysed


def is_no_test(doc: dict[str, Any]) -> bool:
    """True for a failure record of a clip that was read but holds no judgeable test."""
    err = doc.get("error")
    return err is not None and err.get("type") == NoValidTestError.__name__


def row_from_doc(
    file: str, doc: dict[str, Any], *, result: str = "", resumed: bool = False
) -> dict[str, Any]:
    """One summary row from an analysis document or a failure record."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS, None)
    row.update(file=file, result=result, resumed=resumed)
    err = doc.get("error")
    if err is not None:
        row["result"] = ""
        if is_no_test(doc):
            row.update(
                status=RowStatus.CANNOT_TELL.value,
                weak_side=Outcome.CANNOT_TELL.value,
                reason=err["message"],
            )
        else:
            row.update(status=RowStatus.ERROR.value, error=err["message"])
        return row
    verdict = doc["verdict"]
    no_test = verdict["outcome"] == Outcome.CANNOT_TELL.value
    row["status"] = (RowStatus.CANNOT_TELL if no_test else RowStatus.OK).value
    row["weak_side"] = verdict["outcome"]
    row["reason"] = verdict.get("reason")
    for side, f in doc["findings"].items():
        row[f"{side}_stance_drop_deg"] = f["drop_deg"]
        row[f"{side}_stance_shift_pct_hip"] = f["shift_pct_hip"]
        row[f"{side}_stance_lean_deg"] = f["lean_deg"]
        row[f"{side}_stance_hold_s"] = f["hold_s"]
    row["quality_flags"] = ";".join(fl["code"] for fl in doc["quality"]["flags"])
    return row


def error_row(file: str, message: str) -> dict[str, Any]:
    """The row of an input that could not even be read (missing, not a file)."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS, None)
    row.update(file=file, status=RowStatus.ERROR.value, error=message, result="", resumed=False)
    return row


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Rows per status, and how many were resumed."""
    n = {s.value: sum(r["status"] == s.value for r in rows) for s in RowStatus}
    n["resumed"] = sum(bool(r["resumed"]) for r in rows)
    return n


def write_summary(
    rows: list[dict[str, Any]], out: Path, *, settings: Settings, complete: bool
) -> None:
    """Write ``summary.csv`` and ``summary.json`` in ``out`` (atomically).

    The CSV (RFC 4180, CRLF line ends) has its text cells made safe for spreadsheets
    (`csv_cell`); the JSON keeps every value as it is."""
    buf = io.StringIO()
    # CRLF line ends (RFC 4180): a cell with a CR or LF in it (a file name can have one) is
    # then always quoted, never split into two rows
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_cell(v) for k, v in r.items()})
    write_atomic(shown_text(buf.getvalue()), out / "summary.csv")  # UTF-8 for every reader
    doc = {
        "schema": SUMMARY_SCHEMA,
        "tool": {"name": "stance", "version": __version__},
        "complete": complete,
        "settings": dataclasses.asdict(settings),
        "counts": counts(rows),
        "clips": rows,
    }
    write_atomic(strict_json(doc), out / "summary.json")
