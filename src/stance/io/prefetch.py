"""Work beside the pose model, in threads, through bounded queues (memory flat in clip length).

OpenCV's decoder and image functions and MediaPipe's inference release the GIL, so on two
cores the next frames are decoded (`Prefetch`) and the last frame's image estimators run
(`Behind`) while the model looks at this frame.

`Prefetch` runs an iterator in its own thread, at most ``depth`` items ahead. Leaving its
``with`` block in any way (the end, an exception, Ctrl-C) stops the thread and waits for it,
and the source iterator is closed in the thread that ran it (its ``finally`` releases the
decoder); an exception the source raises is raised again in the consuming thread, with its
traceback. `Behind` runs calls in order in one thread, at most ``depth`` behind; an exception
of a call is raised in the submitting thread (at a later `Behind.submit` or at the end).

`prompt_handoff` shortens Python's GIL switch interval while such threads run: the pose model's
thread gives the GIL up inside MediaPipe and needs it back several times a frame, and with the
default 5 ms interval each time can wait behind a thread running numpy code. Measured on 2 cores
(1080p, one-person landmarker): 19 ms a frame alone, 50 ms beside a busy Python thread at 5 ms,
19.4 ms at 0.2 ms.

With ``low_priority`` the helper threads yield the CPU to the model (`yield_cpu`): the model's
work decides how long a pass takes, and with the decoding and the image estimators as ready to
run as it is, the operating system shares the cores evenly between them and the model waits
its turn. On 2 cores (one-minute 1080p clip at 10 fps, best of 3, interleaved): the pose pass
took 1.37 times MediaPipe alone with the helpers at the model's priority, 1.23 times with them
at a lower one, and 1.19 times with the decoding also in one (low-priority) thread instead of
FFmpeg's own (`decode_threads`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a blocked side checks whether the other has gone

HELPER_NICE = 10
"""How much `yield_cpu` raises a helper thread's nice value (Linux: a thread at +10 gets about
a tenth of the CPU time of one at 0 when both want the same core)."""


CAN_YIELD = sys.platform.startswith("linux")
"""Whether `yield_cpu` can lower one thread's priority (Linux gives each thread its own nice
value; macOS and Windows have none per thread)."""


def yield_cpu() -> None:
    """Lower the calling thread's scheduling priority by `HELPER_NICE` where `CAN_YIELD`
    (elsewhere nothing). Best effort: a refusal is ignored. A thread cannot take the priority
    back (raising it again needs privileges), so call it only in a thread that ends with its
    work."""
    if not CAN_YIELD:
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + HELPER_NICE)
    except OSError:
        pass


HANDOFF_S = 2e-4
"""GIL switch interval (seconds) inside `prompt_handoff`."""


@contextlib.contextmanager
def prompt_handoff(interval_s: float = HANDOFF_S) -> Iterator[None]:
    """Python's GIL switch interval set to ``interval_s`` inside the block, restored after
    (see the module docstring)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(interval_s)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def decode_threads() -> int | None:
    """How many decoding threads the pose pass asks FFmpeg for. Where helper threads can yield
    the CPU (`CAN_YIELD`): the cores this process may use but one (the model's: MediaPipe's
    inference runs on one), at least 1; on 2 cores that is the low-priority decoding thread
    itself (FFmpeg's own threads would be as ready to run as the model). Elsewhere None,
    FFmpeg's choice: one thread at the model's priority would only decode more slowly."""
    if not CAN_YIELD:
        return None
    return max(1, len(os.sched_getaffinity(0)) - 1)


class _End:
    """The source is exhausted (``error`` None) or raised ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """``with Prefetch(source, depth=8) as items: for item in items: ...``

    The source is iterated in a daemon thread named ``name``, at most ``depth`` items ahead
    of the consumer (``depth`` >= 1), at a lower priority with ``low_priority`` (`yield_cpu`).
    """

    def __init__(
        self,
        source: Iterable[T],
        *,
        depth: int,
        name: str = "stance-decode",
        low_priority: bool = False,
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self._low_priority = low_priority
        self._source = source
        self._queue: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._consume()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the thread and wait for it (it finishes the item it is decoding)."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join()

    def _produce(self) -> None:
        if self._low_priority:
            yield_cpu()
        it = iter(self._source)
        end = _End()
        try:
            for item in it:
                if not self._put(item):
                    return
        except BaseException as err:  # handed to the consumer, raised there
            end = _End(err)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
        self._put(end)

    def _put(self, item: T | _End) -> bool:
        """Queue ``item``; False once the consumer has stopped."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self) -> Iterator[T]:
        while True:
            try:
                item = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise RuntimeError("the decoding thread ended without a word") from None
                continue
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item


class Behind:
    """``with Behind(depth=4) as later: later.submit(fn, *args)``: the calls run in order in
    one thread (named ``name``; at a lower priority with ``low_priority``, `yield_cpu`), at
    most ``depth`` (>= 1) not yet finished; the block ends when all have run (or, when it is
    left by an exception, without the ones not started)."""

    def __init__(
        self, *, depth: int, name: str = "stance-observe", low_priority: bool = False
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self._depth = depth
        self._pool = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix=name,
            initializer=yield_cpu if low_priority else None,
        )
        self._pending: deque[Future[Any]] = deque()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``; waits while ``depth`` calls are pending; raises the error of an
        earlier call."""
        self._pending.append(self._pool.submit(fn, *args))
        while self._pending and (len(self._pending) > self._depth or self._pending[0].done()):
            self._pending.popleft().result()

    def __enter__(self) -> Behind:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
