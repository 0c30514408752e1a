"""The CSV time series and the self-contained HTML report of `stance analyze`."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import SAMPLE
from stance.report import finding_sentence, summary_line, to_dict
from stance.report_csv import COLUMNS, settled_indices, write_csv
from stance.report_html import write_html
from test_cli import stance

CHROMIUM = Path("/usr/bin/chromium")


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
        got = float(np.nanmedian(data["drop_deg"][settled]))
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
    import stance.report_html as rh

    def boom(_a: Any) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(rh, "timeline_png", boom)
    path = tmp_path / "r.html"
    with pytest.raises(RuntimeError):
        write_html(analysis, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed at /usr/bin/chromium")
def test_html_renders_in_headless_chromium(html_file: Path, tmp_path: Path) -> None:
    import cv2

    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            html_file.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (2000, 1200)
    assert float(img.std()) > 10  # not blank


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
