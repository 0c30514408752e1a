"""What MediaPipe's native library does on its own, kept in check.

* Usage statistics. Every PoseLandmarker of mediapipe 1.x (``libmediapipe.so``) sends a
  usage report to ``https://play.googleapis.com/log`` when it closes: its C++ task runner
  always creates the logger (``CreateTasksLogger``), which posts through a bundled libcurl.
  MediaPipe has no option, flag or environment variable that turns this off. What it does
  honour is libcurl's standard proxy variables: with ``https_proxy`` set to a proxy URL
  whose scheme libcurl does not support, libcurl refuses the request before resolving any
  name or opening any socket (``block_usage_upload``). ``no_proxy`` is cleared too: it
  would exempt the host from the proxy. stance's own downloads (the pose models) keep the
  user's proxy settings (`url_opener`).
* Log lines. The library writes its log (``W0000 00:00:... landmark_projection_calculator
  .cc:81] Using NORM_RECT ...``, TF Lite's ``INFO: Created TensorFlow Lite XNNPACK
  delegate``) straight to file descriptor 2, whatever ``GLOG_minloglevel`` or
  ``TF_CPP_MIN_LOG_LEVEL`` say, and in worker threads during the analysis, not only when
  the model loads. `silence_native_stderr` gives Python's ``sys.stderr`` (our messages,
  progress bars, logging, tracebacks) its own copy of the terminal and points descriptor 2
  at ``/dev/null``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

BLOCKED_PROXY = "stance-blocked://127.0.0.1:9"
"""The ``https_proxy`` value that stops MediaPipe's upload: an unsupported proxy scheme, so
libcurl fails without a connection (and were a libcurl to take it for HTTP, it would only
reach the discard port of this machine)."""

_PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY")
_SAVED = "STANCE_USER_"
"""The user's values are kept (for child processes too) as ``STANCE_USER_<VAR>`` ("" when
unset: an empty proxy variable means no proxy to libcurl and urllib alike)."""

QUIET_ENV = "STANCE_QUIET_NATIVE"
"""Set by the command line: "1", processes that load MediaPipe (batch workers included)
silence its native log lines; "0" (--verbose), they show all of them. Unset (stance used as
a library), only the chatter while a model loads is hidden."""


def block_usage_upload() -> None:
    """Keep MediaPipe's usage report from leaving the machine (see the module docstring).

    Idempotent; call it before a PoseLandmarker is created, ideally before any thread starts
    (it changes the process environment, which child processes inherit).
    """
    if os.environ.get("https_proxy") == BLOCKED_PROXY and not (
        os.environ.get("no_proxy") or os.environ.get("NO_PROXY")
    ):
        return
    for var in _PROXY_VARS:
        if _SAVED + var not in os.environ:
            value = os.environ.get(var)
            if value != BLOCKED_PROXY:
                os.environ[_SAVED + var] = value or ""
    os.environ["https_proxy"] = BLOCKED_PROXY
    os.environ.pop("HTTPS_PROXY", None)
    os.environ.pop("no_proxy", None)
    os.environ.pop("NO_PROXY", None)


def _user_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` as the user set it: the proxy variables `block_usage_upload` changed are
    given back their saved values."""
    env = {k: v for k, v in environ.items() if not k.startswith(_SAVED)}
    for var in _PROXY_VARS:
        saved = environ.get(_SAVED + var)
        if saved is not None:
            env.pop(var, None)
            if saved:
                env[var] = saved
        elif env.get(var) == BLOCKED_PROXY:
            env.pop(var)
    return env


