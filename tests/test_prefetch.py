"""Prefetch: decoding in a thread through a bounded queue, clean on every way out."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SAMPLE
from stance.core.errors import BadInputError
from stance.io.prefetch import Behind, Prefetch


class Source:
    """Counts the items made and whether its ``finally`` ran (the decoder released)."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at = n, fail_at
        self.made = 0
        self.closed = threading.Event()
        self.thread: str | None = None

    def __iter__(self) -> Iterator[int]:
        self.thread = threading.current_thread().name
        try:
            for i in range(self.n):
                if i == self.fail_at:
                    raise BadInputError("truncated")
                self.made += 1
                yield i
        finally:
            self.closed.set()


def _decoders() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "stance-decode"]


def test_every_item_in_order_from_another_thread() -> None:
    src = Source(50)
    with Prefetch(src, depth=3) as items:
        assert list(items) == list(range(50))
    assert src.thread == "stance-decode" and src.closed.is_set()
    assert not _decoders()


def test_the_decoder_stays_at_most_depth_items_ahead() -> None:
    src = Source(1000)
    with Prefetch(src, depth=4) as items:
        first = next(items)
        time.sleep(0.3)
        assert first == 0 and src.made <= 1 + 4 + 1  # taken + queued + one waiting to go in
    assert src.closed.wait(2) and not _decoders()


def test_a_decoding_error_is_raised_in_the_consumer() -> None:
    src = Source(100, fail_at=7)
    got: list[int] = []
    with pytest.raises(BadInputError, match="truncated"), Prefetch(src, depth=2) as items:
        got.extend(items)
    assert got == list(range(7))
    assert src.closed.is_set() and not _decoders()


@pytest.mark.parametrize("error", [KeyboardInterrupt, ValueError])
def test_leaving_early_stops_the_thread_and_releases_the_source(
    error: type[BaseException],
) -> None:
    src = Source(10_000)
    with pytest.raises(error), Prefetch(src, depth=2) as items:
        for i in items:
            if i == 3:
                raise error()
    assert src.closed.is_set(), "the source's finally ran (decoder released)"
    assert not _decoders(), "no thread left behind"
    assert src.made < 10


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Prefetch(Source(1), depth=0)


def _observers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("stance-observe")]


def test_behind_runs_calls_in_order_in_one_other_thread() -> None:
    seen: list[tuple[int, str]] = []
    with Behind(depth=2) as later:
        for i in range(20):
            later.submit(lambda i=i: seen.append((i, threading.current_thread().name)))
    assert [i for i, _ in seen] == list(range(20))
    assert {name for _, name in seen} != {threading.current_thread().name}
    assert not _observers()


def test_behind_stays_at_most_depth_calls_behind() -> None:
    with Behind(depth=3) as later:
        t0 = time.perf_counter()
        for _ in range(6):
            later.submit(time.sleep, 0.05)
        # 6 calls of 50 ms, at most 3 pending: submit waited for the first 3 to finish
        assert time.perf_counter() - t0 >= 0.14
    assert not _observers()


def test_behind_raises_a_call_s_error_in_the_submitting_thread() -> None:
    def boom() -> None:
        raise ValueError("estimator failed")

    with pytest.raises(ValueError, match="estimator failed"), Behind(depth=1) as later:
        later.submit(boom)
        for _ in range(3):
            later.submit(lambda: None)
    assert not _observers()


def test_ctrl_c_during_an_analysis_ends_it_at_once(tmp_path: Path) -> None:
    """Ctrl-C while frames are decoded and analysed: exit 130 within seconds, no thread left
    holding the process (the sample played four times, so the analysis is still running)."""
    from stance.io.ffmpeg import run_ffmpeg

    clip = tmp_path / "long.mp4"
    run_ffmpeg(["-stream_loop", "3", "-i", str(SAMPLE), "-c", "copy", "-an", str(clip)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "stance", "analyze", str(clip), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)  # past start-up, in the pose pass
    assert proc.poll() is None, "the analysis ended before it could be interrupted"
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert rc == 130, proc.stderr.read() if proc.stderr else rc
    assert time.perf_counter() - t0 < 5.0


def test_prompt_handoff_shortens_the_switch_interval_inside_and_restores_it() -> None:
    from stance.io.prefetch import HANDOFF_S, prompt_handoff

    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), prompt_handoff():
        assert sys.getswitchinterval() == pytest.approx(HANDOFF_S)
        raise RuntimeError("left by an error")
    assert sys.getswitchinterval() == before


needs_nice = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's"
)


def _nice() -> int:
    import os

    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@needs_nice
def test_yield_cpu_lowers_only_the_calling_threads_priority() -> None:
    from stance.io.prefetch import HELPER_NICE, yield_cpu

    before = _nice()
    seen: list[int] = []

    def helper() -> None:
        yield_cpu()
        seen.append(_nice())

    t = threading.Thread(target=helper)
    t.start()
    t.join()
    assert seen == [min(19, before + HELPER_NICE)]
    assert _nice() == before, "the calling (model's) thread keeps its priority"


@needs_nice
def test_low_priority_helpers_run_below_the_consumer() -> None:
    main = _nice()

    def niceness() -> Iterator[int]:
        yield _nice()

    with Prefetch(niceness(), depth=1, low_priority=True) as items:
        assert list(items) == [min(19, main + 10)]
    with Prefetch(niceness(), depth=1) as items:
        assert list(items) == [main]
    seen: list[int] = []
    with Behind(depth=1, low_priority=True) as later:
        later.submit(lambda: seen.append(_nice()))
    assert seen == [min(19, main + 10)]
    assert _nice() == main
