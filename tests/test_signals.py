"""SIGTERM and SIGHUP stop a command as Ctrl-C does: the clean-up runs, no partial or hidden
temporary file is left, no ffmpeg goes on writing, and the exit code is 128 + the signal
(issue 22, item 3). The batch's own test is `test_batch.py::test_ctrl_c_stops_cleanly`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE
from stance.cli import signals

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _default_signals() -> None:
    """In the child: the dispositions of a normal shell (pytest may run with some ignored)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _writers_of(folder: Path) -> list[str]:
    """Command lines of live processes that name ``folder`` (an ffmpeg writing there)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(folder) in cmd and state != "Z":
            found.append(cmd)
    return found


def _stop_while_writing(args: list[str], out_dir: Path, sig: signal.Signals) -> int:
    """Run ``stance *args`` (writing into ``out_dir``); once a file there has bytes (ffmpeg
    is writing), send ``sig`` to stance alone, as `kill PID` does; check that no traceback is
    printed, nothing is left in ``out_dir`` and no process writes there; the exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stance", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_default_signals,
    )
    try:
        end = time.monotonic() + 240
        while not [p for p in out_dir.iterdir() if p.stat().st_size > 0]:
            assert proc.poll() is None, "stance ended before it wrote the video"
            assert time.monotonic() < end, "the video was never started"
            time.sleep(0.05)
        assert _writers_of(out_dir)  # an ffmpeg is writing there now
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        assert "Traceback" not in stderr, stderr
        assert sorted(p.name for p in out_dir.iterdir()) == []  # no partial, no .hidden temp
        end = time.monotonic() + 5
        while _writers_of(out_dir) and time.monotonic() < end:
            time.sleep(0.1)
        assert _writers_of(out_dir) == []  # no orphan ffmpeg
        return code
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stderr:
            proc.stderr.close()


@needs_proc
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_while_writing_the_annotated_video_leaves_nothing(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = ["analyze", str(SAMPLE), "-q", "--annotated", str(out_dir / "a.mp4")]
    assert _stop_while_writing(args, out_dir, sig) == code


@needs_proc
def test_sigterm_during_a_live_session_leaves_no_recording(tmp_path: Path) -> None:
    """`stance live` writing its --headless and --record videos: both removed."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = ["live", "--source", str(SAMPLE), "--hold", "4", "-q"]
    args += ["--headless", str(out_dir / "shown.mp4"), "--record", str(out_dir / "rec.mp4")]
    assert _stop_while_writing(args, out_dir, signal.SIGTERM) == 143


def test_exit_codes_follow_the_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signals, "_received", [])
    assert signals.exit_code(130) == 130 and signals.exit_code(2) == 2  # Ctrl-C, errors
    monkeypatch.setattr(signals, "_received", [signal.SIGTERM])
    assert signals.exit_code(130) == 143 and signals.exit_code(0) == 0
    monkeypatch.setattr(signals, "_received", [signal.SIGHUP])
    assert signals.exit_code(130) == 129


def test_a_signal_ignored_at_start_stays_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """`nohup stance ...` ignores SIGHUP: stance keeps ignoring it; SIGTERM is handled."""
    before = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signals.install()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        monkeypatch.setattr(signals, "_received", [])
        with pytest.raises(KeyboardInterrupt):
            handler(signal.SIGTERM, None)
        assert signals.received() == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN  # the clean-up runs in peace
    finally:
        for s, h in before.items():
            signal.signal(s, h)


def test_a_stop_raised_where_python_cannot_raise_is_raised_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SIGTERM that lands in a fork hook or a finaliser: no 'Exception ignored' traceback,
    and the interruption still reaches the main thread."""
    from types import SimpleNamespace

    seen: list[object] = []
    hook = signals._reraise_stop(seen.append)
    other = SimpleNamespace(exc_value=ValueError("x"))
    hook(other)
    assert seen == [other]  # not ours: passed on
    monkeypatch.setattr(signals, "_received", [signal.SIGTERM])
    with pytest.raises(KeyboardInterrupt):
        hook(SimpleNamespace(exc_value=KeyboardInterrupt()))
        for _ in range(2000):
            time.sleep(0.001)
    assert seen == [other]
