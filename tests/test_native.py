"""What MediaPipe's native library would do on its own, checked on real runs: no usage report
leaves the machine (strace watches every socket), no native log line reaches the terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE
from stance.vision import native as native

NATIVE_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]"  # absl/glog
    r"|(?:INFO|WARNING|ERROR): )",  # TF Lite
    re.M,
)
FIRST_LINE = "sample_right_weak.mp4  480x854, 16.0 s"


# --------------------------------------------------------------------------- the proxy block


def test_block_keeps_the_users_proxies_for_our_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"https_proxy": "http://corp:3128", "NO_PROXY": "localhost,.internal", "PATH": "/bin"}
    monkeypatch.setattr(os, "environ", env)
    native.block_usage_upload()
    native.block_usage_upload()  # idempotent: the user's values are not overwritten
    assert env["https_proxy"] == native.BLOCKED_PROXY
    assert "NO_PROXY" not in env and "no_proxy" not in env  # would exempt Google's host
    assert native.user_proxies() == {"https": "http://corp:3128", "no": "localhost,.internal"}
    child = dict(env)  # a worker process inherits what it needs to know
    assert native.user_proxies(child) == native.user_proxies()
    handler = next(
        h for h in native.url_opener().handlers if isinstance(h, native._UserProxyHandler)
    )
    assert handler.proxies == {"https": "http://corp:3128"}
    assert native._exempt("pypi.internal:443", handler._no_proxy)
    assert native._exempt("localhost", handler._no_proxy)
    assert not native._exempt("pypi.org", handler._no_proxy)


def test_block_without_user_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    env: dict[str, str] = {"no_proxy": "*"}
    monkeypatch.setattr(os, "environ", env)
    native.block_usage_upload()
    assert env["https_proxy"] == native.BLOCKED_PROXY and "no_proxy" not in env
    assert native.user_proxies() == {"no": "*"}
    # Plain urllib would now go to the blocked proxy; our own opener goes direct.
    import urllib.request

    assert urllib.request.getproxies_environment()["https"] == native.BLOCKED_PROXY
    proxying = [
        h for h in native.url_opener().handlers if isinstance(h, urllib.request.ProxyHandler)
    ]
    assert all(h.proxies == {} for h in proxying), [h.proxies for h in proxying]


# --------------------------------------------------------------------------- strace


def _strace() -> str:
    exe = shutil.which("strace")
    if exe is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    probe = subprocess.run([exe, "-f", "-o", os.devnull, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.decode(errors='replace').strip()}")
    return exe


def traced(
    cmd: list[str], log: Path, *, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``cmd`` (and every process and thread it starts) under strace, recording socket
    creation, connections and sends with their first 256 bytes."""
    res = subprocess.run(
        [
            _strace(),
            "-f",
            "-qq",
            "-s",
            "256",
            "-e",
            "trace=socket,connect,sendto,sendmsg,sendmmsg",
            "-e",
            "signal=none",
            "-o",
            str(log),
            *cmd,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
    )
    return res, log.read_text(errors="replace")


def network_use(trace: str) -> list[str]:
    """Lines of a trace that reach the network: an Internet connection attempted, a name
    looked up (DNS on port 53, or Google's logging host named in any message)."""
    return [
        ln
        for ln in trace.splitlines()
        if re.search(r"connect\(\d+, \{sa_family=AF_INET6?\b", ln)
        or "htons(53)" in ln
        or "googleapis" in ln
    ]


MEDIAPIPE_ALONE = """
import numpy as np
import mediapipe as mp
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core.base_options import BaseOptions
opts = vision.PoseLandmarkerOptions(
    base_options=BaseOptions(model_asset_path={model!r}), running_mode=vision.RunningMode.VIDEO
)
lm = vision.PoseLandmarker.create_from_options(opts)
image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((256, 256, 3), np.uint8))
for i in range(3):
    lm.detect_for_video(image, i * 100)
lm.close()
"""


def _clean_env() -> dict[str, str]:
    """This environment without the proxy variables (stance's block included)."""
    drop = {"https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", native.QUIET_ENV}
    return {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith("STANCE_USER_")
    }


@pytest.fixture(scope="module")
def model() -> Path:
    from stance.io.models import ensure_model

    return ensure_model()


def test_mediapipe_alone_looks_up_its_logging_host(tmp_path: Path, model: Path) -> None:
    """The control: a PoseLandmarker made with mediapipe directly (no stance) resolves
    play.googleapis.com when it closes, and this harness sees it."""
    script = MEDIAPIPE_ALONE.format(model=str(model))
    res, trace = traced([sys.executable, "-c", script], tmp_path / "t", env=_clean_env())
    assert res.returncode == 0, res.stderr[-2000:]
    assert "googleapis" in trace, "the lookup was not seen: the guard would prove nothing"


def test_stance_pose_estimator_sends_nothing(tmp_path: Path, model: Path) -> None:
    """stance's PoseEstimator used as a library (a notebook, a Dask worker)."""
    script = (
        "import numpy as np\nfrom stance.vision.landmarker import PoseEstimator\n"
        f"with PoseEstimator({str(model)!r}) as est:\n"
        "    for i in range(3):\n"
        "        est.detect(np.zeros((256, 256, 3), np.uint8), i / 10)\n"
    )
    res, trace = traced([sys.executable, "-c", script], tmp_path / "t", env=_clean_env())
    assert res.returncode == 0, res.stderr[-2000:]
    assert network_use(trace) == []


def test_analysis_of_the_sample_sends_nothing_and_prints_only_ours(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res, trace = traced(
        [sys.executable, "-m", "stance", "analyze", str(SAMPLE), "--json", str(out)],
        tmp_path / "t",
        env=_clean_env(),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert out.exists()
    assert network_use(trace) == []
    assert "socket(" in trace  # strace did watch it
    assert res.stdout.startswith(FIRST_LINE), res.stdout[:200]
    assert res.stderr == "", res.stderr


def test_batch_workers_send_nothing(tmp_path: Path) -> None:
    res, trace = traced(
        [
            sys.executable,
            "-m",
            "stance",
            "batch",
            str(SAMPLE),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--max-fps",
            "2",
        ],
        tmp_path / "t",
        env=_clean_env(),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "out" / "summary.csv").exists()
    assert network_use(trace) == []
    assert NATIVE_LINE.search(res.stderr) is None, res.stderr


# --------------------------------------------------------------------------- native log lines


def test_silenced_descriptor_2_keeps_python_stderr() -> None:
    script = (
        "import logging, os, sys\n"
        "logging.basicConfig(format='%(message)s')\n"
        "from stance.vision.native import silence_native_stderr\n"
        "assert silence_native_stderr()\n"
        "os.write(2, b'W0000 00:00:1.0 1 native.cc:1] native\\n')\n"
        "print('ours', file=sys.stderr)\n"
        "logging.warning('logged')\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stderr == "ours\nlogged\n"


def test_quiet_stderr_in_two_threads_at_once_puts_descriptor_2_back() -> None:
    """The landmarkers are made in two threads, each silencing descriptor 2 while MediaPipe
    starts: overlapping blocks (the first leaving before the second) must leave it pointing
    where it pointed before, not at the null device."""
    script = (
        "import os, threading\n"
        "from stance.vision.native import quiet_stderr\n"
        "entered, leave = threading.Event(), threading.Event()\n"
        "def second():\n"
        "    with quiet_stderr():\n"
        "        entered.set(); leave.wait(5)\n"
        "        os.write(2, b'hidden 2\\n')\n"
        "t = threading.Thread(target=second)\n"
        "with quiet_stderr():\n"
        "    t.start(); entered.wait(5)\n"
        "    os.write(2, b'hidden 1\\n')\n"
        "os.write(2, b'still hidden\\n')\n"
        "leave.set(); t.join()\n"
        "os.write(2, b'shown\\n')\n"
    )
    from stance.vision.native import QUIET_ENV

    env = {k: v for k, v in os.environ.items() if k != QUIET_ENV}
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stderr == "shown\n"


def test_quiet_native_from_two_threads_keeps_python_stderr() -> None:
    """The two pose models are made at once, each first calling quiet_native: a thread that
    copied descriptor 2 just after the other pointed it at the null device would make that
    copy Python's stderr (tracebacks, warnings gone). A slowed dup2 opens that window."""
    from stance.vision.native import QUIET_ENV

    script = (
        "import os, sys, threading, time\n"
        f"os.environ[{QUIET_ENV!r}] = '1'\n"
        "from stance.vision import native\n"
        "real_dup2 = os.dup2\n"
        "def slow_dup2(a, b):\n"
        "    real_dup2(a, b); time.sleep(0.1)\n"
        "os.dup2 = slow_dup2\n"
        "start = threading.Barrier(2)\n"
        "def make():\n"
        "    start.wait(); native.quiet_native()\n"
        "t = threading.Thread(target=make); t.start(); make(); t.join()\n"
        "os.dup2 = real_dup2\n"
        "print('ours', file=sys.stderr, flush=True)\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stderr == "ours\n"


def _read_all(fd: int, proc: subprocess.Popen[bytes]) -> bytes:
    buf = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                return buf
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal's other end closed
            return buf
        if not chunk:
            return buf
        buf += chunk


def test_terminal_shows_our_progress_bar_and_no_native_lines() -> None:
    """stderr on a terminal (so the progress bar is drawn), stdout a pipe."""
    master, slave = pty.openpty()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stance", "analyze", str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )
    os.close(slave)
    out: dict[str, bytes] = {}
    reader = threading.Thread(target=lambda: out.update(stdout=proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    err = _read_all(master, proc).decode("utf-8", "replace")
    proc.wait(timeout=600)
    reader.join()
    os.close(master)
    assert proc.returncode == 0, err[-2000:]
    assert time.monotonic() - t0 < 600
    assert "Analysing sample_right_weak.mp4" in err and "frames" in err  # the progress bar
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err).replace("\r", "\n")
    assert NATIVE_LINE.search(plain) is None, plain[-2000:]
    for mark in ("landmark_projection_calculator", "XNNPACK", "InitGoogle"):
        assert mark not in plain
    assert out["stdout"].decode().startswith(FIRST_LINE)


def test_verbose_shows_the_native_lines(tmp_path: Path, model: Path) -> None:
    """-v keeps descriptor 2 as it is: MediaPipe's own lines are there to debug with."""
    res = subprocess.run(
        [sys.executable, "-m", "stance", "-v", "models", "verify", str(model)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert NATIVE_LINE.search(res.stderr) is not None, res.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "stance", "models", "verify", str(model)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
