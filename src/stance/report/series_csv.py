"""Per-frame time series of an analysis as CSV (`stance analyze --csv PATH`).

One row per analysed frame. ``drop_deg``/``lean_deg``/``shift_frac`` come from the trial
series (`stance.analysis.measure.TrialSeries`) where the frame lies in a trial's window (its
baseline start to the trial end) and are empty elsewhere. `frame_table` builds the columns (no I/O);
`write_csv` writes them atomically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from stance.analysis.measure import TrialMetrics, series_start, settled_hold
from stance.analysis.segment import BOTH_DOWN, LEFT_UP, RIGHT_UP
from stance.core.atomic import write_atomic
from stance.core.track import LM
from stance.pipeline import Analysis

COLUMNS = (
    "t_s",
    "phase",
    "trial",
    "drop_deg",
    "lean_deg",
    "shift_frac",
    "hip_visibility",
    "ankle_visibility",
)

PHASES = {BOTH_DOWN: "both", LEFT_UP: "left_up", RIGHT_UP: "right_up"}
"""Codes of `Segmentation.lifted` as words; any other code is 'unknown'."""

UNITS_LINE = (
    "# units: t_s seconds from the start of the file; phase both|left_up|right_up|unknown "
    "(the person's own sides); trial = index into the JSON trials[] (empty outside a trial "
    "window = its baseline start to its end); drop_deg degrees, > 0 = the LIFTED side of the "
    "pelvis lower than in the baseline; lean_deg degrees, > 0 = trunk toward the STANCE side; "
    "shift_frac = centre-of-mass shift toward the stance ankle as a fraction of its baseline "
    "distance; hip_visibility/ankle_visibility = the lower of the two sides' pose-model "
    "visibility, 0-1"
)


def trial_start_index(m: TrialMetrics) -> int:
    """Track index of the first frame of the trial's series (baseline start or trial start)."""
    return series_start(m.trial)


def settled_indices(a: Analysis, m: TrialMetrics) -> np.ndarray:
    """Track indices of the settled hold of a trial (`stance.analysis.measure.settled_hold`)."""
    return settled_hold(m.trial, a.track.t_s, a.segmentation.lifted)


def frame_table(a: Analysis) -> dict[str, np.ndarray]:
    """The CSV columns as arrays of length T (NaN where empty; ``trial`` is -1 for none)."""
    T = len(a.track)
    nan = np.full(T, np.nan)
    cols: dict[str, np.ndarray] = {
        "t_s": np.asarray(a.track.t_s, dtype=float),
        "phase": np.array([PHASES.get(int(c), "unknown") for c in a.segmentation.lifted]),
        "trial": np.full(T, -1, dtype=int),
        "drop_deg": nan.copy(),
        "lean_deg": nan.copy(),
        "shift_frac": nan.copy(),
    }
    vis = a.track.visibility
    cols["hip_visibility"] = np.minimum(vis[:, LM.LEFT_HIP], vis[:, LM.RIGHT_HIP])
    cols["ankle_visibility"] = np.minimum(vis[:, LM.LEFT_ANKLE], vis[:, LM.RIGHT_ANKLE])
    # windows first, then the holds themselves on top (a hold belongs to its own trial)
    for holds_only in (False, True):
        for k, m in enumerate(a.measurements.trials):
            s = trial_start_index(m)
            idx = np.arange(s, s + m.series.t_s.shape[0])
            sel = idx >= m.trial.i0 if holds_only else cols["trial"][idx] < 0
            idx = idx[sel]
            j = idx - s
            cols["trial"][idx] = k
            cols["drop_deg"][idx] = m.series.drop_deg[j]
            cols["lean_deg"][idx] = m.series.lean_deg[j]
            cols["shift_frac"][idx] = m.series.shift_frac[j]
    return cols


def _cell(x: object, nd: int) -> str:
    if isinstance(x, str):
        return x
    v = float(x)  # type: ignore[arg-type]
    return f"{v:.{nd}f}" if math.isfinite(v) else ""


def to_csv(a: Analysis) -> str:
    """The whole CSV document: the units comment, the header and one row per frame."""
    cols = frame_table(a)
    digits = {"t_s": 4, "drop_deg": 3, "lean_deg": 3, "shift_frac": 4}
    lines = [UNITS_LINE, ",".join(COLUMNS)]
    for i in range(len(cols["t_s"])):
        row = []
        for c in COLUMNS:
            if c == "trial":
                k = int(cols[c][i])
                row.append(str(k) if k >= 0 else "")
            else:
                row.append(_cell(cols[c][i], digits.get(c, 3)))
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def write_csv(a: Analysis, path: Path) -> None:
    """Write the per-frame CSV of ``a`` to ``path`` atomically."""
    write_atomic(to_csv(a), path)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula (or becomes one) in a spreadsheet."""


def csv_cell(value: Any) -> Any:
    """A value as written to a CSV file people open in spreadsheets (``summary.csv``, the
    history CSV): None is empty, and a TEXT cell that a spreadsheet would run as a formula
    (`FORMULA_START`, e.g. from a file named ``=HYPERLINK(...).mp4`` or an error message)
    gets a leading single quote (OWASP's CSV injection advice). Numbers stay numbers: a drop
    of -3.2 is written as -3.2."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
