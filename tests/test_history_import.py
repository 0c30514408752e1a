"""``stance history --import`` is all or nothing, and every record is checked as the options
are (names, dates with their time zone, the schema version) before anything is stored;
ids are range-checked (issue 22, items 4-7 and 9)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import SAMPLE
from stance.core.errors import BadInputError
from stance.history.record import record_from_doc
from stance.history.report import HISTORY_SCHEMA
from stance.history.store import HistoryStore, record_to_dict
from stance.io.recording import DateSource, Recording, parse_date
from test_cli import _assert_clean_failure, stance


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def doc(analysed: Any) -> dict[str, Any]:
    from stance.report.document import to_dict

    return json.loads(json.dumps(to_dict(analysed(SAMPLE))))  # as written


def _export(doc: dict[str, Any], n: int = 3) -> dict[str, Any]:
    tests = []
    for day in range(1, n + 1):
        when = datetime(2026, 11, day, 9, 0, tzinfo=timezone.utc)
        rec = Recording(_sha(day), when, DateSource.FILE)
        rec_ = record_from_doc(doc, person="ann", recording=rec)
        tests.append(record_to_dict(rec_))
    return {"schema": HISTORY_SCHEMA, "tests": tests}


def _sha(n: int) -> str:
    return f"{n:064x}"


def _stored() -> list[tuple[str, str | None]]:
    with HistoryStore() as store:
        return [(t.person, t.content_sha256) for t in store.tests()]


def _keep_one(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    """One test already in the history: a refused import must leave it as it was."""
    with HistoryStore() as store:
        when = datetime(2026, 1, 1, tzinfo=timezone.utc)
        rec = Recording("z", when, DateSource.FILE)
        store.add(record_from_doc(doc, person="zoe", recording=rec))
    return _stored()


def _third(field: str, value: Any) -> Any:
    def change(export: dict[str, Any]) -> None:
        export["tests"][2][field] = value

    return change


def _middle(export: dict[str, Any]) -> None:
    export["tests"][2]["sides"][0]["stance"] = "middle"


def _schema(export: dict[str, Any]) -> None:
    export["schema"] = "stance.history/9.0"


@pytest.mark.forged_json  # the exports are broken on purpose
@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_middle, "test 3 of 3: a side's stance is 'middle'"),  # item 6
        (_third("tested_at", "2025-05-01T09:00:00"), "has no time-zone offset: add one"),  # 5
        (_third("person", ""), "test 3 of 3: person must be a name of 1-200"),  # item 9
        (_third("person", "x" * 1000), "person must be a name of 1-200"),
        (_third("person", "ann\nbob"), "person must be a name of 1-200"),
        (_schema, "stance.history/9.0, which this stance does not read"),
        (_third("outcome", "maybe"), "outcome is 'maybe'"),
        (_third("content_sha256", "abc"), "content_sha256 must be 64 hex digits or null"),
        (_third("sides", [{"stance": "left", "status": "x", "drop_deg": "big"}]), "drop_deg"),
    ],
    ids=[
        "stance_middle",
        "naive_date",
        "empty_name",
        "long_name",
        "newline",
        "schema_9",
        "outcome",
        "sha",
        "drop_text",
    ],
)
def test_a_bad_export_imports_nothing(
    doc: dict[str, Any], tmp_path: Path, change: Any, words: str
) -> None:
    before = _keep_one(doc)
    export = _export(doc)
    change(export)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    res = stance("history", "--import", path)
    _assert_clean_failure(res, 2, words)
    assert "Nothing was imported" in res.stderr and str(path) in res.stderr.replace("\n", "")
    assert "database" not in res.stderr and "Nothing was changed" not in res.stderr
    assert _stored() == before  # the first two tests were not stored either
    assert stance("history").returncode == 0  # and the history still shows


def test_a_good_export_imports_whole(doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(doc)))
    res = stance("history", "--import", path, "--person", " Ann B ")
    assert res.returncode == 0, res.stderr
    assert "Imported 3 test(s)" in res.stdout
    assert _stored() == [("Ann B", _sha(1)), ("Ann B", _sha(2)), ("Ann B", _sha(3))]
    res = stance("history", "--import", path, "--person", "a\nb")
    _assert_clean_failure(res, 2, "--person must be a name")


@pytest.mark.forged_json  # an analysis whose input is a string
def test_a_folder_with_a_broken_analysis_imports_nothing(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    before = _keep_one(doc)
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(doc))
    (folder / "list.json").write_text("[1, 2]")  # not an object: not an analysis, skipped
    bad = {**doc, "input": "clip.mp4"}
    (folder / "b.json").write_text(json.dumps(bad))
    res = stance("history", "--import", folder, "--person", "bob")
    _assert_clean_failure(res, 2, "'input' is not a JSON object")
    assert "b.json" in res.stderr and "Nothing was imported" in res.stderr
    assert _stored() == before
    (folder / "b.json").write_text(json.dumps({**doc, "schema": "stance.analysis/2.0"}))
    _assert_clean_failure(
        stance("history", "--import", folder, "--person", "bob"), 2, "does not read"
    )
    (folder / "b.json").unlink()
    res = stance("history", "--import", folder, "--person", "bob")
    assert res.returncode == 0, res.stderr
    assert "Imported 1 test(s)" in res.stdout and "1 other JSON file(s) skipped" in res.stdout
    assert len(_stored()) == 2


@pytest.mark.parametrize("test_id", ["99999999999999999999", "-1", "0", str(2**63)])
def test_delete_an_id_out_of_range(test_id: str) -> None:
    res = stance("history", "--delete", test_id)
    _assert_clean_failure(res, 2, "there is no test with that id")


def test_a_naive_date_stored_before_still_reads(doc: dict[str, Any], home: Path) -> None:
    """A history that an older stance let a date without offset into still shows."""
    _keep_one(doc)
    with HistoryStore() as store:
        rec = record_from_doc(
            doc,
            person="zoe",
            recording=Recording("n", datetime(2026, 2, 1, tzinfo=timezone.utc), DateSource.FILE),
        )
        store.add(rec)
    db = sqlite3.connect(home / "history.sqlite")
    with db:
        db.execute("UPDATE tests SET tested_at = '2026-02-01T09:00:00' WHERE content_sha256='n'")
    db.close()
    res = stance("history", "--person", "zoe", "--html", home / "zoe.html")
    assert res.returncode == 0, res.stderr
    assert "zoe: 2 test(s)" in res.stdout


def test_parse_date_offsets() -> None:
    assert parse_date("2025-05-01T09:00Z") == datetime(2025, 5, 1, 9, tzinfo=timezone.utc)
    assert parse_date("2025-05-01T09:00").tzinfo is not None  # --date: local time
    with pytest.raises(BadInputError, match="tested_at '2025-05-01T09:00:00' has no time-zone"):
        parse_date("2025-05-01T09:00:00", what="tested_at", naive_is_local=False)
    with pytest.raises(BadInputError, match="is not a date"):
        parse_date("soon")
