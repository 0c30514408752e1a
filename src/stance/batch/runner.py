"""Batch analysis: many clips, parallel worker processes, resumable, one summary.

Every clip goes through the same `stance.pipeline.analyze` as `stance analyze`, in a
worker process of a spawn-context `ProcessPoolExecutor` (workers end with the batch
process, even after ``kill -9``: `die_with_parent`); each worker writes its clip's
JSON (`stance.report.document.to_dict` plus a ``batch_key``) atomically, so a killed batch never
leaves half a result. The summary (``summary.csv``, ``summary.json``) has one row per input
and is rebuilt from the result files on every run, resumed or not. With ``html`` each worker
also writes the clip's HTML report beside its JSON (before it, so a result JSON implies its
report) and the run ends with ``index.html`` (`stance.batch.index`).
"""

from __future__ import annotations

import csv
import ctypes
import dataclasses
import glob
import hashlib
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from enum import Enum
from multiprocessing import active_children, get_context
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from stance import __version__
from stance.analysis.judge import Outcome
from stance.batch.index import INDEX_NAME, report_path, shown_text, write_index
from stance.core.atomic import NAME_MAX_FALLBACK, name_max, strict_json, unwritable, write_atomic
from stance.core.errors import BadInputError, NoValidTestError, StanceError
from stance.io.file_kind import looks_like_video
from stance.io.recording import file_sha256
from stance.pipeline import Settings
from stance.report.series_csv import csv_cell

log = logging.getLogger(__name__)

SUMMARY_SCHEMA = "stance.batch/1.0"
FAILED_SCHEMA = "stance.batch_failure/1.0"

VIDEO_EXTENSIONS = frozenset(
    [
        ".mp4",
        ".m4v",
        ".mov",
        ".qt",
        ".3gp",
        ".3g2",
        ".mkv",
        ".webm",
        ".avi",
        ".ts",
        ".mts",
        ".m2ts",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".ogv",
    ]
)
"""Files with these extensions are analysed (and get a row) even when they hold no video."""


def default_workers() -> int:
    """One worker per CPU core.

    Measured with benchmarks/bench_batch.py on a 2-core machine at the default analysis
    rate (10 fps): 2 workers gave 1.55x the clips/minute of 1 (19.3 vs 12.5), about 380 MiB
    peak RSS per worker. (At every frame, where one analysis already keeps both cores
    busy, 2 workers gave 0.84-1.21x: the default rate leaves cores idle while frames are
    skipped, which a second worker fills.)
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


COLUMNS = (
    "file",
    "status",
    "weak_side",
    "left_stance_drop_deg",
    "right_stance_drop_deg",
    "left_stance_shift_pct_hip",
    "right_stance_shift_pct_hip",
    "left_stance_lean_deg",
    "right_stance_lean_deg",
    "left_stance_hold_s",
    "right_stance_hold_s",
    "quality_flags",
    "reason",
    "error",
    "result",
    "resumed",
)
"""The summary columns; ``*_stance_*`` are the findings for standing on that leg."""


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Input:
    """One input found from the command line; ``explicit`` when named, not found in a dir."""

    path: Path
    explicit: bool


def discover(specs: Sequence[str | Path]) -> list[Input]:
    """Expand files, directories (recursively) and globs into inputs, in a stable order.

    Named files are always inputs (a missing one gets an error row); inside directories
    only files with a video extension or a video container signature are.
    """
    found: dict[Path, Input] = {}

    def add(path: Path, explicit: bool) -> None:
        key = path.resolve() if path.exists() else path.absolute()
        if key not in found or explicit:
            found[key] = Input(path, explicit or found.get(key, Input(path, False)).explicit)

    def walk(root: Path) -> None:
        for p in sorted(root.rglob("*")):
            if p.is_file() and (p.suffix.lower() in VIDEO_EXTENSIONS or looks_like_video(p)):
                add(p, False)

    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            walk(path)
        elif path.exists() or not glob.has_magic(str(spec)):
            add(path, True)
        else:
            for hit in sorted(glob.glob(str(spec), recursive=True)):
                p = Path(hit)
                if p.is_dir():
                    walk(p)
                else:
                    add(p, True)
    return list(found.values())


# --------------------------------------------------------------------------- keys


def settings_hash(settings: Settings) -> str:
    """A hash of everything that changes a result: the settings and the tool version."""
    doc = {"version": __version__, "settings": dataclasses.asdict(settings)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def batch_key(content: str, settings: Settings) -> str:
    """The key stored in each result: same input content and same settings."""
    return hashlib.sha256(f"{content}:{settings_hash(settings)}".encode()).hexdigest()[:32]


NAME_RESERVE = 40
"""Bytes of the file-name limit kept free in a result's name: margin for the temporary name
of the atomic writer (`stance.core.atomic`, at most ``TEMP_NAME_MAX`` bytes whatever the name)
and for file systems that count differently."""

NAME_HASH = 12
"""Hex digits of the sha256 of a clip's full name kept in a shortened result name."""


