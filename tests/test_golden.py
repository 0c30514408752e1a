"""The analysis JSON of the sample and of every footage clip is what it was when stored
(tests/golden/*.json): a refactor must not change a result.

Compared: every field of the stored document except where the file is (``input``, the
model's path), the tool's version and the timings. Strings, booleans, integers and the
document's shape must match exactly; numbers within 1e-6 (they are rounded when written, so
any real change shows). Keys added under ``settings`` or ``quality`` are allowed (new
recorded parameters); any other new key fails, as does a missing one. When a result is
meant to change, regenerate the stored files and say why in the commit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import FOOTAGE, SAMPLE

GOLDEN = Path(__file__).parent / "golden"
VOLATILE = {"input", "tool", "timings_s"}
MAY_GROW = {"settings", "quality"}
TOLERANCE = 1e-6


def _differences(stored: Any, got: Any, where: str, grow: bool = False) -> list[str]:
    if isinstance(stored, dict) and isinstance(got, dict):
        out: list[str] = []
        extra = set(got) - set(stored)
        if extra and not grow:
            out.append(f"{where}: new keys {sorted(extra)}")
        for key in sorted(stored):
            if key not in got:
                out.append(f"{where}.{key}: missing")
            else:
                out += _differences(
                    stored[key], got[key], f"{where}.{key}", grow or key in MAY_GROW
                )
        return out
    if isinstance(stored, list) and isinstance(got, list):
        if len(stored) != len(got):
            return [f"{where}: {len(stored)} items stored, {len(got)} now"]
        return [d for i, (s, g) in enumerate(zip(stored, got, strict=True)) for d in
                _differences(s, g, f"{where}[{i}]", grow)]  # fmt: skip
    numbers = (int, float)
    if (
        isinstance(stored, float) and isinstance(got, numbers) and not isinstance(got, bool)
    ) and math.isclose(stored, got, rel_tol=0, abs_tol=TOLERANCE):
        return []
    if type(stored) is not type(got) or stored != got:
        return [f"{where}: stored {stored!r}, now {got!r}"]
    return []


def _document(analysis: Any) -> dict[str, Any]:
    from stance.report.document import to_dict

    doc = json.loads(json.dumps(to_dict(analysis)))  # as written: rounded, strict JSON
    for key in VOLATILE:
        doc.pop(key, None)
    doc["model"].pop("path", None)
    return doc


CLIPS = sorted(p.stem for p in GOLDEN.glob("*.json"))
CASES = [c if c == SAMPLE.stem else pytest.param(c, marks=pytest.mark.footage) for c in CLIPS]


def test_every_clip_has_a_stored_document() -> None:
    assert SAMPLE.stem in CLIPS
    assert len(CLIPS) >= 8


@pytest.mark.parametrize("clip", CASES)
def test_analysis_json_is_unchanged(clip: str, analysed: Callable[..., Any]) -> None:
    path = SAMPLE if clip == SAMPLE.stem else FOOTAGE / f"{clip}.mp4"
    if not path.exists():
        pytest.skip(f"{path} is absent (real footage lives in ../shared/footage)")
    stored = json.loads((GOLDEN / f"{clip}.json").read_text())
    for key in VOLATILE:
        stored.pop(key, None)
    diffs = _differences(stored, _document(analysed(path)), clip)
    assert not diffs, "\n".join(diffs[:20])


def test_the_comparison_sees_a_change() -> None:
    stored = json.loads((GOLDEN / f"{SAMPLE.stem}.json").read_text())
    changed = json.loads(json.dumps(stored))
    changed["trials"][0]["drop_deg"] += 0.01
    changed["settings"]["new_knob"] = 1
    assert _differences(stored, stored, "") == []
    assert [d for d in _differences(stored, changed, "") if "drop_deg" in d]
    assert not [d for d in _differences(stored, changed, "") if "new_knob" in d]
    changed["extra"] = 1
    assert [d for d in _differences(stored, changed, "") if "extra" in d]