def user_proxies(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's proxies (``scheme -> URL``, ``"no"`` for the exemptions), read as
    `urllib.request.getproxies_environment` reads them, before `block_usage_upload`."""
    env = _user_environ(os.environ if environ is None else environ)
    proxies: dict[str, str] = {}
    for name, value in env.items():  # any case first, lowercase wins (as urllib does)
        if value and name.lower().endswith("_proxy"):
            proxies[name.lower()[:-6]] = value
    for name, value in env.items():
        if name.endswith("_proxy"):
            if value:
                proxies[name.lower()[:-6]] = value
            else:
                proxies.pop(name.lower()[:-6], None)
    return proxies


def _exempt(host: str, no_proxy: str) -> bool:
    """Is ``host`` (``name[:port]``) exempt from proxies by ``no_proxy`` (``*`` or a comma
    list of names, a leading dot optional), as urllib reads it."""
    if no_proxy.strip() == "*":
        return True
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]").lower()
    for entry in no_proxy.split(","):
        entry = entry.strip().lstrip(".").lower()
        if entry and (name == entry or name.endswith("." + entry) or host.lower() == entry):
            return True
    return False


class _UserProxyHandler(urllib.request.ProxyHandler):
    """A ProxyHandler over the user's proxies, exemptions (``no_proxy``) included."""

    def __init__(self, proxies: dict[str, str]) -> None:
        self._no_proxy = proxies.get("no", "")
        super().__init__({k: v for k, v in proxies.items() if k != "no"})

    def proxy_open(self, req: Any, proxy: str, type: str) -> Any:
        if req.host and _exempt(req.host, self._no_proxy):
            return None
        return super().proxy_open(req, proxy, type)


def url_opener() -> urllib.request.OpenerDirector:
    """An opener for stance's own downloads, with the user's proxy settings."""
    return urllib.request.build_opener(_UserProxyHandler(user_proxies()))


# --------------------------------------------------------------------------- stderr


def _fd2_to_devnull() -> int:
    """Point file descriptor 2 at the null device; returns a copy of what it was (to put back,
    or to write to), or -1 when it could not be done."""
    try:
        saved = os.dup(2)
    except OSError:
        return -1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        os.close(saved)
        return -1
    os.dup2(devnull, 2)
    os.close(devnull)
    return saved


_QUIET_BLOCKS_LOCK = threading.Lock()
_quiet_depth = 0  # threads inside quiet_stderr now (the pose models are made in two)
_saved_stderr = -1


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence the native libraries' start-up chatter on file descriptor 2 for a block (not
    with the command line's --verbose, `QUIET_ENV` "0"). Safe in several threads at once: the
    first to enter points descriptor 2 at the null device, the last to leave points it back."""
    global _quiet_depth, _saved_stderr
    if os.environ.get(QUIET_ENV) == "0":
        yield
        return
    with _QUIET_BLOCKS_LOCK:
        if _quiet_depth == 0:
            _saved_stderr = _fd2_to_devnull()
        _quiet_depth += 1
    try:
        yield
    finally:
        with _QUIET_BLOCKS_LOCK:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_stderr >= 0:
                os.dup2(_saved_stderr, 2)
                os.close(_saved_stderr)
                _saved_stderr = -1


_silenced = False


def silence_native_stderr() -> bool:
    """Send what native code writes to file descriptor 2 to ``/dev/null``; Python's
    ``sys.stderr`` goes on writing to the terminal (or pipe) through its own descriptor.

    Done once per process and only where ``sys.stderr`` is the process's own stderr on
    descriptor 2 (not under a test runner's capture or in a notebook). Child processes
    inherit the silenced descriptor 2, so call it in the process that loads MediaPipe.
    Returns whether descriptor 2 is silenced.
    """
    global _silenced
    if _silenced:
        return True
    err: Any = sys.stderr
    original: Any = sys.__stderr__
    try:
        if err is None or err is not original or err.fileno() != 2:
            return False
        err.flush()
    except (AttributeError, OSError, ValueError):
        return False
    own = _fd2_to_devnull()
    if own < 0:
        return False
    stream = os.fdopen(
        own, "w", buffering=1, encoding=err.encoding, errors=err.errors or "backslashreplace"
    )
    sys.stderr = stream
    for handler in logging.root.handlers:  # handlers made before this, on the old stream
        if isinstance(handler, logging.StreamHandler) and handler.stream is err:
            handler.setStream(stream)
    _silenced = True
    return True


_QUIET_LOCK = threading.Lock()


def quiet_native() -> None:
    """What a process does before it loads MediaPipe: block the usage upload and, where the
    command line asked for it (`QUIET_ENV`), silence the native log lines. Safe from several
    threads at once (the pose models are made in two): one does it, the others find it done
    (two threads copying descriptor 2 at once could keep the silenced one as Python's
    stderr)."""
    with _QUIET_LOCK:
        block_usage_upload()
        if os.environ.get(QUIET_ENV) == "1":
            silence_native_stderr()