def result_stem(stem: str, content: str, limit: int = NAME_MAX_FALLBACK) -> str:
    """The name, without extension, of a clip's result files (``clips/*.json``, its
    ``.html`` report, ``failed/*.json``): ``<clip name>-<10 hex of its content hash>``.

    When that with the longest extension (``.html``) would not leave `NAME_RESERVE` bytes of
    the file-name ``limit`` (bytes, as the file system counts them), the clip's name is cut
    (between characters) and the sha256 of the full name added,
    ``<start of name>~<12 hex>-<10 hex>``, so two long names that start alike never share a
    result file.
    """
    tag = content[:10]
    room = limit - NAME_RESERVE - len(".html")
    plain = f"{stem}-{tag}"
    if len(os.fsencode(plain)) <= room:
        return plain
    tail = f"~{hashlib.sha256(os.fsencode(stem)).hexdigest()[:NAME_HASH]}-{tag}"
    keep = max(0, room - len(tail))
    cut = stem[:keep]  # a character is at least one byte
    while cut and len(os.fsencode(cut)) > keep:
        cut = cut[:-1]
    return cut + tail


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


# --------------------------------------------------------------------------- worker


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_S = 1.0
"""How often a worker checks that the batch process is still its parent (the fallback)."""


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as ``parent`` is no longer its parent (it died)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Make this (worker) process end when the batch process ``parent`` dies, even by
    ``kill -9``, instead of finishing its clip and then waiting for work forever.

    On Linux the kernel sends SIGKILL when the parent goes (``prctl(PR_SET_PDEATHSIG)``);
    on every system a daemon thread also checks once a second that ``os.getppid()`` is
    still ``parent``, which works wherever an orphan is re-parented (POSIX: Linux, macOS;
    not Windows, where a dead parent's pid stays) and also covers a parent that died
    before the ``prctl``. (The signal follows the thread that started the worker: the pool
    starts them from the batch's main thread, in ``submit``.) With the workers gone the
    multiprocessing resource tracker reads end-of-file and exits on its own (it cleans up
    after every process that held it).
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
                log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        except (OSError, AttributeError):  # no libc symbol: the thread below still works
            log.debug("prctl unavailable", exc_info=True)
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent,), name="stance-parent-watch", daemon=True
    ).start()


def _init_worker(threads: int | None, parent: int) -> None:
    """Worker set-up: Ctrl-C is the parent's business; end with the parent
    (`die_with_parent`); optionally cap OpenCV threads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    if threads is not None:
        import cv2

        cv2.setNumThreads(threads)


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


# --------------------------------------------------------------------------- rows


class RowStatus(str, Enum):
    """A summary row's status."""

    OK = "ok"  # judged (a weak side or none)
    CANNOT_TELL = "cannot_tell"  # analysed, but no judgeable test in it
    ERROR = "error"  # could not be analysed


def is_no_test(doc: dict[str, Any]) -> bool:
    """True for a failure record of a clip that was read but holds no judgeable test."""
    err = doc.get("error")
    return err is not None and err.get("type") == NoValidTestError.__name__


