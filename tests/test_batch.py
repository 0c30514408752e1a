"""`stance batch`: every input gets a row, bad clips never stop it, resume and kill safety."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import pytest

from conftest import SAMPLE
from stance.analysis.judge import Outcome
from stance.batch.discover import discover
from stance.batch.rows import COLUMNS, RowStatus, SummaryRow
from stance.io.file_kind import looks_like_video

FAST = ("--max-fps", "5")


def batch(*args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stance", "batch", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def _default_sigint() -> None:
    """In the child: Ctrl-C (and SIGTERM, SIGHUP) handled as usual, even where this suite
    runs with them ignored (a shell starts background jobs with SIGINT ignored, and Python
    then installs no handler; nohup ignores SIGHUP)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _popen(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stance", "batch", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def _interrupt_after_first_clip(
    *args: str | Path, sig: signal.Signals = signal.SIGINT, group: bool = False
) -> int:
    """Start `stance batch *args`, send ``sig`` (Ctrl-C by default; to the whole process
    group with ``group``, as a closed terminal does) once a clip's result exists; expect no
    process of the batch left; return the exit code."""
    out = Path(args[args.index("--out") + 1])
    proc = _popen(*args)
    _wait_for(out / "clips" / "*.json", proc)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        code = proc.wait(timeout=60)
        assert _gone(proc.pid, within=5) == []  # its workers were stopped too
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return code


