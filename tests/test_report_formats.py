"""The CSV time series and the self-contained HTML report of `stance analyze`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from browser import needs_chromium, screenshot_page
from conftest import SAMPLE, footage
from stance.analysis.measure import held_level
from stance.report.document import to_dict
from stance.report.html_page import write_html
from stance.report.series_csv import COLUMNS, settled_indices, write_csv
from stance.report.wording import finding_sentence, summary_line
from test_cli import stance


@pytest.fixture(scope="module")
def analysis(analysed: Callable[..., Any]) -> Any:
    return analysed(SAMPLE)


@pytest.fixture(scope="module")
def html_file(analysis: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    write_html(analysis, path)
    return path


def test_csv_loads_and_matches_the_json(analysis: Any, tmp_path: Path) -> None:
    path = tmp_path / "frames.csv"
    write_csv(analysis, path)
    text = path.read_text()
    assert text.startswith("# units:")
    data = np.genfromtxt(
        path, delimiter=",", names=True, skip_header=1, comments="#", dtype=None, encoding="utf-8"
    )
    assert tuple(data.dtype.names) == COLUMNS
    assert len(data) == len(analysis.track)
    np.testing.assert_allclose(data["t_s"], analysis.track.t_s, atol=1e-4)
    doc = to_dict(analysis)
    trial = np.array([int(x) if str(x).strip() not in ("", "-1") else -1 for x in data["trial"]])
    assert len(doc["trials"]) == 2
    for k, (m, t) in enumerate(zip(analysis.measurements.trials, doc["trials"], strict=True)):
        hold = np.arange(m.trial.i0, m.trial.i1)
        assert np.all(trial[hold] == k)
        phase = data["phase"][hold]
        assert np.mean(phase == f"{t['lifted']}_up") > 0.8  # phases agree with the trial
        settled = settled_indices(analysis, m)
        assert np.all(data["phase"][settled] == f"{t['lifted']}_up")
        got = held_level(data["drop_deg"][settled])  # the JSON's drop from the CSV series
        assert got == pytest.approx(t["drop_deg"], abs=0.02)
        assert float(np.nanmedian(data["lean_deg"][settled])) == pytest.approx(
            t["lean_deg"], abs=0.02
        )
    outside = trial < 0
    assert np.all(np.isnan(data["drop_deg"][outside]))
    assert set(np.unique(data["phase"])) <= {"both", "left_up", "right_up", "unknown"}
    assert np.all((data["hip_visibility"] >= 0) & (data["hip_visibility"] <= 1))


def test_html_is_self_contained(analysis: Any, html_file: Path) -> None:
    text = html_file.read_text()
    assert "<h1>" in text
    assert summary_line(analysis.verdict) in text
    assert "RIGHT gluteus medius looks weak" in text
    for f in analysis.verdict.findings.values():
        assert finding_sentence(f).replace("'", "&#x27;") in text
    assert text.count("data:image/png;base64,") >= 3
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    assert "not a diagnosis" in text
    assert "Wall hip bump" in text  # the exercises for the weak side
    unc = to_dict(analysis)["findings"]["right"]["drop_uncertainty_deg"]
    assert f"{unc:.1f} deg" in text


def test_write_fails_without_a_partial_file(
    analysis: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stance.report.html_page as rh

    def boom(_a: Any) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(rh, "timeline_png", boom)
    path = tmp_path / "r.html"
    with pytest.raises(RuntimeError):
        write_html(analysis, path)
    assert list(tmp_path.iterdir()) == []


def _colour_share(img: np.ndarray, hex_rgb: str, tol: int = 12) -> float:
    """Share of the screenshot's pixels within ``tol`` of the colour ``#rrggbb``."""
    bgr = [int(hex_rgb[i : i + 2], 16) for i in (5, 3, 1)]
    return float(np.all(np.abs(img.astype(int) - bgr) <= tol, axis=-1).mean())


def _check_rendered(img: np.ndarray, *, card_bg: str, shades: tuple[str, ...]) -> None:
    """The verdict card, a key frame with its skeleton and the timeline are on screen."""
    assert _colour_share(img, card_bg, tol=3) > 0.005, "verdict card not visible"
    assert _colour_share(img, "#ffc800", tol=30) > 2e-5, "no skeleton joints: key frame missing"
    for shade in shades:
        assert _colour_share(img, shade, tol=6) > 1e-3, f"timeline phase shading {shade} missing"


@needs_chromium
def test_html_renders_in_headless_chromium(html_file: Path, tmp_path: Path) -> None:
    img = screenshot_page(html_file, tmp_path, width=1200, height=2400)
    assert img.shape[:2] == (2400, 1200)
    # red card (a weak side), both trials shaded: orange = LEFT foot up, green = RIGHT foot up
    _check_rendered(img, card_bg="#fdf0ee", shades=("#f6d6a8", "#bfe3c6"))


@needs_chromium
@pytest.mark.footage
def test_tree_pose_report_renders_in_headless_chromium(
    analysed: Callable[..., Any], tmp_path: Path
) -> None:
    a = analysed(footage("tree_pose_right_studio.mp4"))
    page = tmp_path / "tree.html"
    write_html(a, page)
    img = screenshot_page(page, tmp_path, width=1200, height=2400)
    # one side tested: a yellow "cannot tell" card; the RIGHT-foot hold shaded green
    _check_rendered(img, card_bg="#fdf8e6", shades=("#bfe3c6",))


def test_cli_writes_csv_and_html(tmp_path: Path) -> None:
    csv, page, js = tmp_path / "a.csv", tmp_path / "a.html", tmp_path / "a.json"
    video = tmp_path / "a.mp4"
    res = stance(
        "analyze", SAMPLE, "--json", js, "--csv", csv, "--html", page, "--annotated", video
    )
    assert res.returncode == 0, res.stderr
    assert "RIGHT gluteus medius" in res.stdout
    assert js.exists() and csv.read_text().startswith("# units:")
    assert page.read_text().count("data:image/png;base64,") >= 3
    assert video.stat().st_size > 10_000 and "Annotated video written" in res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.html", "a.json", "a.mp4"]


def test_cli_output_path_that_is_a_directory(tmp_path: Path) -> None:
    for flag in ("--csv", "--html"):
        res = stance("analyze", SAMPLE, flag, tmp_path)
        assert res.returncode == 2, res.stderr
        assert "directory" in res.stderr and "Traceback" not in res.stderr


def test_html_and_csv_without_trials(analysis: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    bare = replace(
        analysis,
        measurements=replace(analysis.measurements, trials=()),
        segmentation=replace(analysis.segmentation, trials=()),
    )
    write_html(bare, tmp_path / "r.html")
    write_csv(bare, tmp_path / "r.csv")
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == 1
    assert "not a diagnosis" in (tmp_path / "r.html").read_text()