def row_from_doc(
    file: str, doc: dict[str, Any], *, result: str = "", resumed: bool = False
) -> dict[str, Any]:
    """One summary row from an analysis document or a failure record."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS, None)
    row.update(file=file, result=result, resumed=resumed)
    err = doc.get("error")
    if err is not None:
        row["result"] = ""
        if is_no_test(doc):
            row.update(
                status=RowStatus.CANNOT_TELL.value,
                weak_side=Outcome.CANNOT_TELL.value,
                reason=err["message"],
            )
        else:
            row.update(status=RowStatus.ERROR.value, error=err["message"])
        return row
    verdict = doc["verdict"]
    no_test = verdict["outcome"] == Outcome.CANNOT_TELL.value
    row["status"] = (RowStatus.CANNOT_TELL if no_test else RowStatus.OK).value
    row["weak_side"] = verdict["outcome"]
    row["reason"] = verdict.get("reason")
    for side, f in doc["findings"].items():
        row[f"{side}_stance_drop_deg"] = f["drop_deg"]
        row[f"{side}_stance_shift_pct_hip"] = f["shift_pct_hip"]
        row[f"{side}_stance_lean_deg"] = f["lean_deg"]
        row[f"{side}_stance_hold_s"] = f["hold_s"]
    row["quality_flags"] = ";".join(fl["code"] for fl in doc["quality"]["flags"])
    return row


def _error_row(file: str, message: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, None)
    row.update(file=file, status=RowStatus.ERROR.value, error=message, result="", resumed=False)
    return row


def write_summary(
    rows: list[dict[str, Any]], out: Path, *, settings: Settings, complete: bool
) -> None:
    """Write ``summary.csv`` and ``summary.json`` in ``out`` (atomically).

    The CSV (RFC 4180, CRLF line ends) has its text cells made safe for spreadsheets
    (`csv_cell`); the JSON keeps every value as it is."""
    buf = io.StringIO()
    # CRLF line ends (RFC 4180): a cell with a CR or LF in it (a file name can have one) is
    # then always quoted, never split into two rows
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_cell(v) for k, v in r.items()})
    write_atomic(shown_text(buf.getvalue()), out / "summary.csv")  # UTF-8 for every reader
    counts = {s.value: sum(r["status"] == s.value for r in rows) for s in RowStatus}
    counts["resumed"] = sum(bool(r["resumed"]) for r in rows)
    doc = {
        "schema": SUMMARY_SCHEMA,
        "tool": {"name": "stance", "version": __version__},
        "complete": complete,
        "settings": dataclasses.asdict(settings),
        "counts": counts,
        "clips": rows,
    }
    write_atomic(strict_json(doc), out / "summary.json")


# --------------------------------------------------------------------------- runner


@dataclass
class BatchResult:
    """What a batch did: the summary rows, in input order."""

    rows: list[dict[str, Any]]
    interrupted: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all ok or cannot tell, 2 any clip failed, 130 interrupted."""
        if self.interrupted:
            return 130
        return 2 if any(r["status"] == RowStatus.ERROR.value for r in self.rows) else 0


@dataclass
class _Job:
    path: Path
    key: str
    result: Path
    failed: Path
    rows: list[int]  # indexes of the rows this job fills (identical inputs share one job)
    report: Path | None = None  # where its HTML report goes (--html)
    content: str = ""  # sha256 of the clip


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


def _load(path: Path, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("batch_key") == key else None


def _clean_stale(out: Path) -> None:
    """Remove temporary files that a killed batch may have left."""
    for d in (out, out / "clips", out / "failed"):
        if d.is_dir():
            for tmp in d.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


def _terminate(pool: ProcessPoolExecutor, workers: list[BaseProcess]) -> None:
    """Stop the pool now: cancel what has not started and end the ``workers`` (their
    `multiprocessing.Process` objects) that are still analysing."""
    pool.shutdown(wait=False, cancel_futures=True)
    for p in workers:
        p.terminate()
    for p in workers:
        p.join(timeout=5)


def _args(job: _Job, settings: Settings) -> tuple[str, Settings, str, str, str, str]:
    report = "" if job.report is None else str(job.report)
    return str(job.path), settings, str(job.result), str(job.failed), job.key, report


def _outcome(fut: Any) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = fut.result()
    except Exception as err:  # the worker died (e.g. out of memory) or was lost
        return {"error": {"type": type(err).__name__, "message": f"worker failed: {err}"}}
    return doc


def _in_processes(
    todo: list[_Job], settings: Settings, n: int, threads: int | None
) -> Generator[tuple[_Job, dict[str, Any]], None, None]:
    """Run the jobs in ``n`` local spawn-context worker processes; yield as they finish."""
    before = set(active_children())
    pool = ProcessPoolExecutor(
        n,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads, os.getpid()),
    )
    try:
        futures: dict[Future[dict[str, Any]], _Job] = {
            pool.submit(analyze_clip, *_args(j, settings)): j for j in todo
        }
        for fut in as_completed(futures):
            yield futures[fut], _outcome(fut)
        pool.shutdown(wait=True)
    except BaseException:  # Ctrl-C, or the caller stopped early
        # the pool's workers: the children started since (public API, not pool._processes)
        _terminate(pool, [p for p in active_children() if p not in before])
        raise


