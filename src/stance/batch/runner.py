"""The main loop, `run_batch`: many clips, in parallel, resumable, one summary.

The inputs (`stance.batch.discover`) become jobs, one per distinct clip content, each with
its result files named by `stance.batch.keys`; with ``resume`` a job whose result (or
failure record) has the same key is not run again. The others go to a back-end
(`stance.batch.backends`), whose workers run `stance.batch.worker.analyze_clip`. The summary
(``summary.csv``, ``summary.json``: `stance.batch.rows`) has one row per input and is
rebuilt from the result files on every run, resumed or not; with ``html`` (or when an index
page is there from an earlier run) the run ends with ``index.html`` (`stance.batch.index`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.batch.backends import default_workers, in_processes, on_cluster
from stance.batch.discover import Input, discover
from stance.batch.index import INDEX_NAME, report_path, write_index
from stance.batch.keys import batch_key, result_stem
from stance.batch.rows import RowStatus, SummaryRow, counts, write_summary
from stance.batch.worker import Job
from stance.core.atomic import name_max, unwritable
from stance.core.errors import BadInputError
from stance.core.lock import folder_lock
from stance.io.recording import file_sha256
from stance.pipeline import Settings
from stance.report.document import settings_dict

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """What a batch did: the summary rows, in input order."""

    rows: list[SummaryRow]
    interrupted: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    unreadable: list[Path] = field(default_factory=list)  # folders skipped: not readable

    @property
    def exit_code(self) -> int:
        """0 all ok or cannot tell, 2 any clip failed, 130 interrupted."""
        if self.interrupted:
            return 130
        return 2 if any(r.status is RowStatus.ERROR for r in self.rows) else 0


@dataclass(frozen=True)
class ClipResult:
    """One clip's outcome, handed to ``run_batch``'s ``on_result`` as it arrives (resumed
    clips too), e.g. to keep it in a person's history.

    Attributes:
        clip: the video file.
        sha256: its content hash.
        doc: the analysis document (`stance.report.document.to_dict`), or the failure record
            (``{"error": {"type", "message"}}``).
        result: the result JSON file (None for a failure).
        report: the HTML report (with ``html``; None otherwise).
    """

    clip: Path
    sha256: str
    doc: dict[str, Any]
    result: Path | None
    report: Path | None


ProgressFn = Callable[[int, int, int], None]
"""Called with (clips done, clips in all, failures so far)."""


def check_out(out: Path) -> None:
    """Refuse an output directory that cannot take the results, before any work.

    Raises:
        BadInputError: one line saying why: ``out`` (or its ``clips``/``failed`` folder) is
            a file, a folder above it is a file, or it (the folder it would be made in, when
            it is missing) cannot be written: checked by creating and removing a temporary
            file there, so a read-only mount is caught even for root.
    """
    shown = f"--out {out}"
    try:
        if out.exists() and not out.is_dir():
            raise BadInputError(f"{shown} is a file: give a directory.")
        base = Path(os.path.abspath(out))
        while not base.exists() and base.parent != base:
            base = base.parent
        if not base.is_dir():
            raise BadInputError(f"{shown}: {base} is a file, not a directory: give a directory.")
        folders = [base]
        for sub in ("clips", "failed"):
            d = out / sub
            if d.exists() and not d.is_dir():
                raise BadInputError(f"{shown}: {d} is a file: remove it or give another --out.")
            if d.is_dir():
                folders.append(d)
    except OSError as err:
        raise BadInputError(f"{shown} cannot be used: {err.strerror or err}.") from None
    for d in folders:
        problem = unwritable(d)
        if problem is not None:
            raise BadInputError(f"{shown}: {d} is {problem}: give a writable directory.")


def _clean_stale(out: Path) -> None:
    """Remove temporary files that a killed batch may have left."""
    for d in (out, out / "clips", out / "failed"):
        if d.is_dir():
            for tmp in d.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the job list


def _jobs(
    inputs: list[Input],
    out: Path,
    settings: Settings,
    html: bool,
    rows: list[SummaryRow | None],
) -> list[Job]:
    """One job per distinct clip content, in input order; an input that cannot be read
    gets its error row in ``rows`` (by index) instead."""
    limit = name_max(out / "clips")
    jobs: dict[Path, Job] = {}
    for i, inp in enumerate(inputs):
        name = inp.name
        if not inp.path.is_file():
            what = "is not a file" if inp.path.exists() else "does not exist (no such file)"
            rows[i] = SummaryRow.failure(name, f"{name} {what}.")
            continue
        try:
            content = file_sha256(inp.path)
        except OSError as err:
            rows[i] = SummaryRow.failure(name, f"{name} cannot be read: {err.strerror or err}.")
            continue
        fname = result_stem(inp.path.stem, content, limit) + ".json"
        result = out / "clips" / fname
        if result not in jobs:
            key = batch_key(content, settings)
            report = report_path(result) if html else None
            failed = out / "failed" / fname
            jobs[result] = Job(inp.path, key, result, failed, [], report, content, name)
        jobs[result].rows.append(i)
    return list(jobs.values())


# --------------------------------------------------------------------------- resume


def _load(path: Path, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("batch_key") == key else None


def _earlier(job: Job) -> dict[str, Any] | None:
    """The job's result or failure record from an earlier run with the same key."""
    return _load(job.result, job.key) or _load(job.failed, job.key)


# --------------------------------------------------------------------------- the loop


