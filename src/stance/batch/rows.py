"""One summary row per input (`SummaryRow`), and ``summary.csv`` / ``summary.json``.

A row is built from a clip's analysis document or its failure record (`SummaryRow.from_doc`),
or from the one-line error of an input that could not be read (`SummaryRow.failure`). A
clip without a judgeable test has the status `RowStatus.CANNOT_TELL`, whether it was
analysed (the verdict says "cannot tell") or its failure record says so (`is_no_test`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from stance import __version__
from stance.analysis.judge import Outcome
from stance.core.atomic import strict_json, write_atomic
from stance.core.errors import NoValidTestError
from stance.core.track import Side
from stance.pipeline import Settings
from stance.report.document import settings_dict
from stance.report.series_csv import csv_cell

SUMMARY_SCHEMA = "stance.batch/1.1"


class RowStatus(str, Enum):
    """A summary row's status."""

    OK = "ok"  # judged (a weak side or none)
    CANNOT_TELL = "cannot_tell"  # analysed, but no judgeable test in it
    ERROR = "error"  # could not be analysed


def is_no_test(doc: dict[str, Any]) -> bool:
    """True for a failure record of a clip that was read but holds no judgeable test: its
    error has `NoValidTestError`'s exit code (3, "no valid test found")."""
    err = doc.get("error")
    return err is not None and err.get("exit_code") == NoValidTestError.exit_code


class Stance(NamedTuple):
    """A row's findings for standing on one leg."""

    drop_deg: float | None
    shift_pct_hip: float | None
    lean_deg: float | None
    hold_s: float | None


@dataclass(frozen=True)
class SummaryRow:
    """One input's line of the summary; the fields are the columns, in order (`COLUMNS`).

    ``*_stance_*`` are the findings for standing on that leg; ``result`` is the clip's
    result JSON ("" for a failure); ``resumed`` when it came from an earlier run.
    """

    file: str
    status: RowStatus
    weak_side: Outcome | None = None
    left_stance_drop_deg: float | None = None
    right_stance_drop_deg: float | None = None
    left_stance_shift_pct_hip: float | None = None
    right_stance_shift_pct_hip: float | None = None
    left_stance_lean_deg: float | None = None
    right_stance_lean_deg: float | None = None
    left_stance_hold_s: float | None = None
    right_stance_hold_s: float | None = None
    quality_flags: str | None = None
    reason: str | None = None
    error: str | None = None
    result: str = ""
    resumed: bool = False

    @classmethod
    def from_doc(
        cls, file: str, doc: dict[str, Any], *, result: str = "", resumed: bool = False
    ) -> SummaryRow:
        """The row of an analysis document or a failure record (then without ``result``)."""
        err = doc.get("error")
        if err is not None:
            if is_no_test(doc):
                return cls(
                    file,
                    RowStatus.CANNOT_TELL,
                    Outcome.CANNOT_TELL,
                    reason=err["message"],
                    resumed=resumed,
                )
            return cls(file, RowStatus.ERROR, error=err["message"], resumed=resumed)
        verdict = doc["verdict"]
        outcome = Outcome(verdict["outcome"])
        findings = doc["findings"]

        def leg(side: Side, key: str) -> float | None:
            f = findings.get(side.value)
            return None if f is None else f[key]

        return cls(
            file,
            RowStatus.CANNOT_TELL if outcome is Outcome.CANNOT_TELL else RowStatus.OK,
            outcome,
            left_stance_drop_deg=leg(Side.LEFT, "drop_deg"),
            right_stance_drop_deg=leg(Side.RIGHT, "drop_deg"),
            left_stance_shift_pct_hip=leg(Side.LEFT, "shift_pct_hip"),
            right_stance_shift_pct_hip=leg(Side.RIGHT, "shift_pct_hip"),
            left_stance_lean_deg=leg(Side.LEFT, "lean_deg"),
            right_stance_lean_deg=leg(Side.RIGHT, "lean_deg"),
            left_stance_hold_s=leg(Side.LEFT, "hold_s"),
            right_stance_hold_s=leg(Side.RIGHT, "hold_s"),
            quality_flags=";".join(fl["code"] for fl in doc["quality"]["flags"]),
            reason=verdict.get("reason"),
            result=result,
            resumed=resumed,
        )

    @classmethod
    def failure(cls, file: str, message: str) -> SummaryRow:
        """The row of an input that could not even be read (missing, not a file)."""
        return cls(file, RowStatus.ERROR, error=message)

    def stance(self, side: Side) -> Stance:
        """The findings for standing on ``side``."""
        if side is Side.LEFT:
            return Stance(
                self.left_stance_drop_deg,
                self.left_stance_shift_pct_hip,
                self.left_stance_lean_deg,
                self.left_stance_hold_s,
            )
        return Stance(
            self.right_stance_drop_deg,
            self.right_stance_shift_pct_hip,
            self.right_stance_lean_deg,
            self.right_stance_hold_s,
        )

    def as_dict(self) -> dict[str, Any]:
        """The row as written: column to value, enums as their values."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        row["status"] = self.status.value
        row["weak_side"] = None if self.weak_side is None else self.weak_side.value
        return row


COLUMNS = tuple(f.name for f in dataclasses.fields(SummaryRow))
"""The summary columns, in order."""


def counts(rows: Sequence[SummaryRow]) -> dict[str, int]:
    """Rows per status, and how many were resumed."""
    n = {s.value: sum(r.status is s for r in rows) for s in RowStatus}
    n["resumed"] = sum(r.resumed for r in rows)
    return n


def shown_text(text: str) -> str:
    """``text`` that can be written as UTF-8: a file name that is not UTF-8 (Python keeps its
    bad bytes as lone surrogates) has each bad byte shown as U+FFFD. The index's links are
    still right: they are percent-encoded from the name's bytes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def write_summary(
    rows: Sequence[SummaryRow], out: Path, *, settings: Settings, complete: bool
) -> None:
    """Write ``summary.csv`` and ``summary.json`` in ``out`` (atomically).

    The CSV (RFC 4180, CRLF line ends) has its text cells made safe for spreadsheets
    (`csv_cell`); the JSON keeps every value as it is."""
    table = [r.as_dict() for r in rows]
    buf = io.StringIO()
    # CRLF line ends (RFC 4180): a cell with a CR or LF in it (a file name can have one) is
    # then always quoted, never split into two rows
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    w.writeheader()
    for r in table:
        w.writerow({k: csv_cell(v) for k, v in r.items()})
    write_atomic(shown_text(buf.getvalue()), out / "summary.csv")  # UTF-8 for every reader
    doc = {
        "schema": SUMMARY_SCHEMA,
        "tool": {"name": "stance", "version": __version__},
        "complete": complete,
        "settings": settings_dict(settings),
        "counts": counts(rows),
        "clips": table,
    }
    write_atomic(strict_json(doc), out / "summary.json")
