"""One clip's job and what a worker process does with it.

`analyze_clip` runs the same `stance.pipeline.analyze` as ``stance analyze`` and writes the
clip's JSON (`stance.report.document.to_dict` plus a ``batch_key``) atomically, so a killed
batch never leaves half a result; with ``--html`` the clip's HTML report is written first,
beside it, so a result JSON implies its report.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.batch.index import report_path
from stance.core.errors import BadInputError, NoValidTestError, StanceError
from stance.pipeline import Settings

log = logging.getLogger(__name__)

FAILED_SCHEMA = "stance.batch_failure/1.1"


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
    name: str = ""  # how the outputs name it (`stance.batch.discover.Input.name`)

    def args(self, settings: Settings) -> tuple[str, Settings, str, str, str, str, str, str]:
        """`analyze_clip`'s arguments for this job (plain strings: they go to a worker)."""
        report = "" if self.report is None else str(self.report)
        name = self.name or self.path.name
        result, failed = str(self.result), str(self.failed)
        return str(self.path), settings, result, failed, self.key, report, name, self.content


def without_paths(text: str, path: str, name: str) -> str:
    """``text`` with the clip's local path (as given, absolute or resolved) replaced by its
    ``name``, so an error message names the clip as the outputs do."""
    forms = {path, os.path.abspath(path), os.path.realpath(path)} - {name}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, name)
    return text


def analyze_clip(
    path: str,
    settings: Settings,
    result: str,
    failed: str,
    key: str,
    report: str = "",
    name: str = "",
    content: str = "",
) -> dict[str, Any]:
    """Analyse one clip (in a worker) and write its result or failure record atomically.

    The documents name the clip ``name`` (default: its file name) in ``input.path`` and in
    error messages, never by its local path; a result also records the clip's ``content``
    hash as ``input.sha256`` (so that ``stance history --import`` of the folder keeps clips
    apart where the clip itself is not at hand).

    Returns the document written: the `to_dict` JSON with ``batch_key``, or a failure
    record (``error``: type, message, exit code). Deterministic failures (bad input, nobody
    found) are recorded so that ``--resume`` skips them too; other errors are not. With
    ``report`` (a path) the HTML report is written there first; if that fails, the JSON is
    still written and the clip is simply listed without a report.
    """
    from stance.pipeline import analyze
    from stance.report.document import to_dict, write_json_atomic

    name = name or Path(path).name
    try:
        analysis = analyze(path, settings=settings)
        doc = to_dict(analysis)
    except StanceError as err:
        rec = {
            "schema": FAILED_SCHEMA,
            "batch_key": key,
            "input": {"path": name},
            "error": {
                "type": type(err).__name__,
                "message": without_paths(str(err), path, name),
                "exit_code": err.exit_code,
            },
        }
        if isinstance(err, (BadInputError, NoValidTestError)):
            write_json_atomic(rec, Path(failed))
        return rec
    except Exception as err:  # a bug in one clip must not stop the batch
        log.exception("internal error on %s", path)
        msg = without_paths(f"internal error: {type(err).__name__}: {err}", path, name)
        return {
            "schema": FAILED_SCHEMA,
            "batch_key": key,
            "input": {"path": name},
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
    doc["input"]["path"] = name
    if content:
        doc["input"]["sha256"] = content
    doc["batch_key"] = key
    write_json_atomic(doc, Path(result))
    Path(failed).unlink(missing_ok=True)
    return doc
