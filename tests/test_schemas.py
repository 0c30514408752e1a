"""The JSON Schemas shipped in `stance.schemas` are valid, the documents stance writes satisfy
them, and documents that break the contract do not."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import SAMPLE
from schema_check import assert_valid, problems
from stance import schemas


@pytest.fixture(scope="module")
def doc(analysed: Callable[..., Any]) -> dict[str, Any]:
    """The bundled sample's analysis document, as written (through JSON)."""
    from stance.report.document import to_dict

    return _as_written(to_dict(analysed(SAMPLE)))


@pytest.mark.parametrize("name", schemas.NAMES)
def test_schema_files_are_valid_draft_2020_12(name: str) -> None:
    schema = schemas.load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_load_and_choice_by_schema_string(doc: dict[str, Any]) -> None:
    assert schemas.name_of(doc) == "analysis"
    assert schemas.for_document(doc)["$id"] == "urn:stance:schema:analysis"
    assert schemas.name_of({"schema": "stance.batch/1.0"}) == "batch_summary"
    assert schemas.name_of({"schema": "stance.batch_failure/1.0"}) == "batch_failure"
    assert schemas.name_of({"schema": "stance.history/1.0"}) == "history"
    assert schemas.name_of({"schema": "other/1.0"}) is None
    assert schemas.name_of([1]) is None
    with pytest.raises(KeyError):
        schemas.load("nope")
    with pytest.raises(KeyError):
        schemas.for_document({})


def test_schema_version_follows_the_code(doc: dict[str, Any]) -> None:
    """The shipped schemas accept the version strings the code writes."""
    from stance.batch.rows import SUMMARY_SCHEMA
    from stance.batch.worker import FAILED_SCHEMA
    from stance.history.report import HISTORY_SCHEMA
    from stance.report.document import SCHEMA

    for tag, name in [
        (SCHEMA, "analysis"),
        (SUMMARY_SCHEMA, "batch_summary"),
        (FAILED_SCHEMA, "batch_failure"),
    ]:
        assert schemas.name_of({"schema": tag}) == name
        pattern = schemas.load(name)["properties"]["schema"]["pattern"]
        assert Draft202012Validator({"pattern": pattern}).is_valid(tag), (tag, pattern)
    assert schemas.name_of({"schema": HISTORY_SCHEMA}) == "history"


def test_bundled_sample_analysis_validates(doc: dict[str, Any]) -> None:
    assert_valid(doc, where="the bundled sample's analysis")
    assert doc["trials"] and doc["findings"]  # a real document, not an empty one


