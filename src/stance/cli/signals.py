"""SIGTERM and SIGHUP end a command the way Ctrl-C does.

A supervisor's ``kill`` (SIGTERM) or a closed terminal (SIGHUP) would otherwise end the
process at once: no ``finally`` block runs, so temporary files stay beside their targets, an
ffmpeg child goes on writing on its own and a batch writes no summary. `install` turns each
into the `KeyboardInterrupt` that Ctrl-C raises, so every command cleans up through the one
path Ctrl-C already takes; `exit_code` then reports the signal as a shell does, 128 + its
number (SIGHUP 129, SIGTERM 143; Ctrl-C stays 130).

A signal that is ignored when stance starts (``nohup`` ignores SIGHUP) stays ignored. Once
one has arrived, further SIGTERM/SIGHUP are ignored so the clean-up is not cut short.

Python runs a signal handler wherever the main thread is, and a few places cannot raise: a
fork hook (logging's lock release after a child process starts), a finaliser. There the
`KeyboardInterrupt` would be printed as "Exception ignored" with a traceback and lost; the
unraisable hook `install` sets raises it again in the main thread instead (`interrupt_main`).
"""

from __future__ import annotations

import _thread
import signal
import sys
from types import FrameType
from typing import Any

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals handled like Ctrl-C (SIGHUP does not exist on Windows)."""

INTERRUPTED = 130
"""The exit code of a command stopped by Ctrl-C (128 + SIGINT)."""

_received: list[int] = []


def install() -> None:
    """Handle SIGTERM and SIGHUP like Ctrl-C in this process (call once, at the entry)."""
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _stop)
    sys.unraisablehook = _reraise_stop(sys.unraisablehook)


def _reraise_stop(previous: Any) -> Any:
    """An unraisable hook: our stop, raised where Python cannot raise, is raised again in the
    main thread; anything else goes to ``previous``."""

    def hook(unraisable: Any) -> None:
        if _received and isinstance(unraisable.exc_value, KeyboardInterrupt):
            _thread.interrupt_main()
            return
        previous(unraisable)

    return hook


def _stop(signum: int, _frame: FrameType | None) -> None:
    if _received:
        return
    _received.append(signum)
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def received() -> int | None:
    """The SIGTERM or SIGHUP that stopped this process, or None."""
    return _received[0] if _received else None


def exit_code(code: int) -> int:
    """The exit code to report: an interruption (``INTERRUPTED``) caused by SIGTERM or
    SIGHUP becomes 128 + that signal's number; anything else is unchanged."""
    signum = received()
    return 128 + signum if signum is not None and code == INTERRUPTED else code
