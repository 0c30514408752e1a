"""One clip's job and what a worker process does with it.

`analyze_clip` runs the same `stance.pipeline.analyze` as ``stance analyze`` and writes the
clip's JSON (`stance.report.document.to_dict` plus a ``batch_key``) atomically, so a killed
batch never leaves half a result; with ``--html`` the clip's HTML report is written first,
beside it, so a result JSON implies its report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.batch.index import report_path
from stance.core.errors import BadInputError, NoValidTestError, StanceError
from stance.pipeline import Settings

log = logging.getLogger(__name__)

FAILED_SCHEMA = "stance.batch_failure/1.0"


@dataclass
class Job:
    """One clip to analyse and where its files go (identical inputs share one job)."""

    path: Path
    key: str  # `stance.batch.keys.batch_key`, stored in the result
    result: Path  # clips/<stem>.json
    failed: Path  # failed/<stem>.json: the record of a deterministic failure
    rows: list[int]  # indexes of the summary rows this job fills
    report: Path | None = None  # where its HTML report goes (--html)
    content: str = ""  # sha256 of the clip

    def args(self, settings: Settings) -> tuple[str, Settings, str, str, str, str]:
        """`analyze_clip`'s arguments for this job (plain strings: they go to a worker)."""
        report = "" if self.report is None else str(self.report)
        return str(self.path), settings, str(self.result), str(self.failed), self.key, report


def analyze_clip(
    path: str, settings: Settings, result: str, failed: str, key: str, report: str = ""
) -> dict[str, Any]:
    """Analyse one clip (in a worker) and write its result or failure record atomically.

    Returns the document written: the `to_dict` JSON with ``batch_key``, or a failure
    record (``error``: type, message, exit code). Deterministic failures (bad input, nobody
    found) are recorded so that ``--resume`` skips them too; other errors are not. With
    ``report`` (a path) the HTML report is written there first; if that fails, the JSON is
    still written and the clip is simply listed without a report.
    """
    from stance.pipeline import analyze
    from stance.report.document import to_dict, write_json_atomic

    try:
        analysis = analyze(path, settings=settings)
        doc = to_dict(analysis)
    except StanceError as err:
        rec = {
            "schema": FAILED_SCHEMA,
            "batch_key": key,
            "input": {"path": path},
            "error": {"type": type(err).__name__, "message": str(err), "exit_code": err.exit_code},
        }
        if isinstance(err, (BadInputError, NoValidTestError)):
            write_json_atomic(rec, Path(failed))
        return rec
    except Exception as err:  # a bug in one clip must not stop the batch
        log.exception("internal error on %s", path)
        msg = f"internal error: {type(err).__name__}: {err}"
        return {
            "schema": FAILED_SCHEMA,
            "batch_key": key,
            "input": {"path": path},
            "error": {"type": type(err).__name__, "message": msg, "exit_code": 1},
        }
    if report:
        from stance.report.html_page import write_html

        try:
            write_html(analysis, Path(report))
        except Exception:  # the numbers stand without their report
            log.exception("HTML report of %s failed", path)
            Path(report).unlink(missing_ok=True)
    else:  # a report beside the JSON always belongs to it
        report_path(result).unlink(missing_ok=True)
    doc["batch_key"] = key
    write_json_atomic(doc, Path(result))
    Path(failed).unlink(missing_ok=True)
    return doc