def _as_written(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as it is read back from the file stance writes (tuples are arrays)."""
    from stance.core.atomic import strict_json

    out: dict[str, Any] = json.loads(strict_json(doc))
    return out


def _broken(doc: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    bad = copy.deepcopy(doc)
    change(bad)
    return bad


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "outcome not a known value": lambda d: d["verdict"].update(outcome="weak"),
    "status not a known value": lambda d: d["findings"]["left"].update(status="bad"),
    "required key missing": lambda d: d.pop("verdict"),
    "required nested key missing": lambda d: d["trials"][0].pop("drop_deg"),
    "unknown top-level key": lambda d: d.update(extra=1),
    "NaN written as a string": lambda d: d["trials"][0].update(drop_deg="NaN"),
    "number where a bool is": lambda d: d["quality"].update(blocking=0),
    "fraction above 1": lambda d: d["quality"].update(person_fraction=1.5),
    "finding under the other leg": lambda d: d["findings"]["left"].update(stance="right"),
    "new major version": lambda d: d.update(schema="stance.analysis/2.0"),
    "not a version": lambda d: d.update(schema="stance.analysis/1.x"),
    "estimator unknown": lambda d: d["settings"].update(estimator="magic"),
    "threshold not a number": lambda d: d["settings"]["thresholds"].update(drop_deg="2"),
}


@pytest.mark.parametrize("what", list(BREAKS))
def test_broken_analysis_fails(doc: dict[str, Any], what: str) -> None:
    bad = _broken(doc, BREAKS[what])
    assert problems(bad, "analysis"), what
    with pytest.raises(AssertionError, match="does not satisfy"):
        assert_valid(bad, "analysis")


def test_minor_version_and_new_settings_are_accepted(doc: dict[str, Any]) -> None:
    """A minor version may add settings (groups, thresholds): still valid."""

    def newer(d: dict[str, Any]) -> None:
        d["schema"] = "stance.analysis/1.3"
        d["settings"]["segment"] = {"min_lift_s": 0.5}
        d["settings"]["thresholds"]["new_threshold"] = 1.0

    assert_valid(_broken(doc, newer))


def test_nulls_where_not_measured(doc: dict[str, Any]) -> None:
    def unmeasured(d: dict[str, Any]) -> None:
        t = d["trials"][0]
        for k in ("drop_deg", "drop_uncertainty_deg", "drop_low_deg", "drop_high_deg"):
            t[k] = None
        t["baseline"] = None
        t["evidence"] = []
        d["weight_left_pct"] = None
        d["quality"]["brightness"] = None
        d["findings"]["left"]["confidence"] = None

    assert_valid(_broken(doc, unmeasured))


def test_live_block_validates(doc: dict[str, Any]) -> None:
    live = {
        "holds": [
            {"lifted": "left", "start_s": 1.0, "end_s": 9.0, "hold_s": 8.0, "completed": True}
        ],
        "last_step": "done",
        "stats": {
            "duration_s": 20.0,
            "frames_read": 600,
            "frames_shown": 600,
            "frames_analysed": 300,
            "display_fps": 30.0,
            "analysed_fps": 15.0,
            "latency_ms_median": 40.0,
            "latency_ms_p95": None,
        },
    }
    assert_valid({**doc, "live": live, "timings_s": {"live": 20.0}})
    assert problems({**doc, "live": {**live, "last_step": "somewhere"}})


def test_batch_summary_and_failure_record_validate(doc: dict[str, Any], tmp_path: Path) -> None:
    """A summary with every kind of row, written by the batch runner's own functions; the
    failure record a worker writes for a clip that is not a video."""
    from stance.batch.rows import SummaryRow, write_summary
    from stance.batch.worker import analyze_clip
    from stance.pipeline import Settings

    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video\n" * 10)
    failed = tmp_path / "failed.json"
    rec = analyze_clip(str(fake), Settings(), str(tmp_path / "r.json"), str(failed), "0" * 32)
    assert failed.is_file() and rec["error"]["type"] == "BadInputError"
    assert_valid(json.loads(failed.read_text()), "batch_failure")
    no_test = {"error": {"type": "NoValidTestError", "message": "Nobody was found", "exit_code": 3}}
    cannot = copy.deepcopy(doc)
    cannot["verdict"]["outcome"] = "cannot_tell"
    rows = [
        SummaryRow.from_doc("a.mp4", doc, result=str(tmp_path / "a.json")),
        SummaryRow.from_doc("b.mp4", doc, result=str(tmp_path / "b.json"), resumed=True),
        SummaryRow.from_doc("c.mp4", cannot, result=str(tmp_path / "c.json")),
        SummaryRow.from_doc(str(fake), rec),
        SummaryRow.from_doc("x.mp4", no_test),
        SummaryRow.failure("gone.mp4", "gone.mp4 does not exist (no such file)."),
    ]
    write_summary(rows, tmp_path, settings=Settings(), complete=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert_valid(summary, where="summary.json")
    assert [r["status"] for r in summary["clips"]] == [
        "ok",
        "ok",
        "cannot_tell",
        "error",
        "cannot_tell",
        "error",
    ]
    # and what breaks the contract does not pass
    for change in [
        lambda s: s["clips"][0].update(status="fine"),
        lambda s: s["clips"][0].update(weak_side="cannot_tell"),
        lambda s: s["clips"][3].update(weak_side="left"),
        lambda s: s["clips"][3].update(error=None),
        lambda s: s["clips"][0].pop("resumed"),
        lambda s: s["counts"].pop("ok"),
        lambda s: s.update(schema="stance.batch/2.0"),
    ]:
        assert problems(_broken(summary, change), "batch_summary")
    assert problems({**rec, "batch_key": "short"}, "batch_failure")


def test_history_json_and_export_validate(doc: dict[str, Any]) -> None:
    from stance.history.record import record_from_doc, timeline
    from stance.history.report import HISTORY_SCHEMA, to_history_dict
    from stance.history.store import record_to_dict
    from stance.io.recording import DateSource, Recording

    when = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
    tests = [
        record_from_doc(doc, person="ann", recording=Recording("ab" * 32, when, DateSource.OPTION)),
        record_from_doc(doc, person="ann", recording=Recording(None, when, DateSource.NOW)),
    ]
    view = _as_written(to_history_dict({"ann": timeline(tests)}))
    assert_valid(view, where="stance history --json")
    export = _as_written({"schema": HISTORY_SCHEMA, "tests": [record_to_dict(t) for t in tests]})
    assert_valid(export, where="stance history --export")
    assert problems(_broken(export, lambda e: e["tests"][0].update(outcome="weak")))
    assert problems(_broken(export, lambda e: e["tests"][0].update(change_since_first={})))
    assert problems(_broken(view, lambda v: v["people"][0]["tests"][0].pop("change_since_first")))
    assert problems(_broken(view, lambda v: v["people"][0]["tests"][0].update(tested_at="soon")))
