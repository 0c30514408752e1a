"""A person's tests over time: what one test leaves in the history, and how two compare.

A test is recorded from the analysis' JSON document (`stance.report.document.to_dict`), the same
for `stance analyze`, `live`, `batch` and `history --import`, so a history row always says
what the test's own report said.

Change between two tests of one standing leg (``compare``): the later drop minus the earlier,
each drop taken as at least 0 (a lifted side held level or higher is the healthy end, so
hiking it further is not an improvement). The change is real only when it exceeds both the
minimal detectable change of the angle, ``MDC_DROP_DEG`` = 4 deg (pelvis-on-femur angle in
single-leg stance, Youdas et al. 2007), and the two readings' combined measurement
uncertainty (k = 2 each, added in quadrature). A smaller change is "no real change"; a
larger one is "improved" (less drop) or "worse" (more). Without a drop on both sides of the
comparison it is "not comparable".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from stance.analysis.judge import Outcome
from stance.core.errors import BadInputError
from stance.io.recording import DateSource, Recording

MDC_DROP_DEG = 4.0
"""Minimal detectable change (deg) of the pelvis-on-femur angle in the Trendelenburg test:
Youdas JW, Mraz ST, Norstad BJ, Schinke JJ, Hollman JH, "Determining meaningful changes in
pelvic-on-femoral position during the Trendelenburg test", J Sport Rehabil 16(4):326-35,
2007 (90 healthy adults, goniometer, SEM 2 deg, MDC 4 deg)."""

SIDES = ("left", "right")
"""Standing legs, in the order they are shown."""

NAME_MAX = 200
"""The longest person's name (characters) a history keeps."""


def check_name(name: object, *, what: str = "--person") -> str:
    """A person's name, trimmed: 1-`NAME_MAX` characters on one line. The one check of
    every way a name gets into the history (``--person``, ``--person-from-folder``,
    ``--person-map``, ``stance history --import``).

    Raises:
        BadInputError: "<what> must be a name of 1-200 characters on one line."
    """
    trimmed = name.strip() if isinstance(name, str) else ""
    if not trimmed or len(trimmed) > NAME_MAX or any(c in trimmed for c in "\n\r\t"):
        raise BadInputError(f"{what} must be a name of 1-{NAME_MAX} characters on one line.")
    return trimmed


class Change(str, Enum):
    """How a standing leg's drop changed from one test to a later one."""

    IMPROVED = "improved"
    WORSE = "worse"
    NO_REAL_CHANGE = "no real change"
    NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class SideResult:
    """One standing leg in one test (degrees, seconds; None = not measured).

    Attributes:
        stance: "left" or "right", the standing leg (anatomical).
        status: the finding's status (`stance.analysis.judge.Status` value).
        drop_deg: pelvic drop of the lifted side; > 0 = lifted side lower.
        drop_uncertainty_deg: its measurement uncertainty (k = 2).
        drop_low_deg, drop_high_deg: the range the true drop is expected in.
        lean_deg: trunk lean toward the stance side.
        shift_frac: lateral shift toward the stance ankle (fraction of the way).
        hold_s: longest hold on this leg.
        meets_30s: whether that hold reached the clinical 30 s.
        age_norm_s: the hold norm for the person's age (when an age was given).
    """

    stance: str
    status: str
    drop_deg: float | None = None
    drop_uncertainty_deg: float | None = None
    drop_low_deg: float | None = None
    drop_high_deg: float | None = None
    lean_deg: float | None = None
    shift_frac: float | None = None
    hold_s: float | None = None
    meets_30s: bool | None = None
    age_norm_s: float | None = None


@dataclass(frozen=True)
class TestRecord:
    """One recorded test of one person.

    Attributes:
        person: the name given with ``--person``.
        tested_at: when the test was recorded (timezone-aware).
        date_source: where ``tested_at`` came from.
        input_name: the clip's file name ("camera" for a live session not recorded).
        content_sha256: SHA-256 of the clip (None for a live session not recorded).
        model, estimator: the pose model and the pelvic-drop estimator used.
        thresholds: every judging threshold (`stance.analysis.judge.Thresholds` as a dict).
        outcome: the verdict outcome.
        reason: the verdict's reason (for "cannot tell": the problem).
        summary: the verdict's one line.
        sides: the standing legs that were measured.
        json_report, html_report: paths of the test's own reports, where written.
        tool_version: version of stance that measured it.
        age: the age given with ``--age``.
        id: the row id in the history (None until stored).
    """

    person: str
    tested_at: datetime
    date_source: DateSource
    input_name: str
    content_sha256: str | None
    model: str
    estimator: str
    thresholds: dict[str, Any]
    outcome: Outcome
    reason: str
    summary: str
    sides: tuple[SideResult, ...]
    json_report: str | None
    html_report: str | None
    tool_version: str
    age: int | None = None
    id: int | None = None

    def side(self, stance: str) -> SideResult | None:
        return next((s for s in self.sides if s.stance == stance), None)


