"""`stance batch --html`: a report per clip and an index page that links them, also on resume."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from browser import needs_chromium, screenshot_page
from conftest import REPO
from stance.analysis.judge import Outcome
from stance.batch.index import report_path, to_index_html, write_index
from stance.batch.rows import COLUMNS, RowStatus, SummaryRow
from test_batch import FAST, _interrupt_after_first_clip, _summary, batch, href_target

SAMPLES = sorted((REPO / "sample_videos").glob("*.mp4"))


class _Page(HTMLParser):
    """The clip rows of an index page: per row its class, link and text; every src/href."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.refs: list[str] = []
        self._row: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.refs += [v for k, v in attrs if k in ("src", "href") and v is not None]
        if tag == "tr" and "clip" in (a.get("class") or "").split():
            self._row = {"class": a["class"], "href": None, "text": ""}
            self.rows.append(self._row)
        elif tag == "a" and self._row is not None:
            self._row["href"] = a.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row["text"] += data


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def _by_name(page: _Page) -> dict[str, dict[str, Any]]:
    return {r["text"].split(".mp4")[0] + ".mp4": r for r in page.rows}


def _assert_self_contained(text: str) -> None:
    assert "<script" not in text.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*['"]?\s*(?:https?:)?//""", text, re.I)
    assert "@import" not in text and "url(" not in text


@pytest.fixture(scope="module")
def html_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path, Any]:
    """The bundled samples and a truncated clip, batched once with --html (at 5 fps)."""
    root = tmp_path_factory.mktemp("batch_html")
    broken = root / "broken.mp4"
    data = SAMPLES[0].read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    inputs = [*SAMPLES, broken]
    out = root / "out"
    res = batch(*inputs, "--out", out, "--html", "--workers", "1", *FAST)
    return inputs, out, res


def test_index_links_every_report(html_batch: tuple[list[Path], Path, Any]) -> None:
    inputs, out, res = html_batch
    assert res.returncode == 2, res.stderr  # the broken clip failed
    assert str(out / "index.html") in res.stderr
    index = out / "index.html"
    text = index.read_text()
    _assert_self_contained(text)
    page = _page(index)
    rows = _by_name(page)
    assert len(page.rows) == len(inputs) and set(rows) == {p.name for p in inputs}
    summary = {Path(r["file"]).name: r for r in _summary(out)["clips"]}
    for p in SAMPLES:
        row = rows[p.name]
        assert summary[p.name]["status"] == "ok"
        assert row["href"] and not row["href"].startswith(("/", "file:"))
        report = href_target(index, row["href"]).resolve()
        assert report == report_path(out / summary[p.name]["result"]).resolve()
        assert report.is_file()
        page_text = report.read_text()
        assert f"<title>stance: {p.name}</title>" in page_text
        _assert_self_contained(page_text)
    sample = rows["sample_right_weak.mp4"]
    assert sample["class"] == "clip weak" and "RIGHT gluteus medius looks weak" in sample["text"]
    assert summary["sample_right_weak.mp4"]["weak_side"] == "right"
    assert re.search(r"true [+-]\d+\.\d to [+-]\d+\.\d", sample["text"])  # true-drop range
    err = rows["broken.mp4"]
    assert err["class"] == "clip error" and err["href"] is None
    assert "truncated" in err["text"] and "truncated" in summary["broken.mp4"]["error"]
    assert f"<b>{len(inputs)}</b> clips" in text
    assert not list(out.rglob("*.tmp"))


