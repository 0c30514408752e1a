"""The test history on disk: one SQLite database per user, through the standard library.

Where: ``$STANCE_HOME/history.sqlite``, else the platform's user data folder
(``~/.local/share/stance`` on Linux, ``~/Library/Application Support/stance`` on macOS,
``%LOCALAPPDATA%\\stance`` on Windows). No video is kept: only the numbers, the verdict and
the paths of the reports.

Safety: write-ahead logging (readers never block the writer), a 30-second busy timeout so
parallel batch workers and concurrent runs take turns, and one ``BEGIN IMMEDIATE``
transaction per test, so a killed run leaves the test either stored whole or not at all.
The schema is versioned with ``PRAGMA user_version`` and migrated forward on open; an
existing database is never re-created, so a problem (corrupt, read-only, locked, full)
is reported as one `HistoryError` and the tests stored before stay as they were.

A test is identified by (person, clip content, date, estimator, thresholds): recording the
same test again (a resumed batch, an import run twice) replaces it rather than doubling it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stance.analysis.judge import Outcome
from stance.core.atomic import unwritable
from stance.core.errors import StanceError
from stance.history.record import SideResult, TestRecord
from stance.io.recording import DateSource

DB_NAME = "history.sqlite"
BUSY_TIMEOUT_S = 30.0
ID_MAX = 2**63 - 1
"""The largest test id (SQLite's largest integer)."""

_MIGRATIONS: tuple[str, ...] = (
    # 1: tests and their standing legs
    """
    CREATE TABLE tests (
        id INTEGER PRIMARY KEY,
        person TEXT NOT NULL,
        tested_at TEXT NOT NULL,
        tested_at_utc TEXT NOT NULL,
        date_source TEXT NOT NULL,
        input_name TEXT NOT NULL,
        content_sha256 TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL,
        estimator TEXT NOT NULL,
        thresholds TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        summary TEXT NOT NULL,
        json_report TEXT,
        html_report TEXT,
        tool_version TEXT NOT NULL,
        age INTEGER,
        stored_at TEXT NOT NULL,
        UNIQUE (person, content_sha256, tested_at_utc, estimator, thresholds)
    );
    CREATE INDEX tests_by_person ON tests (person, tested_at_utc);
    CREATE TABLE sides (
        test_id INTEGER NOT NULL REFERENCES tests (id) ON DELETE CASCADE,
        stance TEXT NOT NULL CHECK (stance IN ('left', 'right')),
        status TEXT NOT NULL,
        drop_deg REAL,
        drop_uncertainty_deg REAL,
        drop_low_deg REAL,
        drop_high_deg REAL,
        lean_deg REAL,
        shift_frac REAL,
        hold_s REAL,
        meets_30s INTEGER,
        age_norm_s REAL,
        PRIMARY KEY (test_id, stance)
    );
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)

_SIDE_FIELDS = tuple(f for f in SideResult.__dataclass_fields__ if f != "stance")


class HistoryError(StanceError):
    """The history database cannot be used (corrupt, read-only, locked, full...)."""

    exit_code = 2


def history_dir() -> Path:
    """``$STANCE_HOME`` or the platform's user data folder for stance."""
    env = os.environ.get("STANCE_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("stance", appauthor=False)


def _problem(path: Path, err: sqlite3.Error) -> HistoryError:
    """One line for a database error: what happened and what to do."""
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        why = "is busy (another stance run is writing to it for too long); try again"
    elif "readonly" in text or "read-only" in text:
        why = "is read-only; make it (and its folder) writable, or set STANCE_HOME elsewhere"
    elif "full" in text:
        why = "cannot grow: the disk is full; free some space"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        why = (
            "is damaged or not a stance history; move it aside (stance history --export "
            "can save what is still readable) or set STANCE_HOME elsewhere"
        )
    elif "unable to open" in text:
        folder = unwritable(path.parent) if path.parent.is_dir() else "missing"
        why = (
            f"cannot be opened (its folder is {folder or 'not usable'}); make it writable or "
            "set STANCE_HOME elsewhere"
        )
    else:
        why = f"cannot be used ({err})"
    return HistoryError(f"The test history {path} {why}. Nothing was changed in it.")


class HistoryStore:
    """The history database. Use as a context manager; every method may raise HistoryError."""

    def __init__(self, path: Path | None = None, *, write: bool = True) -> None:
        """Open (and, to write, create or migrate) the history at ``path`` (default: in
        `history_dir`). With ``write=False`` an existing history is only read, which also
        works on a read-only disk; a missing one reads as empty."""
        self.path = path or history_dir() / DB_NAME
        if self.path.exists() and not self.path.is_file():
            raise HistoryError(f"The test history {self.path} is not a file; set STANCE_HOME.")
        if not write and not self.path.exists():
            self._db = sqlite3.connect(":memory:", isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._migrate()
            return
        if write:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise HistoryError(
                    f"The test history folder {self.path.parent} cannot be created "
                    f"({err.strerror}); set STANCE_HOME to a writable folder."
                ) from None
        try:
            self._db = self._connect(write)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            if write:
                self._migrate()
                self._db.execute("PRAGMA journal_mode = WAL")
            else:
                self._check_version()
        except sqlite3.Error as err:
            raise _problem(self.path, err) from None

    def _connect(self, write: bool) -> sqlite3.Connection:
        if write:
            return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        uri = self.path.resolve().as_uri()
        try:  # read-only; on a read-only disk a WAL database needs immutable=1 to be read
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once (waiting up to the timeout)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as err:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise _problem(self.path, err) from None

    def _check_version(self) -> int:
        """The schema version; refuses one newer than this stance knows."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"The test history {self.path} was written by a newer stance (schema "
                f"{version}, this one knows {SCHEMA_VERSION}); upgrade stance."
            )
        if version == SCHEMA_VERSION:
            self._db.execute("SELECT count(*) FROM tests").fetchone()  # readable at all?
        elif version > 0:
            raise HistoryError(
                f"The test history {self.path} has an older schema ({version}): run any "
                "stance command with --person once to upgrade it."
            )
        return version

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version >= SCHEMA_VERSION:
            self._check_version()
            return
        with self._write() as db:
            # read again under the write lock: a parallel writer may have migrated meanwhile
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------------ writing

    def add(self, test: TestRecord) -> int:
        """Store one test (replacing the same test stored before); its id."""
        return self.add_all([test])[0]

    def add_all(self, tests: Sequence[TestRecord]) -> list[int]:
        """Store tests in one transaction, all or none (each replacing the same test stored
        before); their ids."""
        with self._write() as db:
            return [_insert(db, test) for test in tests]

    def delete(self, test_id: int) -> bool:
        """Remove one test; False when there is no such test (also for an id no SQLite
        row can have: 0, negative or over `ID_MAX`)."""
        if not 0 < test_id <= ID_MAX:
            return False
        with self._write() as db:
            cur = db.execute("DELETE FROM tests WHERE id = ?", (test_id,))
        return cur.rowcount > 0

    # ------------------------------------------------------------------ reading

    def tests(self, person: str | None = None) -> list[TestRecord]:
        """The stored tests (of ``person``, or everyone), in date order."""
        try:
            where, args = ("WHERE person = ?", [person]) if person is not None else ("", [])
            rows = self._db.execute(
                f"SELECT * FROM tests {where} ORDER BY person, tested_at_utc, id", args
            ).fetchall()
            sides: dict[int, list[SideResult]] = {}
            for s in self._db.execute("SELECT * FROM sides ORDER BY test_id, stance"):
                values = {f: s[f] for f in _SIDE_FIELDS}
                if values["meets_30s"] is not None:
                    values["meets_30s"] = bool(values["meets_30s"])
                sides.setdefault(s["test_id"], []).append(SideResult(s["stance"], **values))
        except sqlite3.Error as err:
            raise _problem(self.path, err) from None
        return [_record(r, tuple(sides.get(r["id"], ()))) for r in rows]

    def people(self) -> list[tuple[str, int, str, str]]:
        """(person, number of tests, first date, last date) for everyone in the history."""
        try:
            rows = self._db.execute(
                "SELECT person, count(*) AS n, min(tested_at_utc) AS first, "
                "max(tested_at_utc) AS last FROM tests GROUP BY person ORDER BY person"
            ).fetchall()
        except sqlite3.Error as err:
            raise _problem(self.path, err) from None
        return [(r["person"], r["n"], r["first"], r["last"]) for r in rows]


def _insert(db: sqlite3.Connection, test: TestRecord) -> int:
    """Insert one test in the open transaction, replacing the same test; its id."""
    row = _test_row(test)
    key = ("person", "content_sha256", "tested_at_utc", "estimator", "thresholds")
    old = db.execute(
        "SELECT id FROM tests WHERE " + " AND ".join(f"{k} = ?" for k in key),
        [row[k] for k in key],
    ).fetchone()
    if old is not None:
        db.execute("DELETE FROM tests WHERE id = ?", (old["id"],))
        row["id"] = old["id"]
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cur = db.execute(f"INSERT INTO tests ({cols}) VALUES ({marks})", list(row.values()))
    test_id = int(cur.lastrowid or 0)
    for side in test.sides:
        values = [getattr(side, f) for f in _SIDE_FIELDS]
        db.execute(
            f"INSERT INTO sides (test_id, stance, {', '.join(_SIDE_FIELDS)}) "
            f"VALUES (?, ?, {', '.join('?' for _ in _SIDE_FIELDS)})",
            [test_id, side.stance, *values],
        )
    return test_id


def _utc(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def _test_row(test: TestRecord) -> dict[str, Any]:
    return {
        "person": test.person,
        "tested_at": test.tested_at.isoformat(timespec="seconds"),
        "tested_at_utc": _utc(test.tested_at),
        "date_source": test.date_source.value,
        "input_name": test.input_name,
        "content_sha256": test.content_sha256 or "",
        "model": test.model,
        "estimator": test.estimator,
        "thresholds": json.dumps(test.thresholds, sort_keys=True),
        "outcome": test.outcome.value,
        "reason": test.reason,
        "summary": test.summary,
        "json_report": test.json_report,
        "html_report": test.html_report,
        "tool_version": test.tool_version,
        "age": test.age,
        "stored_at": _utc(datetime.now(timezone.utc)),
    }


def _tested_at(r: sqlite3.Row) -> datetime:
    """The row's date; one stored without an offset (an import of an older stance let it
    in) is read as its UTC time shown in local time, so dates always compare."""
    when = datetime.fromisoformat(r["tested_at"])
    if when.tzinfo is None:
        return datetime.fromisoformat(r["tested_at_utc"]).astimezone()
    return when


def _record(r: sqlite3.Row, sides: tuple[SideResult, ...]) -> TestRecord:
    return TestRecord(
        person=r["person"],
        tested_at=_tested_at(r),
        date_source=DateSource(r["date_source"]),
        input_name=r["input_name"],
        content_sha256=r["content_sha256"] or None,
        model=r["model"],
        estimator=r["estimator"],
        thresholds=json.loads(r["thresholds"]),
        outcome=Outcome(r["outcome"]),
        reason=r["reason"],
        summary=r["summary"],
        sides=sides,
        json_report=r["json_report"],
        html_report=r["html_report"],
        tool_version=r["tool_version"],
        age=r["age"],
        id=r["id"],
    )


def record_to_dict(test: TestRecord) -> dict[str, Any]:
    """A test as a JSON-ready dict (the export format, read back by
    `stance.history.transfer.record_from_dict`)."""
    doc = asdict(test)
    doc["tested_at"] = test.tested_at.isoformat(timespec="seconds")
    doc["date_source"] = test.date_source.value
    doc["outcome"] = test.outcome.value
    return doc
