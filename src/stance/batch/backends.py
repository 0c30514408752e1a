"""Where the jobs run, yielding each job's document as it finishes.

- `in_processes`: local spawn-context worker processes (`ProcessPoolExecutor`) that end
  with the batch process, even after ``kill -9`` (`die_with_parent`), and are stopped on
  Ctrl-C, SIGTERM or SIGHUP of the batch (`_terminate`). A worker leaves Ctrl-C and SIGHUP
  (a closed terminal) to the batch, which then stops it with SIGTERM: the clip it was
  analysing unwinds, so its temporary files are removed, and the worker exits (`_run_job`).
- `on_cluster`: a Dask distributed cluster (the ``cluster`` extra), whose workers must see
  the same paths.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from multiprocessing import active_children, get_context
from multiprocessing.process import BaseProcess
from typing import Any

from stance.batch.worker import Job, analyze_clip
from stance.core.errors import BadInputError
from stance.pipeline import Settings

log = logging.getLogger(__name__)

Outcomes = Generator[tuple[Job, dict[str, Any]], None, None]
"""Each finished job with its document (result or failure record), in finishing order."""


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


# --------------------------------------------------------------------------- local processes


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


class _Stopped(BaseException):
    """Raised in a worker by SIGTERM while it analyses a clip (see `_run_job`)."""


_in_job = False


def _stop_worker(signum: int, _frame: Any) -> None:
    """SIGTERM in a worker: unwind the clip being analysed, or exit at once when idle."""
    if _in_job:
        raise _Stopped
    os._exit(128 + signum)


def _run_job(*args: Any) -> dict[str, Any]:
    """`analyze_clip` in a worker; stopped by SIGTERM, the clip's ``finally`` blocks run
    (temporary files removed) and the worker exits with 143, as it would have."""
    global _in_job
    _in_job = True
    try:
        return analyze_clip(*args)
    except _Stopped:
        os._exit(128 + signal.SIGTERM)
    finally:
        _in_job = False


def _init_worker(threads: int | None, parent: int) -> None:
    """Worker set-up: Ctrl-C and SIGHUP are the parent's business, SIGTERM unwinds the clip
    (`_run_job`); end with the parent (`die_with_parent`); optionally cap OpenCV threads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    die_with_parent(parent)
    if threads is not None:
        import cv2

        cv2.setNumThreads(threads)


def _terminate(pool: ProcessPoolExecutor, workers: list[BaseProcess]) -> None:
    """Stop the pool now: cancel what has not started and end the ``workers`` (their
    `multiprocessing.Process` objects) that are still analysing."""
    pool.shutdown(wait=False, cancel_futures=True)
    for p in workers:
        p.terminate()
    for p in workers:
        p.join(timeout=5)


def _outcome(fut: Any) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = fut.result()
    except Exception as err:  # the worker died (e.g. out of memory) or was lost
        return {"error": {"type": type(err).__name__, "message": f"worker failed: {err}"}}
    return doc


def in_processes(todo: list[Job], settings: Settings, n: int, threads: int | None) -> Outcomes:
    """Run the jobs in ``n`` local spawn-context worker processes; yield as they finish."""
    before = set(active_children())
    pool = ProcessPoolExecutor(
        n,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads, os.getpid()),
    )
    try:
        futures: dict[Future[dict[str, Any]], Job] = {
            pool.submit(_run_job, *j.args(settings)): j for j in todo
        }
        for fut in as_completed(futures):
            yield futures[fut], _outcome(fut)
        pool.shutdown(wait=True)
    except BaseException:  # Ctrl-C, or the caller stopped early
        # the pool's workers: the children started since (public API, not pool._processes)
        _terminate(pool, [p for p in active_children() if p not in before])
        raise


# --------------------------------------------------------------------------- Dask


def on_cluster(todo: list[Job], settings: Settings, address: str) -> Outcomes:
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
    futures: dict[Any, Job] = {}
    try:
        for j in todo:
            futures[client.submit(analyze_clip, *j.args(settings), pure=False)] = j
        for fut in dask_completed(list(futures)):
            yield futures[fut], _outcome(fut)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.close()