def test_resume_makes_a_missing_report(
    html_batch: tuple[list[Path], Path, Any], tmp_path: Path
) -> None:
    inputs, first, _res = html_batch
    out = tmp_path / "out"
    shutil.copytree(first, out)
    (result,) = (out / "clips").glob("sample_right_weak-*.json")
    report = report_path(result)
    # without --html nothing is redone, but the existing index is rebuilt
    (out / "index.html").write_text("stale")
    res = batch(*inputs, "--out", out, "--resume", *FAST)
    assert res.returncode == 2, res.stderr
    assert {r["resumed"] for r in _summary(out)["clips"]} == {True}
    assert len(_page(out / "index.html").rows) == len(inputs)
    # --html and a missing report: that clip is analysed again, its report written
    report.unlink()
    res = batch(*inputs, "--out", out, "--resume", "--html", *FAST)
    assert res.returncode == 2, res.stderr
    rows = {Path(r["file"]).name: r for r in _summary(out)["clips"]}
    assert not rows["sample_right_weak.mp4"]["resumed"] and rows["broken.mp4"]["resumed"]
    assert report.is_file()
    href = _by_name(_page(out / "index.html"))["sample_right_weak.mp4"]["href"]
    assert href_target(out / "index.html", href).resolve() == report.resolve()
    # everything there: nothing is redone
    mtimes = {p: p.stat().st_mtime_ns for p in (result, report)}
    res = batch(*inputs, "--out", out, "--resume", "--html", *FAST)
    assert res.returncode == 2, res.stderr
    assert {r["resumed"] for r in _summary(out)["clips"]} == {True}
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_ctrl_c_still_writes_the_index(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(SAMPLES[0], src / f"{name}.mp4")
    out = tmp_path / "out"
    _interrupt_after_first_clip(src, "--out", out, "--html", "--workers", "1", *FAST)
    text = (out / "index.html").read_text()
    assert "interrupted" in text
    page = _page(out / "index.html")
    assert 1 <= len(page.rows) < 3
    assert all(
        r["href"] and href_target(out / "index.html", r["href"]).is_file() for r in page.rows
    )


def _row(file: str, status: str, weak_side: str | None = None, **kw: Any) -> SummaryRow:
    side = None if weak_side is None else Outcome(weak_side)
    return SummaryRow(file, RowStatus(status), side, **kw)


def test_index_rows_without_results(tmp_path: Path) -> None:
    """Rows from failure records or with a lost result: no link, words, escaped names."""
    rows = [
        _row(file="x/<b>odd</b>'.mp4", status="error", error="x: <corrupt> & broken."),
        _row(
            file="dark.mp4",
            status="cannot_tell",
            weak_side="cannot_tell",
            reason="Nobody was found in dark.mp4",
        ),
        _row(
            file="gone.mp4",
            status="ok",
            weak_side="none",
            result="clips/gone-1.json",
            left_stance_drop_deg=0.4,
            left_stance_hold_s=12.0,
        ),
    ]
    text = to_index_html(rows, tmp_path, settings={"max_fps": 5.0}, complete=True)
    _assert_self_contained(text)
    assert "<b>odd</b>" not in text and "&lt;b&gt;odd&lt;/b&gt;" in text
    assert "&lt;corrupt&gt; &amp; broken." in text
    page = _Page()
    page.feed(text)
    assert [r["class"] for r in page.rows] == ["clip error", "clip cannot_tell", "clip none"]
    assert all(r["href"] is None for r in page.rows)
    assert "Cannot tell: Nobody was found" in page.rows[1]["text"]
    assert "+0.4 deg" in page.rows[2]["text"] and "12.0 s" in page.rows[2]["text"]
    assert "interrupted" not in text


AWKWARD = [
    "a#b",
    "what?",
    "100%",
    "%41",  # must not open A
    "with space",
    "\u00fcn\u00ef \u65e5\u672c",
    "new\nline",
    "it's & <x>",
    "tab\there",
    "colon:semi;plus+",
    os.fsdecode(b"caf\xe9 latin-1"),  # not UTF-8
    "a#b \u00fc%41?x\ny",  # the one opened in Chromium
]


def _awkward_index(out: Path) -> Path:
    """An index whose clips have awkward names, each with a result and a report: a green page."""
    (out / "clips").mkdir(parents=True)
    rows = []
    for name in AWKWARD:
        result = out / "clips" / f"{name}-0123456789.json"
        result.write_text(json.dumps({"verdict": {"summary": "No weak side."}}))
        report_path(result).write_text(
            "<!DOCTYPE html><html><body style='margin:0;background:#00c800'></body></html>"
        )
        rel = result.relative_to(out).as_posix()  # as the batch writes it
        rows.append(_row(file=f"in/{name}.mp4", status="ok", weak_side="none", result=rel))
    (out / "clips" / "A-0123456789.html").write_text("the wrong file")
    return write_index(rows, out, settings={}, complete=True)


def test_index_links_awkward_names(tmp_path: Path) -> None:
    """Every link resolves (as a browser resolves it) to that clip's report."""
    index = _awkward_index(tmp_path / "out")
    page = _page(index)
    assert len(page.rows) == len(AWKWARD)
    for name, row in zip(AWKWARD, page.rows, strict=True):
        assert row["href"] and not row["href"].startswith(("/", "file:"))
        want = tmp_path / "out" / "clips" / f"{name}-0123456789.html"
        assert href_target(index, row["href"]) == want and want.is_file()


@needs_chromium
def test_awkward_link_opens_in_chromium(tmp_path: Path) -> None:
    """Chromium itself follows the index's link of the most awkward name: the index's href,
    as written in the page, is the source of an iframe in a page beside the index; the
    report (a green page) must show in it, not Chromium's "file not found" page."""
    out = tmp_path / "out"
    index = _awkward_index(out)
    hrefs = re.findall(r"<a href='([^']*)'>", index.read_text())
    assert len(hrefs) == len(AWKWARD)
    probe = out / "probe.html"
    probe.write_text(
        "<!DOCTYPE html><html><body style='margin:0;background:#fff'>"
        f"<iframe src='{hrefs[-1]}' style='border:0;width:400px;height:300px'></iframe>"
        "</body></html>"
    )
    img = screenshot_page(probe, tmp_path, width=600, height=400)
    b, g, r = (int(v) for v in img[150, 200])
    assert g > 150 and r < 60 and b < 60, f"the report did not open: BGR {(b, g, r)}"
    b, g, r = (int(v) for v in img[350, 500])
    assert min(b, g, r) > 200  # outside the frame: the probe's white page


@needs_chromium
def test_index_renders_in_headless_chromium(
    html_batch: tuple[list[Path], Path, Any], tmp_path: Path
) -> None:

    _inputs, out, _res = html_batch
    img = screenshot_page((out / "index.html"), tmp_path, width=1300, height=700)
    assert img is not None and img.shape[:2] == (700, 1300)
    assert float(img.std()) > 10  # not blank


def test_summary_json_is_unchanged_by_html(html_batch: tuple[list[Path], Path, Any]) -> None:
    _inputs, out, _res = html_batch
    doc = json.loads((out / "summary.json").read_text())
    assert all(list(r) == list(COLUMNS) for r in doc["clips"])
