"""`stance history` and the ``--person`` / ``--date`` options that feed it.

A test is recorded only when ``--person`` is given; the store is opened (and checked) before
the analysis starts, so a database problem never costs an analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stance.cli.common import ReportPaths, check_targets, fail, stderr_console
from stance.core.errors import BadInputError, StanceError
from stance.io.recording import DateSource

if TYPE_CHECKING:
    from stance.batch.runner import ClipResult
    from stance.history.record import TestRecord
    from stance.history.store import HistoryStore
    from stance.io.recording import Recording
    from stance.pipeline import Analysis, Settings

PersonOption = Annotated[
    str | None,
    typer.Option(
        "--person",
        help="Keep this test in the named person's history (stance history). Without it "
        "nothing is stored.",
    ),
]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Date of the test for the history (YYYY-MM-DD[THH:MM]); default: the "
        "recording's creation time, else the file's modification time.",
    ),
]


def check_person(person: str | None) -> str | None:
    """The person's name, trimmed (`stance.history.record.check_name`); None stays None.

    Raises:
        BadInputError: an empty, over-long or multi-line name.
    """
    from stance.history.record import check_name

    return None if person is None else check_name(person)


def failure_doc(path: Path | None, settings: Settings, message: str) -> dict[str, Any]:
    """The analysis document of a test that found nobody to judge ("cannot tell")."""
    from stance import __version__
    from stance.analysis.judge import Outcome
    from stance.report.document import settings_dict
    from stance.report.wording import cannot_tell_line

    return {
        "tool": {"version": __version__},
        "input": {"path": str(path) if path else "camera"},
        "settings": settings_dict(settings),  # as every analysis document records them
        "verdict": {
            "outcome": Outcome.CANNOT_TELL.value,
            "reason": message,
            "summary": cannot_tell_line(message),
        },
    }


def record_test(
    store: HistoryStore,
    doc: dict[str, Any],
    *,
    person: str,
    recording: Recording,
    reports: ReportPaths | None = None,
) -> TestRecord:
    """Store one test from its analysis document; the stored record."""
    from dataclasses import replace

    from stance.history.record import record_from_doc

    test = record_from_doc(
        doc,
        person=person,
        recording=recording,
        json_report=_abs(reports.json if reports else None),
        html_report=_abs(reports.html if reports else None),
    )
    return replace(test, id=store.add(test))


@dataclass
class Keeper:
    """Records the tests of one run in the history when ``--person`` was given (else does
    nothing). Opened before the analysis, so a database problem costs no work."""

    store: HistoryStore | None
    person: str | None
    date: datetime | None
    clip: Path | None

    @classmethod
    def open(cls, person: str | None, date: str | None, *, clip: Path | None) -> Keeper:
        """Check the options and open the history store.

        Raises:
            BadInputError: a bad name or date, or ``--date`` without ``--person``.
            HistoryError: the database cannot be used.
        """
        from stance.io.recording import parse_date

        name = check_person(person)
        when = parse_date(date) if date is not None else None
        if when is not None and name is None:
            raise BadInputError("--date dates a test in a history: add --person NAME.")
        store = None
        if name is not None:
            from stance.history.store import HistoryStore

            store = HistoryStore()
        return cls(store, name, when, clip)

    def _keep(self, doc: dict[str, Any], reports: ReportPaths | None) -> None:
        if self.store is None or self.person is None:
            return
        from stance.io.recording import recording_of

        clip = self.clip if self.clip is not None and self.clip.is_file() else None
        recording = recording_of(clip, date=self.date)
        test = record_test(
            self.store, doc, person=self.person, recording=recording, reports=reports
        )
        note_recorded(test)

    def analysis(self, analysis: Analysis, reports: ReportPaths) -> None:
        """Keep a judged (or "cannot tell") analysis."""
        from stance.report.document import to_dict

        self._keep(to_dict(analysis), reports)

    def failure(self, settings: Settings, message: str) -> None:
        """Keep a test that found nobody to judge, with its reason."""
        self._keep(failure_doc(self.clip, settings, message), None)


@dataclass
class BatchKeeper:
    """Keeps each clip of a batch in a person's history as its result arrives (in the batch
    process, so parallel workers never race; recording a resumed clip again replaces it).

    The person of a clip is ``person``, else its folder's name (``from_folder``), else its
    row in the ``mapping`` (file name or path -> person); a clip with no person is not kept.
    """

    store: HistoryStore | None
    settings: Settings
    person: str | None = None
    from_folder: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    kept: int = 0

    @classmethod
    def open(
        cls, settings: Settings, person: str | None, *, from_folder: bool, mapping: Path | None
    ) -> BatchKeeper:
        """Check the options (one way to name people at most) and open the history store.

        Raises:
            BadInputError: a bad name, more than one way to name people, a bad mapping file.
            HistoryError: the database cannot be used.
        """
        ways = [person is not None, from_folder, mapping is not None]
        if sum(ways) > 1:
            raise BadInputError("Give one of --person, --person-from-folder and --person-map.")
        names = read_person_map(mapping) if mapping is not None else {}
        keeper = cls(None, settings, check_person(person), from_folder, names)
        if any(ways):
            from stance.history.store import HistoryStore

            keeper.store = HistoryStore()
        return keeper

    def person_for(self, clip: Path) -> str | None:
        if self.person is not None:
            return self.person
        if self.from_folder:
            return check_person(clip.resolve().parent.name)
        return self.mapping.get(str(clip.resolve())) or self.mapping.get(clip.name)

    def __call__(self, clip: ClipResult) -> None:
        person = self.person_for(clip.clip)
        if self.store is None or person is None:
            return
        doc = clip.doc
        if "error" in doc:
            from stance.batch.rows import is_no_test

            if not is_no_test(doc):
                return  # not a test: the clip could not be read
            doc = failure_doc(clip.clip, self.settings, str(doc["error"].get("message", "")))
        from stance.io.recording import DateSource, Recording, mp4_creation_time

        created = mp4_creation_time(clip.clip)
        if created is not None:
            recording = Recording(clip.sha256, created, DateSource.CONTAINER)
        else:
            mtime = datetime.fromtimestamp(clip.clip.stat().st_mtime).astimezone()
            recording = Recording(clip.sha256, mtime, DateSource.FILE)
        reports = ReportPaths(json=clip.result, html=clip.report)
        record_test(self.store, doc, person=person, recording=recording, reports=reports)
        self.kept += 1


def read_person_map(path: Path) -> dict[str, str]:
    """A ``--person-map`` CSV: a header with ``file`` and ``person`` columns, one row per clip;
    ``file`` is a name or a path relative to the CSV's folder. Keys: the name as given and
    the resolved path.

    Raises:
        BadInputError: the file cannot be read or lacks the columns.
    """
    import csv

    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise BadInputError(f"--person-map {path} cannot be read ({err}).") from None
    if not rows or not {"file", "person"} <= set(rows[0]):
        raise BadInputError(
            f"--person-map {path} needs a header line with the columns file and person."
        )
    names: dict[str, str] = {}
    for row in rows:
        file, person = (row.get("file") or "").strip(), check_person(row.get("person") or "")
        if file and person:
            names[file] = person
            names[str((path.parent / file).resolve())] = person
    return names


def _abs(p: Path | None) -> str | None:
    return str(p.resolve()) if p is not None else None


def history(
    person: PersonOption = None,
    people: Annotated[bool, typer.Option("--people", help="List the people and stop.")] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the history as JSON to this file.")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per test and leg to this CSV.")
    ] = None,
    html_path: Annotated[
        Path | None,
        typer.Option("--html", help="Write a self-contained page with trend plots here."),
    ] = None,
    delete: Annotated[
        int | None, typer.Option("--delete", help="Delete the test with this id.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Write every stored test (of --person) to this JSON file."),
    ] = None,
    import_path: Annotated[
        Path | None,
        typer.Option(
            "--import",
            help="Add tests from a --export file, or (with --person) from a folder of "
            "analysis JSON files such as a stance batch --out folder.",
        ),
    ] = None,
) -> None:
    """Show the tests kept with --person: per standing leg the drop, lean, shift and hold,
    and whether each test improved, got worse or did not really change.

    Exit codes: 0 done, 2 bad option, no such test, an import refused (nothing of it is
    stored) or an unusable history database.
    """
    from rich.console import Console

    from stance.history.record import timeline
    from stance.history.report import render_history, write_history_files
    from stance.history.store import HistoryStore

    console = Console()
    try:
        name = check_person(person)
        check_targets(
            [
                ("--json", json_path),
                ("--csv", csv_path),
                ("--html", html_path),
                ("--export", export),
            ]
        )
        with HistoryStore(write=delete is not None or import_path is not None) as store:
            if delete is not None:
                if not store.delete(delete):
                    raise BadInputError(f"--delete {delete}: there is no test with that id.")
                console.print(f"Deleted test {delete}.")
                return
            if import_path is not None:
                from stance.history.transfer import import_tests

                done = import_tests(store, import_path, person=name)
                skipped = f" ({done.skipped} other JSON file(s) skipped)" if done.skipped else ""
                console.print(
                    f"Imported {done.tests} test(s) from {import_path} into {store.path}{skipped}."
                )
                return
            if people:
                _print_people(store, console)
                return
            tests = store.tests(name)
            if export is not None:
                from stance.core.atomic import strict_json, write_atomic
                from stance.history.report import HISTORY_SCHEMA
                from stance.history.store import record_to_dict

                doc = {"schema": HISTORY_SCHEMA, "tests": [record_to_dict(t) for t in tests]}
                write_atomic(strict_json(doc), export)
                console.print(f"Exported {len(tests)} test(s) to {export}.")
                return
        by_person: dict[str, list[TestRecord]] = {}
        for t in tests:
            by_person.setdefault(t.person, []).append(t)
        rows = {p: timeline(ts) for p, ts in by_person.items()}
        if name is not None and not rows:
            raise BadInputError(
                f"No tests are recorded for {name!r} (see stance history --people)."
            )
        render_history(rows, console)
        write_history_files(rows, json_path=json_path, csv_path=csv_path, html_path=html_path)
        for flag, out in (("JSON", json_path), ("CSV", csv_path), ("HTML", html_path)):
            if out is not None:
                console.print(f"[dim]{flag} written to {out}[/]")
    except StanceError as err:
        raise fail(err) from None


def _print_people(store: HistoryStore, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"People in {store.path}", title_justify="left")
    for col in ("person", "tests", "first", "last"):
        table.add_column(col)
    for person, n, first, last in store.people():
        table.add_row(person, str(n), first[:10], last[:10])
    console.print(table)


def note_recorded(test: TestRecord) -> None:
    """One line saying the test was kept, with its id."""
    stderr_console().print(
        f"[dim]Test {test.id} kept in {test.person}'s history, dated "
        f"{test.tested_at:%Y-%m-%d %H:%M} ({_DATE_WORDS[test.date_source]}).[/]",
        highlight=False,
    )


_DATE_WORDS = {
    DateSource.OPTION: "from --date",
    DateSource.CONTAINER: "when the video was recorded, from its metadata",
    DateSource.FILE: "the file's modification time",
    DateSource.NOW: "now",
}