def _on_cluster(
    todo: list[_Job], settings: Settings, address: str
) -> Generator[tuple[_Job, dict[str, Any]], None, None]:
    """Run the jobs on a Dask distributed cluster; its workers must see the same paths."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise BadInputError(
            "--cluster needs Dask distributed: install stance with the 'cluster' extra "
            "(uv sync --extra cluster)."
        ) from None
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as err:
        raise BadInputError(f"Cannot connect to the Dask scheduler at {address}: {err}") from None
    futures: dict[Any, _Job] = {}
    try:
        for j in todo:
            futures[client.submit(analyze_clip, *_args(j, settings), pure=False)] = j
        for fut in dask_completed(list(futures)):
            yield futures[fut], _outcome(fut)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.close()


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

    Raises:
        BadInputError: ``out`` cannot take the results (`check_out`, before any work), no
            input was found, or the cluster cannot be used.
    """
    out = Path(out)
    check_out(out)
    inputs = discover(specs)
    if not inputs:
        raise BadInputError(f"No video files found in {', '.join(map(str, specs))}.")
    try:
        (out / "clips").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadInputError(f"--out {out}: cannot create it ({err.strerror or err}).") from None
    limit = name_max(out / "clips")
    _clean_stale(out)
    rows: list[dict[str, Any] | None] = [None] * len(inputs)
    jobs: dict[Path, _Job] = {}
    for i, inp in enumerate(inputs):
        name = str(inp.path)
        if not inp.path.is_file():
            what = "is not a file" if inp.path.exists() else "does not exist (no such file)"
            rows[i] = _error_row(name, f"{name} {what}.")
            continue
        try:
            content = file_sha256(inp.path)
        except OSError as err:
            rows[i] = _error_row(name, f"{name} cannot be read: {err.strerror or err}.")
            continue
        fname = result_stem(inp.path.stem, content, limit) + ".json"
        result = out / "clips" / fname
        if result not in jobs:
            key = batch_key(content, settings)
            report = report_path(result) if html else None
            jobs[result] = _Job(inp.path, key, result, out / "failed" / fname, [], report, content)
        jobs[result].rows.append(i)

    def fill(job: _Job, doc: dict[str, Any], resumed: bool) -> None:
        shown = "" if "error" in doc else str(job.result)
        for i in job.rows:
            rows[i] = row_from_doc(str(inputs[i].path), doc, result=shown, resumed=resumed)
        if on_result is not None:
            on_result(
                ClipResult(
                    job.path, job.content, doc, None if "error" in doc else job.result, job.report
                )
            )

    todo: list[_Job] = []
    for job in jobs.values():
        old = (_load(job.result, job.key) or _load(job.failed, job.key)) if resume else None
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
            outcomes = _on_cluster(todo, settings, cluster)
        else:
            n = max(1, min(workers or default_workers(), len(todo)))
            log.info("batch: %d clips to analyse (%d resumed), %d workers", len(todo), done, n)
            outcomes = _in_processes(todo, settings, n, threads)
        try:
            for job, doc in outcomes:
                fill(job, doc, False)
                done += 1
                failures += "error" in doc and not is_no_test(doc)
                if progress is not None:
                    progress(done, total, failures)
        except KeyboardInterrupt:
            interrupted = True
            outcomes.close()  # stops the workers if the generator was not running
            log.warning("batch interrupted: workers stopped")
            for job in todo:  # results a worker finished writing but did not hand back yet
                found = _load(job.result, job.key) or _load(job.failed, job.key)
                if found is not None and rows[job.rows[0]] is None:
                    fill(job, found, False)
    log.info("batch: %d clips in %.1f s", len(todo), time.perf_counter() - t0)
    final = [r for r in rows if r is not None]
    write_summary(final, out, settings=settings, complete=not interrupted)
    if html or (out / INDEX_NAME).exists():
        write_index(final, out, settings=dataclasses.asdict(settings), complete=not interrupted)
    res = BatchResult(final, interrupted)
    res.counts = {s.value: sum(r["status"] == s.value for r in final) for s in RowStatus}
    res.counts["resumed"] = sum(bool(r["resumed"]) for r in final)
    return res