def run_batch(
    specs: Sequence[str | Path],
    out: Path,
    *,
    settings: Settings,
    workers: int | None = None,
    threads: int | None = None,
    resume: bool = False,
    cluster: str | None = None,
    progress: ProgressFn | None = None,
    html: bool = False,
    on_result: Callable[[ClipResult], None] | None = None,
) -> BatchResult:
    """Analyse every clip in ``specs`` into ``out``; see the module docstring.

    ``workers`` local processes (default `default_workers`), or the Dask scheduler at
    ``cluster``; ``threads`` caps OpenCV's threads per local worker. ``html``: also an HTML
    report per clip and ``out/index.html``; on ``resume`` a clip whose report is missing is
    analysed again (the report needs the frames). An ``index.html`` from an earlier run is
    rebuilt even without ``html``, so it never disagrees with the summary.

    Only one batch at a time writes to ``out``: it is locked (`stance.core.lock`) once made.
    The outputs name each clip by `Input.name`, relative to the folder given (no absolute
    local path). Folders that could not be read are skipped and listed in
    `BatchResult.unreadable`.

    Raises:
        BadInputError: ``out`` cannot take the results (`check_out`, before any work), no
            input was found (the message says which folders could not be read), or the
            cluster cannot be used.
        FolderBusyError: another batch is writing to ``out``.
    """
    out = Path(out)
    check_out(out)
    found = discover(specs)
    if not found.inputs:
        unread = unreadable_words(found.unreadable)
        raise BadInputError(
            f"No video files found in {', '.join(map(str, specs))}"
            + (f"; {unread} (make them readable, or name the clips)." if unread else ".")
        )
    try:
        (out / "clips").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadInputError(f"--out {out}: cannot create it ({err.strerror or err}).") from None
    with folder_lock(out, what=f"--out {out}"):
        _clean_stale(out)
        result = _run(
            found.inputs,
            out,
            settings,
            workers=workers,
            threads=threads,
            resume=resume,
            cluster=cluster,
            progress=progress,
            html=html,
            on_result=on_result,
        )
    result.unreadable = found.unreadable
    return result


def unreadable_words(folders: Sequence[Path]) -> str:
    """The words 'N folder(s) could not be read: a, b' ("" when there are none)."""
    if not folders:
        return ""
    shown = ", ".join(map(str, folders[:5])) + (", ..." if len(folders) > 5 else "")
    return f"{len(folders)} folder(s) could not be read: {shown}"


def _run(
    inputs: list[Input],
    out: Path,
    settings: Settings,
    *,
    workers: int | None,
    threads: int | None,
    resume: bool,
    cluster: str | None,
    progress: ProgressFn | None,
    html: bool,
    on_result: Callable[[ClipResult], None] | None,
) -> BatchResult:
    """`run_batch` once ``out`` is checked, made and locked."""
    rows: list[SummaryRow | None] = [None] * len(inputs)
    jobs = _jobs(inputs, out, settings, html, rows)

    def fill(job: Job, doc: dict[str, Any], resumed: bool) -> SummaryRow:
        """Fill the rows of the job's inputs from ``doc``; returns one of them (they differ
        only in the file name)."""
        shown = "" if "error" in doc else job.result.relative_to(out).as_posix()
        for i in job.rows:
            row = SummaryRow.from_doc(inputs[i].name, doc, result=shown, resumed=resumed)
            rows[i] = row
        if on_result is not None:
            on_result(
                ClipResult(
                    job.path, job.content, doc, None if "error" in doc else job.result, job.report
                )
            )
        return row

    todo: list[Job] = []
    for job in jobs:
        old = _earlier(job) if resume else None
        if old is not None and "error" not in old and job.report and not job.report.is_file():
            old = None  # --html now, and no report yet: analyse it again
        if old is not None:
            fill(job, old, True)
        else:
            todo.append(job)
    todo.sort(key=lambda j: -j.path.stat().st_size)  # biggest first: shortest makespan
    total = len(jobs)
    done = total - len(todo)
    failures = 0
    if progress is not None:
        progress(done, total, failures)
    interrupted = False
    t0 = time.perf_counter()
    if todo:
        if cluster is not None:
            log.info("batch: %d clips to analyse (%d resumed) on %s", len(todo), done, cluster)
            outcomes = on_cluster(todo, settings, cluster)
        else:
            n = max(1, min(workers or default_workers(), len(todo)))
            log.info("batch: %d clips to analyse (%d resumed), %d workers", len(todo), done, n)
            outcomes = in_processes(todo, settings, n, threads)
        try:
            for job, doc in outcomes:
                row = fill(job, doc, False)
                done += 1
                failures += row.status is RowStatus.ERROR
                if progress is not None:
                    progress(done, total, failures)
        except KeyboardInterrupt:
            interrupted = True
            outcomes.close()  # stops the workers if the generator was not running
            log.warning("batch interrupted: workers stopped")
            for job in todo:  # results a worker finished writing but did not hand back yet
                found = _earlier(job)
                if found is not None and rows[job.rows[0]] is None:
                    fill(job, found, False)
    log.info("batch: %d clips in %.1f s", len(todo), time.perf_counter() - t0)
    final = [r for r in rows if r is not None]
    write_summary(final, out, settings=settings, complete=not interrupted)
    if html or (out / INDEX_NAME).exists():
        write_index(final, out, settings=settings_dict(settings), complete=not interrupted)
    return BatchResult(final, interrupted, counts(final))
