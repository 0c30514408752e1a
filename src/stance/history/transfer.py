"""``stance history --import``: tests from an ``--export`` file or a folder of analyses, all
or nothing.

Every record is read and checked before anything is stored, with the checks the options
make: a person's name by `stance.history.record.check_name` (as ``--person``), a date by
`stance.io.recording.parse_date` (as ``--date``, except that a stored date must carry its
time-zone offset: its zone cannot be guessed), the document's schema version (major 1), the
standing legs, the enums and every number. Then all of them are stored in one transaction
(`HistoryStore.add_all`). A problem is one `ImportRefusedError` line naming the file and the test
and what to do; nothing is stored then.

In a folder, the files whose ``schema`` is ``stance.analysis/...`` are the tests (a
``stance batch --out`` folder's ``clips/*.json``); other JSON files (summaries, failure
records, anything that is not a JSON object) are skipped and counted.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from stance.analysis.judge import Outcome
from stance.core.errors import BadInputError
from stance.history.record import SIDES, SideResult, TestRecord, check_name, record_from_doc
from stance.history.store import HistoryStore, record_to_dict
from stance.io.recording import DateSource, Recording, parse_date, recording_of

EXPORT_KIND = "stance.history"
ANALYSIS_KIND = "stance.analysis"
READABLE_MAJOR = "1"
"""The major schema version this stance reads, of both kinds."""

_TEST_FIELDS = {f.name for f in fields(TestRecord)}
_OPTIONAL = {"age", "id"}
_TEXT = ("input_name", "model", "estimator", "reason", "summary", "tool_version")
_TEXT_OR_NULL = ("json_report", "html_report")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIDE_FIELDS = {f.name for f in fields(SideResult)}
_SIDE_NUMBERS = tuple(f for f in _SIDE_FIELDS if f not in ("stance", "status", "meets_30s"))


class ImportRefusedError(BadInputError):
    """An import that stores nothing: one line naming the file, the test and the problem."""


@dataclass(frozen=True)
class Imported:
    """What an import stored: how many tests, and how many other JSON files it skipped."""

    tests: int
    skipped: int = 0


def import_tests(store: HistoryStore, source: Path, *, person: str | None) -> Imported:
    """Add the tests of an ``--export`` file (to ``person`` when given), or of a folder of
    analysis JSON files (for ``person``, needed), all in one transaction.

    Raises:
        ImportRefusedError: a file or record that cannot be imported; nothing was stored.
        BadInputError: no such file or folder, a folder without ``person`` or without
            analyses.
        HistoryError: the database cannot be written (nothing was changed in it).
    """
    if source.is_file():
        tests = read_export(source, person=person)
        skipped = 0
    elif source.is_dir():
        if person is None:
            raise BadInputError("--import of a folder of analyses needs --person NAME.")
        tests, skipped = read_analyses(source, person=person)
        if not tests:
            raise BadInputError(f"--import {source}: no stance analysis JSON files found there.")
    else:
        raise BadInputError(f"--import {source}: no such file or folder.")
    store.add_all(tests)
    return Imported(len(tests), skipped)


def _refused(where: str, problem: str) -> ImportRefusedError:
    return ImportRefusedError(
        f"--import {where}: {problem.rstrip('.')}. Nothing was imported: fix or remove it "
        "and import again."
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise _refused(str(path), f"cannot be read ({err.strerror or err})") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise _refused(str(path), f"is not JSON ({err})") from None


def check_schema(doc: dict[str, Any], kind: str) -> None:
    """Refuse a document of ``kind`` whose schema major version this stance cannot read.

    Raises:
        BadInputError: another kind, no schema, or another major version.
    """
    tag = doc.get("schema")
    if not isinstance(tag, str) or not tag.startswith(kind + "/"):
        raise BadInputError(f"is not a {kind} document (its schema is {tag!r})")
    if tag.split("/", 1)[1].split(".")[0] != READABLE_MAJOR:
        raise BadInputError(
            f"has the schema {tag}, which this stance does not read (it reads "
            f"{kind}/{READABLE_MAJOR}.x); use the stance version that wrote it, or upgrade"
        )


def read_export(path: Path, *, person: str | None) -> list[TestRecord]:
    """Every test of an ``--export`` file, checked (to ``person`` when given).

    Raises:
        ImportRefusedError: the file, or one of its tests, cannot be imported.
    """
    doc = _read_json(path)
    try:
        if not isinstance(doc, dict):
            raise BadInputError("is not a stance history export (not a JSON object)")
        check_schema(doc, EXPORT_KIND)
        if not isinstance(doc.get("tests"), list):
            raise BadInputError("is not a stance history export (no list of tests)")
    except BadInputError as err:
        raise _refused(str(path), str(err)) from None
    tests = []
    n = len(doc["tests"])
    for i, item in enumerate(doc["tests"], 1):
        if person is not None and isinstance(item, dict):
            item = {**item, "person": person}
        try:
            tests.append(record_from_dict(item))
        except BadInputError as err:
            raise _refused(f"{path}, test {i} of {n}", str(err)) from None
    return tests


def read_analyses(folder: Path, *, person: str) -> tuple[list[TestRecord], int]:
    """The tests of the analysis JSON files under ``folder``, for ``person``, checked; and
    how many other JSON files were skipped.

    Raises:
        ImportRefusedError: an analysis that cannot be imported.
    """
    tests, skipped = [], 0
    for path in sorted(folder.rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            doc = None
        tag = doc.get("schema") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not str(tag).startswith(ANALYSIS_KIND + "/"):
            skipped += 1  # summaries, failure records, other files
            continue
        try:
            check_schema(doc, ANALYSIS_KIND)
            tests.append(_from_analysis(doc, path, person))
        except BadInputError as err:
            raise _refused(str(path), str(err)) from None
    return tests, skipped


def _from_analysis(doc: dict[str, Any], path: Path, person: str) -> TestRecord:
    """The test of one analysis document (checked like an exported test)."""
    for key in ("input", "settings", "verdict", "model", "tool", "findings"):
        if not isinstance(doc.get(key, {}), dict):
            raise BadInputError(f"its {key!r} is not a JSON object")
    if not isinstance(doc.get("holds", []), list) or not all(
        isinstance(h, dict) for h in doc.get("holds", [])
    ):
        raise BadInputError("its 'holds' is not a list of JSON objects")
    if not all(isinstance(f, dict) for f in doc.get("findings", {}).values()):
        raise BadInputError("its 'findings' are not JSON objects")
    if not isinstance(doc.get("settings", {}).get("thresholds", {}), dict):
        raise BadInputError("its 'settings.thresholds' is not a JSON object")
    recording = _recording(doc, path)
    html = path.with_suffix(".html")
    try:
        test = record_from_doc(
            doc,
            person=person,
            recording=recording,
            json_report=str(path.resolve()),
            html_report=str(html.resolve()) if html.is_file() else None,
        )
    except (TypeError, ValueError) as err:
        raise BadInputError(f"it is not a stance analysis ({err})") from None
    return record_from_dict(record_to_dict(test))  # the same checks as an exported test


def _recording(doc: dict[str, Any], path: Path) -> Recording:
    """The recording an analysis was made from: the clip its ``input.path`` names, when it
    is at hand (and, for a batch result, which records ``input.sha256``, has that content:
    its path is relative to a folder this import does not know); else the result file's
    time, with the content hash the result records (if any)."""
    sha = doc.get("input", {}).get("sha256")
    sha = sha if isinstance(sha, str) else None
    clip = Path(str(doc.get("input", {}).get("path", "")))
    if clip.is_file():
        found = recording_of(clip)
        if sha is None or found.sha256 == sha:
            return found
    when = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return Recording(sha, when, DateSource.FILE)


# --------------------------------------------------------------------------- one record


def record_from_dict(doc: object) -> TestRecord:
    """An exported test (`stance.history.store.record_to_dict`) read back and checked; the
    id is dropped (the importing store gives one).

    Raises:
        BadInputError: what is wrong with it, in words.
    """
    if not isinstance(doc, dict):
        raise BadInputError("is not a JSON object")
    unknown = sorted(set(doc) - _TEST_FIELDS)
    missing = sorted(_TEST_FIELDS - _OPTIONAL - set(doc))
    if unknown or missing:
        what = [f"unknown field(s) {', '.join(unknown)}"] if unknown else []
        what += [f"missing field(s) {', '.join(missing)}"] if missing else []
        raise BadInputError(f"is not a stance test record ({'; '.join(what)})")
    for key in _TEXT:
        _need(isinstance(doc[key], str), key, "text")
    for key in _TEXT_OR_NULL:
        _need(doc[key] is None or isinstance(doc[key], str), key, "text or null")
    sha = doc["content_sha256"]
    ok = sha is None or (isinstance(sha, str) and _SHA256.fullmatch(sha) is not None)
    _need(ok, "content_sha256", "64 hex digits or null")
    _need(isinstance(doc["thresholds"], dict), "thresholds", "a JSON object")
    age = doc.get("age")
    _need(age is None or (_is_int(age) and 0 <= age <= 150), "age", "whole years, 0-150")
    _need(isinstance(doc["tested_at"], str), "tested_at", "a date")
    _need(isinstance(doc["sides"], (list, tuple)), "sides", "a list")
    return TestRecord(
        person=check_name(doc["person"], what="person"),
        tested_at=parse_date(doc["tested_at"], what="tested_at", naive_is_local=False),
        date_source=_enum(DateSource, doc["date_source"], "date_source"),
        input_name=doc["input_name"],
        content_sha256=doc["content_sha256"],
        model=doc["model"],
        estimator=doc["estimator"],
        thresholds=doc["thresholds"],
        outcome=_enum(Outcome, doc["outcome"], "outcome"),
        reason=doc["reason"],
        summary=doc["summary"],
        sides=_sides(doc["sides"]),
        json_report=doc["json_report"],
        html_report=doc["html_report"],
        tool_version=doc["tool_version"],
        age=age,
    )


def _sides(items: list[Any] | tuple[Any, ...]) -> tuple[SideResult, ...]:
    sides: list[SideResult] = []
    for item in items:
        if not isinstance(item, dict) or set(item) - _SIDE_FIELDS or "status" not in item:
            raise BadInputError(
                f"a side must be a JSON object with the fields {', '.join(sorted(_SIDE_FIELDS))}"
            )
        stance = item.get("stance")
        if stance not in SIDES or any(s.stance == stance for s in sides):
            raise BadInputError(
                f"a side's stance is {stance!r}: it must be 'left' or 'right', each at most once"
            )
        _need(isinstance(item["status"], str), "status", "text")
        for key in _SIDE_NUMBERS:
            v = item.get(key)
            ok = v is None or (
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            )
            _need(ok, f"{stance} side's {key}", "a finite number or null")
        meets = item.get("meets_30s")
        _need(meets is None or isinstance(meets, bool), "meets_30s", "true, false or null")
        sides.append(SideResult(**item))
    return tuple(sides)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _need(ok: bool, key: str, what: str) -> None:
    if not ok:
        raise BadInputError(f"{key} must be {what}")


def _enum(kind: type[Any], value: object, key: str) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        allowed = ", ".join(str(m.value) for m in kind)
        raise BadInputError(f"{key} is {value!r}: it must be one of {allowed}") from None
