"""Decoding beside the pose model: an iterator run in its own thread, through a bounded queue.

OpenCV's decoder and MediaPipe's inference both release the GIL, so on two cores the next
frames are decoded while the model looks at this one. The queue holds at most ``depth``
items (memory flat in clip length). Leaving the ``with`` block in any way (the end, an
exception, Ctrl-C) stops the thread and waits for it, and the source iterator is closed in
the thread that ran it (its ``finally`` releases the decoder); an exception the source raises
is raised again in the consuming thread, with its traceback.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a blocked side checks whether the other has gone


class _End:
    """The source is exhausted (``error`` None) or raised ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """``with Prefetch(source, depth=8) as items: for item in items: ...``

    The source is iterated in a daemon thread named ``name``, at most ``depth`` items ahead
    of the consumer (``depth`` >= 1).
    """

    def __init__(self, source: Iterable[T], *, depth: int, name: str = "stance-decode") -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
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