def _wait_for(pattern: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if list(pattern.parent.glob(pattern.name)):
            return
        if proc.poll() is not None:
            pytest.fail(f"batch ended (rc {proc.returncode}) before {pattern} appeared")
        time.sleep(0.1)
    pytest.fail(f"{pattern} did not appear")


def href_target(index: Path, href: str) -> Path:
    """The file a (relative) link of the page ``index`` opens, resolved as a browser does:
    against the page's file URL, then percent-decoded (to bytes, as on the file system)."""
    url = urlsplit(urljoin(index.resolve().as_uri(), href))
    assert url.scheme == "file" and not url.query and not url.fragment, (href, url)
    return Path(os.fsdecode(unquote_to_bytes(url.path)))


def _summary(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return doc


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    return {Path(r["file"]).name: r for r in _summary(out)["clips"]}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """A folder of good, corrupt and fake clips, batched once (at 5 fps)."""
    root = tmp_path_factory.mktemp("batch")
    src = root / "in"
    (src / "sub").mkdir(parents=True)
    (src / "empty").mkdir()
    shutil.copy(SAMPLE, src / "copy.mp4")
    (src / "sub" / "link.mp4").symlink_to(SAMPLE)
    data = SAMPLE.read_bytes()
    (src / "half.mp4").write_bytes(data[: len(data) // 2])
    (src / "notes.mp4").write_text("this is not a video\n" * 20)
    (src / "readme.txt").write_text("skipped: not a video, not named\n")
    out = root / "out"
    res = batch(src, "--out", out, "--workers", "2", *FAST)
    return src, out, res


def test_every_clip_gets_a_row(mixed: tuple[Path, Path, Any]) -> None:
    _src, out, res = mixed
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    rows = _rows(out)
    assert set(rows) == {"copy.mp4", "link.mp4", "half.mp4", "notes.mp4"}
    assert rows["copy.mp4"]["status"] == rows["link.mp4"]["status"] == "ok"
    assert "truncated" in rows["half.mp4"]["error"]
    assert "text file" in rows["notes.mp4"]["error"]
    assert {rows[n]["status"] for n in ("half.mp4", "notes.mp4")} == {"error"}
    with (out / "summary.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 4 and list(table[0]) == list(COLUMNS)
    for line in table:  # numbers as numbers, as in the JSON
        row = rows[Path(line["file"]).name]
        for col in COLUMNS:
            if isinstance(row[col], float):
                assert float(line[col]) == row[col], col
    counts = _summary(out)["counts"]
    assert counts == {"ok": 2, "cannot_tell": 0, "error": 2, "resumed": 0}
    assert not list(out.rglob("*.tmp"))


def test_row_equals_single_analysis(mixed: tuple[Path, Path, Any]) -> None:
    from stance.pipeline import Settings, analyze
    from stance.report.document import to_dict

    _src, out, _res = mixed
    single = to_dict(analyze(SAMPLE, settings=Settings(max_fps=5.0)))
    row = _rows(out)["copy.mp4"]
    assert row["weak_side"] == single["verdict"]["outcome"] == "right"
    for side, f in single["findings"].items():
        assert row[f"{side}_stance_drop_deg"] == f["drop_deg"]
        assert row[f"{side}_stance_shift_pct_hip"] == f["shift_pct_hip"]
        assert row[f"{side}_stance_lean_deg"] == f["lean_deg"]
        assert row[f"{side}_stance_hold_s"] == f["hold_s"]
    assert row["quality_flags"] == ";".join(fl["code"] for fl in single["quality"]["flags"])
    clip = json.loads((out / row["result"]).read_text())
    assert clip.pop("batch_key")
    assert clip["input"].pop("sha256") == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert clip["input"]["path"] == "copy.mp4"  # relative to the folder given
    for doc in (clip, single):
        doc.pop("timings_s")
        doc["input"].pop("path")
    assert clip == single


def test_resume_redoes_only_the_missing(mixed: tuple[Path, Path, Any], tmp_path: Path) -> None:
    src, first, _res = mixed
    out = tmp_path / "out"
    shutil.copytree(first, out)
    rows = _rows(out)
    kept = out / rows["link.mp4"]["result"]  # relative to the output folder: it moves
    gone = out / rows["copy.mp4"]["result"]
    gone.unlink()
    mtime = kept.stat().st_mtime_ns
    res = batch(src, "--out", out, "--resume", *FAST)
    assert res.returncode == 2, res.stderr
    rows = _rows(out)
    assert [n for n, r in sorted(rows.items()) if not r["resumed"]] == ["copy.mp4"]
    assert gone.exists() and kept.stat().st_mtime_ns == mtime
    assert rows["copy.mp4"]["left_stance_drop_deg"] == rows["link.mp4"]["left_stance_drop_deg"]
    assert _summary(out)["counts"]["resumed"] == 3


def test_content_hash_reads_every_byte(tmp_path: Path) -> None:
    from stance.io.recording import file_sha256 as content_hash

    CHUNK = 1 << 20

    p = tmp_path / "clip.mp4"
    data = bytearray(os.urandom(3 * CHUNK + 123))
    p.write_bytes(data)
    before = content_hash(p)
    data[len(data) // 2] ^= 0xFF  # one byte in the middle: not in the first or last MiB
    p.write_bytes(data)
    assert content_hash(p) != before
    assert content_hash(p) == hashlib.sha256(data).hexdigest()


def test_resume_redoes_a_clip_changed_in_the_middle(
    mixed: tuple[Path, Path, Any], tmp_path: Path
) -> None:
    """Same size, same modification time, one byte different: analysed again."""
    src0, first, _res = mixed
    src, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(src0, src, symlinks=True)
    shutil.copytree(first, out)
    clip = src / "copy.mp4"
    st = clip.stat()
    data = bytearray(clip.read_bytes())
    mid = len(data) // 2
    assert 1 << 20 <= mid < len(data) - (1 << 20)  # outside the first and the last MiB
    data[mid] ^= 0xFF
    clip.write_bytes(data)
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert clip.stat().st_size == st.st_size and clip.stat().st_mtime_ns == st.st_mtime_ns
    batch(src, "--out", out, "--resume", *FAST)
    rows = _rows(out)
    assert [n for n, r in sorted(rows.items()) if not r["resumed"]] == ["copy.mp4"]
    old = json.loads((first / _rows(first)["copy.mp4"]["result"]).read_text())
    if rows["copy.mp4"]["result"]:  # the damaged clip may still decode, or be an error now
        new = json.loads((out / rows["copy.mp4"]["result"]).read_text())
        assert new["batch_key"] != old["batch_key"]


def test_batch_key_depends_on_settings() -> None:
    from stance.batch.keys import batch_key
    from stance.io.recording import file_sha256 as content_hash
    from stance.pipeline import Settings

    content = content_hash(SAMPLE)
    assert batch_key(content, Settings(max_fps=5.0)) != batch_key(content, Settings(max_fps=6.0))
    assert batch_key(content, Settings(max_fps=5.0)) == batch_key(content, Settings(max_fps=5.0))


def test_sigkill_then_resume(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(SAMPLE, src / f"{name}.mp4")
    out = tmp_path / "out"
    proc = _popen(src, "--out", out, "--workers", "1", *FAST)
    try:
        _wait_for(out / "clips" / "*.json", proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for p in (out / "clips").glob("*.json"):
        assert json.loads(p.read_text())["batch_key"]  # complete, never half
    res = batch(src, "--out", out, "--resume", *FAST)
    assert res.returncode == 0, res.stderr
    assert not list(out.rglob("*.tmp"))
    summary = _summary(out)
    assert summary["complete"] and len(summary["clips"]) == 3
    assert {r["status"] for r in summary["clips"]} == {"ok"}
    assert summary["counts"]["resumed"] >= 1


def _session(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes of session ``sid``, read from /proc.

    Zombies are left out: they are dead and hold no memory; reaping them is up to init."""
    procs = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended meanwhile
            continue
        state, _ppid, _pgrp, session = stat[stat.rindex(")") + 2 :].split()[:4]
        if int(session) == sid and state != "Z":
            procs.append((int(d.name), cmd))
    return procs


def _maps(pid: int, lib: str) -> bool:
    try:
        return lib in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _gone(sid: int, within: float) -> list[tuple[int, str]]:
    """Wait up to ``within`` seconds for session ``sid`` to be empty; what is left."""
    end = time.monotonic() + within
    while (left := _session(sid)) and time.monotonic() < end:
        time.sleep(0.1)
    return left


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@needs_proc
def test_sigkill_of_the_parent_ends_its_workers(tmp_path: Path) -> None:
    """kill -9 of `stance batch` mid-analysis: no worker and no resource tracker stays."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c", "d"):
        shutil.copy(SAMPLE, src / f"{name}.mp4")
    proc = _popen(src, "--out", tmp_path / "out", "--workers", "2", *FAST)
    try:
        end = time.monotonic() + 180
        while True:  # both workers analysing a clip (the pose model loaded)
            procs = _session(proc.pid)
            workers = [pid for pid, cmd in procs if "spawn_main" in cmd]
            if len(workers) == 2 and all(_maps(pid, "mediapipe") for pid in workers):
                break
            assert proc.poll() is None, f"batch ended (rc {proc.returncode}) too early"
            assert time.monotonic() < end, f"the workers did not start: {procs}"
            time.sleep(0.2)
        assert any("resource_tracker" in cmd for _pid, cmd in procs), procs
        os.kill(proc.pid, signal.SIGKILL)  # the parent only
        proc.wait()
        assert _gone(proc.pid, within=5) == []
    finally:
        if _session(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


@needs_proc
def test_parent_watch_fallback(tmp_path: Path) -> None:
    """The portable fallback alone (no prctl): a process watching its parent's pid ends
    within about a second of the parent's death."""
    ready = tmp_path / "ready"
    child = (
        "import pathlib, sys; from stance.batch.backends import _watch_parent; "
        f"pathlib.Path({str(ready)!r}).touch(); _watch_parent(int(sys.argv[1]))"
    )
    middle = (
        "import os, subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {child!r}, str(os.getpid())]); time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", middle], start_new_session=True)
    try:
        end = time.monotonic() + 60
        while not ready.exists():
            assert time.monotonic() < end and proc.poll() is None
            time.sleep(0.05)
        assert len(_session(proc.pid)) == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _gone(proc.pid, within=3) == []
    finally:
        if _session(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("sig", "group", "code"),
    [
        (signal.SIGINT, False, 130),
        (signal.SIGTERM, False, 143),  # `kill PID`: the batch alone
        (signal.SIGHUP, True, 129),  # a closed terminal: the batch and its workers
    ],
)
def test_ctrl_c_stops_cleanly(tmp_path: Path, sig: signal.Signals, group: bool, code: int) -> None:
    """Ctrl-C, SIGTERM and SIGHUP alike: the summary of what finished is written, the
    workers are stopped, no temporary file is left (SIGTERM and SIGHUP: issue 22)."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c", "d"):
        shutil.copy(SAMPLE, src / f"{name}.mp4")
    out = tmp_path / "out"
    assert (
        _interrupt_after_first_clip(
            src, "--out", out, "--workers", "1", *FAST, sig=sig, group=group
        )
        == code
    )
    summary = _summary(out)
    assert not summary["complete"]
    assert 1 <= len(summary["clips"]) < 4
    assert not list(out.rglob("*.tmp"))
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no hidden temporary file


def test_nothing_found(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no video here")
    res = batch(tmp_path, "--out", tmp_path / "out")
    assert res.returncode == 2
    assert "No video files found" in res.stderr


def test_discover(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    shutil.copy(SAMPLE, tmp_path / "d" / "e" / "clip.bin")  # a video without a video name
    (tmp_path / "d" / "x.txt").write_text("text")
    (tmp_path / "d" / "fake.mov").write_text("text")
    (tmp_path / "named.txt").write_text("text")
    found = discover([tmp_path / "d", tmp_path / "named.txt"])
    assert {p.path.name: p.explicit for p in found.inputs} == {
        "clip.bin": False,
        "fake.mov": False,
        "named.txt": True,
    }
    assert {p.name for p in found.inputs} == {"e/clip.bin", "fake.mov", "named.txt"}
    globbed = discover([str(tmp_path / "d" / "**" / "*.bin")]).inputs
    assert [(p.path.name, p.name) for p in globbed] == [("clip.bin", "e/clip.bin")]


@pytest.mark.parametrize(
    ("head", "video"),
    [
        (b"\x00\x00\x00\x20ftypisom" + bytes(20), True),
        (b"\x1a\x45\xdf\xa3" + bytes(40), True),
        (b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(20), True),
        ((b"\x47" + bytes(187)) * 8, True),
        (b"hello world, this is text" * 4, False),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), False),
    ],
)
def test_looks_like_video(tmp_path: Path, head: bytes, video: bool) -> None:
    p = tmp_path / "f"
    p.write_bytes(head)
    assert looks_like_video(p) is video


FORMULAS = [
    '=HYPERLINK("example.com","open me").mp4',
    "+1+1.mp4",
    "-2.mp4",
    "@SUM(A1).mp4",
    "\tcmd.mp4",
    "\rcmd.mp4",
]


@pytest.mark.forged_json  # hand-made rows: an "ok" row with no result file nor quality flags
def test_summary_csv_neutralises_formulas(tmp_path: Path) -> None:
    """Text cells that a spreadsheet would run get a leading quote; numbers stay numbers."""
    from stance.batch.rows import write_summary
    from stance.pipeline import Settings

    rows = [
        SummaryRow(
            name,
            RowStatus.OK,
            Outcome.NONE,
            left_stance_drop_deg=-3.2,
            right_stance_drop_deg=1.5,
            left_stance_hold_s=12,
        )
        for name in [*FORMULAS, "plain.mp4"]
    ]
    rows[-1] = dataclasses.replace(
        rows[-1], status=RowStatus.ERROR, error="=cmd|' /C calc'!A0", left_stance_drop_deg=None
    )
    write_summary(rows, tmp_path, settings=Settings(), complete=True)
    with (tmp_path / "summary.csv").open(newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["file"] for r in table] == [f"'{n}" for n in FORMULAS] + ["plain.mp4"]
    assert table[-1]["error"] == "'=cmd|' /C calc'!A0"
    for r in table[:-1]:
        assert r["left_stance_drop_deg"] == "-3.2" and float(r["left_stance_drop_deg"]) == -3.2
        assert r["right_stance_drop_deg"] == "1.5" and r["left_stance_hold_s"] == "12"
        assert r["status"] == "ok" and r["weak_side"] == "none" and r["resumed"] == "False"
    assert table[-1]["left_stance_drop_deg"] == ""
    doc = json.loads((tmp_path / "summary.json").read_text())  # the JSON keeps the values
    assert [r["file"] for r in doc["clips"]] == [*FORMULAS, "plain.mp4"]
    assert doc["clips"][0]["left_stance_drop_deg"] == -3.2


def test_formula_file_name_in_a_batch(tmp_path: Path) -> None:
    """A clip named like a formula, given relative to the working directory."""
    name = FORMULAS[0]
    (tmp_path / name).write_text("not a video\n" * 10)
    res = batch(name, "--out", "out", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    with (tmp_path / "out" / "summary.csv").open(newline="") as fh:
        (row,) = csv.DictReader(fh)
    assert row["file"] == "'" + name and row["status"] == "error"
    assert not row["error"].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert _rows(tmp_path / "out")[name]["file"] == name


def test_result_stem() -> None:
    from stance.batch.keys import NAME_RESERVE, result_stem
    from stance.core.atomic import NAME_MAX_FALLBACK

    content = "0123456789abcdef"
    assert result_stem("clip", content) == "clip-0123456789"  # short names as they are
    room = NAME_MAX_FALLBACK - NAME_RESERVE - len(".html")
    a, b = "x" * 239 + "a", "x" * 239 + "b"
    sa, sb = result_stem(a, content), result_stem(b, content)
    assert sa != sb and sa.startswith("x" * 100) and sa.endswith("-0123456789")
    assert len(sa.encode()) <= room and len(sb.encode()) <= room
    assert result_stem(a, content) == sa  # stable, so --resume finds it
    wide = "\u65e5\u672c\u00fc" * 80  # 2- and 3-byte characters: cut between characters
    sw = result_stem(wide, content)
    assert len(sw.encode()) <= room and sw.encode().decode() == sw
    assert sw.startswith(wide[:40]) and sw != result_stem(wide + "!", content)
    small = result_stem(a, content, limit=143)  # eCryptfs
    assert len(small.encode()) <= 143 - NAME_RESERVE - len(".html") and small != sa
    raw = os.fsdecode(b"\xff\xfe" * 150)  # not UTF-8: counted as the file system's bytes
    assert len(os.fsencode(result_stem(raw, content))) <= room


def test_long_clip_names(tmp_path: Path) -> None:
    """240-character names: results, reports and failure records within the name limit,
    two long names that differ only at the end kept apart, and found again on --resume."""
    from stance.batch.keys import NAME_RESERVE
    from stance.core.atomic import NAME_MAX_FALLBACK

    src = tmp_path / "in"
    src.mkdir()
    stem = ("\u00fc #?% long name " + "x" * 300)[:235]
    good = src / f"{stem}0.mp4"
    assert len(good.name) == 240
    shutil.copy(SAMPLE, good)
    bad = [src / f"{stem}{i}.mp4" for i in (1, 2)]  # same content, same start
    for p in bad:
        p.write_text("this is not a video\n" * 20)
    out = tmp_path / "out"
    res = batch(src, "--out", out, "--html", *FAST)
    assert res.returncode == 2, res.stderr  # the two bad clips
    assert "Traceback" not in res.stderr and "too long" not in res.stderr
    rows = _rows(out)
    assert rows[good.name]["status"] == "ok", rows[good.name]
    for p in bad:
        assert "text file" in rows[p.name]["error"]
    written = [p for p in out.rglob("*") if p.is_file()]
    assert all(len(os.fsencode(p.name)) <= NAME_MAX_FALLBACK - NAME_RESERVE for p in written)
    result = out / rows[good.name]["result"]
    assert result.is_file() and result.parent == out / "clips"
    assert json.loads(result.read_text())["input"]["path"] == good.name  # relative to src
    failed = {json.loads(p.read_text())["input"]["path"] for p in (out / "failed").iterdir()}
    assert failed == {p.name for p in bad}
    index = out / "index.html"
    (link,) = [html.unescape(h) for h in re.findall(r"<a href='([^']*)'>", index.read_text())]
    assert href_target(index, link) == result.with_suffix(".html")
    res = batch(src, "--out", out, "--html", "--resume", *FAST)
    assert res.returncode == 2, res.stderr
    assert {r["resumed"] for r in _rows(out).values()} == {True}


def test_name_not_utf8(tmp_path: Path) -> None:
    """A file name that is not UTF-8 does not cost the summary or the index."""
    bad = tmp_path / os.fsdecode(b"caf\xe9.mp4")
    bad.write_text("this is not a video\n" * 20)
    out = tmp_path / "out"
    res = batch(bad, "--out", out, "--html")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    with (out / "summary.csv").open(encoding="utf-8", newline="") as fh:  # strict UTF-8
        (row,) = csv.DictReader(fh)
    assert row["file"] == "caf\ufffd.mp4" and row["status"] == "error"
    assert "caf\ufffd.mp4" in (out / "index.html").read_text(encoding="utf-8")
    assert _summary(out)["clips"][0]["file"] == bad.name  # the JSON keeps the bytes


@pytest.mark.parametrize("case", ["under_a_file", "a_file", "clips_a_file", "read_only"])
def test_unusable_out_fails_first(tmp_path: Path, case: str) -> None:
    """An --out that cannot take the results: one line and exit 2, before any clip."""
    blocker = tmp_path / "file"
    blocker.write_text("a regular file\n")
    out = {"under_a_file": blocker / "out", "a_file": blocker}.get(case, tmp_path / "out")
    if case == "clips_a_file":
        out.mkdir()
        (out / "clips").write_text("in the way\n")
    if case == "read_only":
        out.mkdir()
        out.chmod(0o555)
        if os.access(out, os.W_OK):
            out.chmod(0o755)
            # root writes anyway; "under_a_file" still checks the refusal
            pytest.skip("running as root, for whom a read-only mode changes nothing")
    try:
        res = batch(SAMPLE, "--out", out, *FAST)
    finally:
        if out.is_dir():
            out.chmod(0o755)
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: --out"), res.stderr
    assert "Traceback" not in res.stderr
    assert not (out / "summary.csv").exists()  # nothing was analysed


def test_failure_rows() -> None:
    rec = {"error": {"type": "NoValidTestError", "message": "Nobody in x.mp4", "exit_code": 3}}
    row = SummaryRow.from_doc("x.mp4", rec)
    assert row.status is RowStatus.CANNOT_TELL and row.weak_side is Outcome.CANNOT_TELL
    assert row.reason is not None and row.reason.startswith("Nobody") and row.error is None
    rec = {"error": {"type": "BadInputError", "message": "x.mp4: corrupt", "exit_code": 2}}
    assert SummaryRow.from_doc("x.mp4", rec).status is RowStatus.ERROR
    rec = {"error": {"type": "BrokenProcessPool", "message": "worker failed: killed"}}
    assert SummaryRow.from_doc("x.mp4", rec).error == "worker failed: killed"


def test_dask_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from stance.batch.runner import run_batch
    from stance.pipeline import Settings

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLE, src / "a.mp4")
    (src / "notes.mp4").write_text("not a video\n")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        res = run_batch(
            [src],
            tmp_path / "out",
            settings=Settings(max_fps=5.0),
            cluster=cluster.scheduler_address,
        )
    rows = {Path(r.file).name: r for r in res.rows}
    assert rows["a.mp4"].status is RowStatus.OK and rows["a.mp4"].weak_side is Outcome.RIGHT
    assert "text file" in (rows["notes.mp4"].error or "")
    assert res.exit_code == 2


def test_columns_are_the_summary_row_fields() -> None:
    """The summary's columns, in the order of the files people already read."""
    assert COLUMNS == (
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
    row = SummaryRow.failure("x.mp4", "x.mp4 does not exist.")
    assert list(row.as_dict()) == list(COLUMNS) and row.as_dict()["status"] == "error"
