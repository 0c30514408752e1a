"""The per-person test history: recorded, compared, listed, exported and safe on disk."""

from __future__ import annotations

import csv
import json
import multiprocessing
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from browser import needs_chromium, screenshot_page
from conftest import SAMPLE
from stance.history.record import (
    MDC_DROP_DEG,
    Change,
    SideResult,
    compare,
    record_from_doc,
    timeline,
)
from stance.history.store import SCHEMA_VERSION, HistoryError, HistoryStore
from stance.io.recording import DateSource, Recording, mp4_creation_time
from test_cli import _assert_clean_failure, stance


def _side(drop: float | None, u: float | None = 0.5, stance_: str = "right") -> SideResult:
    return SideResult(stance=stance_, status="x", drop_deg=drop, drop_uncertainty_deg=u)


def _when(day: int) -> datetime:
    return datetime(2026, 11, day, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def doc(analysed: Any) -> dict[str, Any]:
    from stance.report.document import to_dict

    return to_dict(analysed(SAMPLE))


# ----------------------------------------------------------------- the change rule


def test_change_needs_more_than_the_mdc_and_the_uncertainty() -> None:
    assert compare(_side(6.0), _side(1.0)).change is Change.IMPROVED
    assert compare(_side(1.0), _side(6.0)).change is Change.WORSE
    small = compare(_side(5.0), _side(5.0 - 0.9 * MDC_DROP_DEG))
    assert small.change is Change.NO_REAL_CHANGE
    # a wide uncertainty raises the bar above the MDC
    wide = compare(_side(10.0, u=5.0), _side(4.5, u=5.0))
    assert wide.change is Change.NO_REAL_CHANGE and wide.needed_deg == pytest.approx(7.07, 0.01)
    # hiking the lifted side further is not an improvement: drops count from 0
    assert compare(_side(0.5), _side(-9.0)).change is Change.NO_REAL_CHANGE
    assert compare(_side(None), _side(3.0)).change is Change.NOT_COMPARABLE
    assert compare(None, _side(3.0)).change is Change.NOT_COMPARABLE


def test_timeline_compares_with_the_previous_and_the_first(doc: dict[str, Any]) -> None:
    rec = Recording("abc", _when(1), DateSource.OPTION)
    base = record_from_doc(doc, person="p", recording=rec)
    right = base.side("right")
    assert right is not None and right.drop_deg == doc["findings"]["right"]["drop_deg"]
    from dataclasses import replace

    def with_drop(day: int, drop: float) -> Any:
        sides = tuple(replace(s, drop_deg=drop) if s.stance == "right" else s for s in base.sides)
        return replace(base, tested_at=_when(day), sides=sides)

    rows = timeline([with_drop(3, 12.0), with_drop(1, 12.0), with_drop(2, 6.0)])
    assert [r.test.tested_at.day for r in rows] == [1, 2, 3]  # date order
    assert rows[0].since_previous["right"].change is Change.NOT_COMPARABLE
    assert rows[1].since_previous["right"].change is Change.IMPROVED
    assert rows[2].since_previous["right"].change is Change.WORSE
    assert rows[2].since_first["right"].change is Change.NO_REAL_CHANGE


# ----------------------------------------------------------------- the store


def test_store_round_trips_and_never_doubles(doc: dict[str, Any], home: Path) -> None:
    rec = record_from_doc(doc, person="ann", recording=Recording("h1", _when(1), DateSource.FILE))
    with HistoryStore() as store:
        first = store.add(rec)
        again = store.add(rec)  # the same test recorded twice (a resumed batch)
        assert again == first
        store.add(
            record_from_doc(doc, person="ann", recording=Recording("h2", _when(2), DateSource.FILE))
        )
        tests = store.tests("ann")
        assert [t.content_sha256 for t in tests] == ["h1", "h2"]
        assert tests[0].sides == rec.sides and tests[0].thresholds == rec.thresholds
        assert tests[0].tested_at == rec.tested_at
        assert store.people()[0][:2] == ("ann", 2)
        assert store.delete(first) and not store.delete(first)
        assert len(store.tests()) == 1
    db = sqlite3.connect(home / "history.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _add_many(args: tuple[str, dict[str, Any], int]) -> None:
    home, doc, worker = args
    import os

    os.environ["STANCE_HOME"] = home
    with HistoryStore() as store:
        for i in range(10):
            rec = Recording(f"w{worker}-{i}", _when(1 + i), DateSource.FILE)
            store.add(record_from_doc(doc, person="clinic", recording=rec))


def test_parallel_writers_lose_nothing(doc: dict[str, Any], home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        pool.map(_add_many, [(str(home), doc, w) for w in range(4)])
    with HistoryStore() as store:
        shas = [t.content_sha256 for t in store.tests("clinic")]
    assert len(shas) == 40 and len(set(shas)) == 40


def test_a_damaged_database_is_one_line_and_left_alone(home: Path) -> None:
    home.mkdir(parents=True)
    db = home / "history.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    with pytest.raises(HistoryError, match="damaged"):
        HistoryStore()
    res = stance("analyze", SAMPLE, "--person", "ann", "-q")
    _assert_clean_failure(res, 2, "damaged")
    assert "Analysing" not in res.stdout  # refused before the analysis
    _assert_clean_failure(stance("history"), 2, "damaged")
    assert db.read_bytes() == before


def test_a_newer_schema_is_refused(home: Path) -> None:
    with HistoryStore():
        pass
    sqlite3.connect(home / "history.sqlite").execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer stance"):
        HistoryStore()


def test_an_unwritable_history_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "file" / "home"))
    with pytest.raises(HistoryError, match="cannot be created"):
        HistoryStore()


def test_container_creation_time(tmp_path: Path) -> None:
    from stance.io.ffmpeg import run_ffmpeg

    clip = tmp_path / "dated.mp4"
    run_ffmpeg(
        ["-i", str(SAMPLE), "-t", "1", "-c", "copy", "-metadata",
         "creation_time=2024-03-05T06:07:08Z", str(clip)]
    )  # fmt: skip
    assert mp4_creation_time(clip) == datetime(2024, 3, 5, 6, 7, 8, tzinfo=timezone.utc)
    assert mp4_creation_time(SAMPLE) is None  # the bundled clip has none
    (tmp_path / "x.txt").write_text("not a video")
    assert mp4_creation_time(tmp_path / "x.txt") is None


# ----------------------------------------------------------------- as a user meets it


def test_history_from_the_command_line(doc: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "t1.json"
    page1 = tmp_path / "t1.html"
    res = stance("analyze", SAMPLE, "--person", "alice", "--date", "2026-11-01",
                 "--json", report, "--html", page1, "-q")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "kept in alice's history" in res.stderr
    own = json.loads(report.read_text())
    # two more tests on later dates through the same recording path (no more pose runs)
    from stance.cli.history import record_test

    with HistoryStore() as store:
        for day in (8, 15):
            record_test(
                store, doc, person="alice", recording=Recording(None, _when(day), DateSource.OPTION)
            )
    out = {k: tmp_path / f"h.{k}" for k in ("json", "csv", "html")}
    res = stance("history", "--person", "alice", "--json", out["json"], "--csv", out["csv"],
                 "--html", out["html"])  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "alice: 3 test(s)" in res.stdout
    hist = json.loads(out["json"].read_text())
    tests = hist["people"][0]["tests"]
    assert [t["tested_at"][:10] for t in tests] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    for side in tests[0]["sides"]:
        mine = own["findings"][side["stance"]]
        assert side["drop_deg"] == mine["drop_deg"] and side["hold_s"] == mine["hold_s"]
        assert side["status"] == mine["status"]
    assert tests[0]["html_report"] == str(page1.resolve())
    assert tests[1]["change_since_previous"]["right"]["change"] == "no real change"
    rows = list(csv.DictReader(out["csv"].read_text().splitlines()))
    assert len(rows) == 6 and {r["stance"] for r in rows} == {"left", "right"}
    page = out["html"].read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace("https://", "")
    assert "t1.html" in page  # the link to the first test's own report

    # people, export, delete, import: the data round-trips
    assert "alice" in stance("history", "--people").stdout
    export = tmp_path / "export.json"
    assert stance("history", "--export", export).returncode == 0
    first_id = tests[0]["id"]
    assert stance("history", "--delete", str(first_id)).returncode == 0
    _assert_clean_failure(stance("history", "--delete", str(first_id)), 2, "no test")
    assert stance("history", "--import", export).returncode == 0
    with HistoryStore() as store:
        again = store.tests("alice")
    assert len(again) == 3
    assert [t.sides for t in again] == [tuple(SideResult(**s) for s in t["sides"]) for t in tests]


@pytest.mark.forged_json  # a bare summary.json stands in for a batch's (import must skip it)
def test_import_a_folder_of_analyses(doc: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "batch_out"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(doc))
    (folder / "summary.json").write_text(json.dumps({"schema": "stance.batch/1.0"}))
    _assert_clean_failure(stance("history", "--import", folder), 2, "needs --person")
    res = stance("history", "--import", folder, "--person", "bob")
    assert res.returncode == 0, res.stderr
    assert "Imported 1 test" in res.stdout
    with HistoryStore() as store:
        (test,) = store.tests("bob")
    assert test.content_sha256 is not None  # the clip it names still exists: hashed
    assert test.date_source is DateSource.FILE


def test_date_needs_a_person_and_a_date() -> None:
    _assert_clean_failure(stance("analyze", SAMPLE, "--date", "2026-11-01"), 2, "--person")
    _assert_clean_failure(
        stance("analyze", SAMPLE, "--person", "a", "--date", "soon"), 2, "not a date"
    )
    _assert_clean_failure(stance("analyze", SAMPLE, "--person", " "), 2, "--person")
    _assert_clean_failure(stance("history", "--person", "nobody"), 2, "no tests")


@needs_chromium
def test_history_page_renders_in_headless_chromium(doc: dict[str, Any], tmp_path: Path) -> None:
    import numpy as np

    from stance.cli.history import record_test
    from stance.history.report import write_history_files

    with HistoryStore() as store:
        for day in (1, 8, 15):
            record_test(
                store, doc, person="carol", recording=Recording(None, _when(day), DateSource.OPTION)
            )
        rows = {"carol": timeline(store.tests("carol"))}
    page = tmp_path / "carol.html"
    write_history_files(rows, html_path=page)
    img = screenshot_page(page, tmp_path, width=1200, height=1600)
    # both legs' trend lines are drawn: orange (LEFT) and teal (RIGHT) pixels
    for bgr in ((0, 84, 211), (133, 160, 22)):
        near = np.all(np.abs(img.astype(int) - bgr) < 30, axis=-1)
        assert near.sum() > 200, bgr


def test_batch_keeps_every_clip_once(tmp_path: Path) -> None:
    clips = tmp_path / "clinic"
    for person, name in (("ann", "a1.mp4"), ("ann", "a2.mp4"), ("ben", "b1.mp4")):
        (clips / person).mkdir(parents=True, exist_ok=True)
        data = SAMPLE.read_bytes()
        # distinct content per clip (a trailing byte after the moov box is ignored by decoders)
        (clips / person / name).write_bytes(data + name.encode())
    out = tmp_path / "out"
    args = (
        "batch",
        clips,
        "--out",
        out,
        "--person-from-folder",
        "--workers",
        "2",
        "--max-fps",
        "5",
    )
    res = stance(*args, "-q")
    assert res.returncode == 0, res.stderr
    assert "3 test(s) kept in the history" in res.stderr
    assert stance(*args, "--resume", "-q").returncode == 0  # resumed: replaced, not doubled
    with HistoryStore() as store:
        people = {p: n for p, n, _, _ in store.people()}
        tests = store.tests()
    assert people == {"ann": 2, "ben": 1}
    assert sorted(t.input_name for t in tests) == ["a1.mp4", "a2.mp4", "b1.mp4"]
    assert all(t.json_report and Path(t.json_report).is_file() for t in tests)


def test_person_map(tmp_path: Path) -> None:
    from stance.cli.history import BatchKeeper, read_person_map
    from stance.core.errors import BadInputError
    from stance.pipeline import Settings

    mapping = tmp_path / "people.csv"
    mapping.write_text("file,person\nvisit1.mp4,Dana\nsub/visit2.mp4, Eli \n")
    names = read_person_map(mapping)
    keeper = BatchKeeper(None, Settings(), mapping=names)
    assert keeper.person_for(tmp_path / "elsewhere" / "visit1.mp4") == "Dana"
    assert keeper.person_for(tmp_path / "sub" / "visit2.mp4") == "Eli"
    assert keeper.person_for(tmp_path / "visit3.mp4") is None
    (tmp_path / "bad.csv").write_text("clip,who\nx.mp4,y\n")
    with pytest.raises(BadInputError, match="file and person"):
        read_person_map(tmp_path / "bad.csv")
    with pytest.raises(BadInputError, match="one of"):
        BatchKeeper.open(Settings(), "x", from_folder=True, mapping=None)


def test_a_read_only_disk(
    doc: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing is one line and exit 2; reading still works; nothing is lost."""
    import subprocess

    disk = tmp_path / "ro"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
                      capture_output=True, check=False).returncode != 0:  # fmt: skip
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
    try:
        monkeypatch.setenv("STANCE_HOME", str(disk))
        with HistoryStore() as store:
            store.add(
                record_from_doc(
                    doc, person="ro", recording=Recording("h", _when(1), DateSource.FILE)
                )
            )
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        res = stance("analyze", SAMPLE, "--person", "ro", "-q")
        _assert_clean_failure(res, 2, "read-only")
        res = stance("history", "--person", "ro")
        assert res.returncode == 0 and "ro: 1 test(s)" in res.stdout, res.stderr
    finally:
        subprocess.run(["umount", str(disk)], check=False)
