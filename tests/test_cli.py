"""The command line as a user meets it: exit codes, one-line errors, no partial output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE


def stance(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stance", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def _assert_clean_failure(res: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr + res.stdout
    assert words.lower() in res.stderr.lower(), res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) <= 3, res.stderr  # one message (rich may wrap it)


def _blank_clip(path: Path, *, n: int = 40) -> Path:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (320, 240))
    rng = np.random.default_rng(0)
    for _ in range(n):
        w.write(rng.integers(90, 110, (240, 320, 3), dtype=np.uint8))
    w.release()
    return path


def test_help_lists_the_commands() -> None:
    res = stance("--help")
    assert res.returncode == 0
    for word in ("analyze", "models"):
        assert word in res.stdout


def test_missing_file(tmp_path: Path) -> None:
    json_out = tmp_path / "out.json"
    res = stance("analyze", tmp_path / "nope.mp4", "--json", json_out)
    _assert_clean_failure(res, 2, "no such file")
    assert not json_out.exists()


def test_directory(tmp_path: Path) -> None:
    _assert_clean_failure(stance("analyze", tmp_path), 2, "directory")


def test_text_file_named_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    _assert_clean_failure(stance("analyze", fake), 2, "video")


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    _assert_clean_failure(stance("analyze", empty), 2, "empty")


def test_mp4_cut_in_half(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    json_out = tmp_path / "cut.json"
    res = stance("analyze", cut, "--json", json_out)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert not json_out.exists()


def test_sample_in_mkv_with_40_s_of_audio_is_analysed(tmp_path: Path) -> None:
    """The 16-s sample muxed into MKV with 40 s of audio: the container claims 400 frames,
    160 decode; the clip is whole, so it is analysed (it was refused as truncated), and
    reported with its video's own length."""
    from videotools import with_long_audio

    clip = with_long_audio(SAMPLE, tmp_path / "long_audio.mkv", audio_s=40.0)
    json_out = tmp_path / "long_audio.json"
    res = stance("analyze", clip, "-q", "--json", json_out)
    assert res.returncode == 0, res.stderr
    assert "truncated" not in res.stderr + res.stdout
    doc = json.loads(json_out.read_text())
    assert doc["verdict"]["outcome"] == "right"
    assert (doc["video"]["n_frames"], doc["video"]["duration_s"]) == (160, 16.0)  # not 400, 40
    assert ", 16.0 s, 160 frames analysed" in res.stdout


def test_clip_with_nobody(tmp_path: Path) -> None:
    clip = _blank_clip(tmp_path / "nobody.mp4")
    json_out = tmp_path / "nobody.json"
    res = stance("analyze", clip, "--json", json_out)
    _assert_clean_failure(res, 3, "nobody")
    assert not json_out.exists()


def test_a_small_person_in_a_4k_frame_is_told_to_come_closer(tmp_path: Path) -> None:
    """4 s of the sample scaled to a fifth of a 3840x2160 frame: MediaPipe finds nobody, and
    the message says the person is too small in the picture (not only "film the whole body")."""
    from stance.io.ffmpeg import run_ffmpeg

    clip = tmp_path / "small_4k.mp4"
    run_ffmpeg(
        [
            *("-ss", "1", "-t", "4", "-i", str(SAMPLE), "-an"),
            *("-vf", "scale=-2:432,pad=3840:2160:(ow-iw)/2:(oh-ih)/2"),
            *("-c:v", "libx264", "-preset", "ultrafast", str(clip)),
        ]
    )
    res = stance("analyze", clip, "-q")
    _assert_clean_failure(res, 3, "Nobody was found in small_4k.mp4")
    message = " ".join(res.stderr.split())
    assert "too small in this 3840x2160 picture" in message
    assert "Move closer to the camera" in message


def test_unknown_estimator_is_bad_usage() -> None:
    _assert_clean_failure(stance("analyze", SAMPLE, "--estimator", "magic"), 2, "estimator")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--drop-threshold", "nan"),
        ("--drop-threshold", "-3"),
        ("--drop-threshold", "inf"),
        ("--lean-threshold", "nan"),
        ("--max-fps", "1e9"),
    ],
)
def test_numeric_options_must_be_finite_and_in_range(
    tmp_path: Path, option: str, value: str
) -> None:
    """A NaN threshold used to call a 3.1-degree drop "normal" and write bare NaN into the
    JSON; a negative one called both sides weak. Refused before any work, nothing written."""
    out = tmp_path / "x.json"
    res = stance("analyze", SAMPLE, option, value, "--json", out)
    _assert_clean_failure(res, 2, option)
    assert not out.exists()


def test_json_writers_are_strict(tmp_path: Path) -> None:
    """No bare NaN or Infinity in any JSON the tool writes: they become null."""
    from stance.core.atomic import strict_json

    text = strict_json({"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": -float("inf")}})
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": {"d": None}}
    assert "NaN" not in text and "Infinity" not in text


@pytest.mark.parametrize("outcome_code", [0])
def test_sample_json_is_complete(tmp_path: Path, outcome_code: int) -> None:
    out = tmp_path / "sample.json"
    res = stance("analyze", "--json", out)
    assert res.returncode == outcome_code, res.stderr
    assert "RIGHT gluteus medius" in res.stdout
    assert "not a diagnosis" in res.stdout
    doc = json.loads(out.read_text())
    assert doc["schema"].startswith("stance.analysis/")
    assert doc["verdict"]["outcome"] == "right"
    assert [t["lifted"] for t in doc["trials"]] == ["left", "right"]
    assert set(doc["findings"]) == {"left", "right"}
    assert doc["video"]["width"] == 480 and doc["video"]["height"] == 854