def record_from_doc(
    doc: dict[str, Any],
    *,
    person: str,
    recording: Recording,
    json_report: str | None = None,
    html_report: str | None = None,
) -> TestRecord:
    """The history record of the analysis JSON ``doc`` (schema ``stance.analysis/1.x``)."""
    holds = {h["stance"]: h for h in doc.get("holds", [])}
    sides = []
    for stance, f in sorted(doc.get("findings", {}).items()):
        hold = holds.get(stance, {})
        sides.append(
            SideResult(
                stance=stance,
                status=str(f.get("status", "")),
                drop_deg=f.get("drop_deg"),
                drop_uncertainty_deg=f.get("drop_uncertainty_deg"),
                drop_low_deg=f.get("drop_low_deg"),
                drop_high_deg=f.get("drop_high_deg"),
                lean_deg=f.get("lean_deg"),
                shift_frac=f.get("shift_frac"),
                hold_s=f.get("hold_s"),
                meets_30s=hold.get("meets_30s_criterion"),
                age_norm_s=hold.get("age_norm_s"),
            )
        )
    settings = doc.get("settings", {})
    verdict = doc.get("verdict", {})
    path = str(doc.get("input", {}).get("path", ""))
    return TestRecord(
        person=person,
        tested_at=recording.recorded_at,
        date_source=recording.date_source,
        input_name=path.replace("\\", "/").rsplit("/", 1)[-1] or "camera",
        content_sha256=recording.sha256,
        model=str(doc.get("model", {}).get("name", "")),
        estimator=str(settings.get("estimator", "")),
        thresholds=dict(settings.get("thresholds", {})),
        outcome=Outcome(verdict.get("outcome", Outcome.CANNOT_TELL)),
        reason=str(verdict.get("reason", "")),
        summary=str(verdict.get("summary", "")),
        sides=tuple(sides),
        json_report=json_report,
        html_report=html_report,
        tool_version=str(doc.get("tool", {}).get("version", "")),
        age=settings.get("age"),
    )


@dataclass(frozen=True)
class SideChange:
    """The change of one standing leg's drop between two tests.

    Attributes:
        change: the judgement (see the module docstring).
        delta_deg: later minus earlier drop, each at least 0 (None when not comparable).
        needed_deg: the change that counts as real: max(MDC, combined uncertainty).
    """

    change: Change
    delta_deg: float | None = None
    needed_deg: float | None = None


def compare(earlier: SideResult | None, later: SideResult | None) -> SideChange:
    """How the drop changed from ``earlier`` to ``later`` (see the module docstring)."""
    if earlier is None or later is None or earlier.drop_deg is None or later.drop_deg is None:
        return SideChange(Change.NOT_COMPARABLE)
    delta = max(later.drop_deg, 0.0) - max(earlier.drop_deg, 0.0)
    u = math.hypot(earlier.drop_uncertainty_deg or 0.0, later.drop_uncertainty_deg or 0.0)
    needed = max(MDC_DROP_DEG, u)
    if abs(delta) <= needed:
        change = Change.NO_REAL_CHANGE
    else:
        change = Change.IMPROVED if delta < 0 else Change.WORSE
    return SideChange(change, round(delta, 2), round(needed, 2))


@dataclass(frozen=True)
class HistoryRow:
    """One test with its changes per standing leg since the previous and the first test."""

    test: TestRecord
    since_previous: dict[str, SideChange] = field(default_factory=dict)
    since_first: dict[str, SideChange] = field(default_factory=dict)


def timeline(tests: list[TestRecord]) -> list[HistoryRow]:
    """One person's tests in date order, each compared with the previous and the first test
    in which that leg's drop was measured."""
    rows = []
    ordered = sorted(tests, key=lambda t: (t.tested_at, t.id or 0))
    for i, test in enumerate(ordered):
        prev: dict[str, SideChange] = {}
        first: dict[str, SideChange] = {}
        for stance in SIDES:
            sides = (t.side(stance) for t in ordered[:i])
            earlier = [s for s in sides if s is not None and s.drop_deg is not None]
            now = test.side(stance)
            prev[stance] = compare(earlier[-1] if earlier else None, now)
            first[stance] = compare(earlier[0] if earlier else None, now)
        rows.append(HistoryRow(test, prev, first))
    return rows
