"""Is a file a usable PoseLandmarker ``.task`` bundle? Checked without trusting it.

A bundle is a zip holding the two TFLite models (`TASK_MEMBERS`); each must be a sound TFLite
flatbuffer (`tflite_problem` reads its tables with bounds checks, so a truncated or forged file
is named, not crashed on), and on request MediaPipe must load it and run it once.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from stance.core.errors import ModelError
from stance.io.recording import file_sha256

TASK_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

TFLITE_IDENTIFIER = b"TFL3"
TFLITE_SCHEMA_VERSION = 3


class _MalformedError(Exception):
    """A TFLite flatbuffer does not hold together (the message says where)."""


class _FlatBuffer:
    """Bounds-checked reads of flatbuffer tables and vectors (little-endian)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)

    def uint(self, pos: int, width: int = 4) -> int:
        if not 0 <= pos <= self.n - width:
            raise _MalformedError("an offset points outside the file")
        return int.from_bytes(self.data[pos : pos + width], "little")

    def table(self, pos: int, what: str) -> tuple[int, int, int]:
        """(position, vtable position, vtable size) of the table at ``pos``."""
        if not 0 <= pos <= self.n - 4:
            raise _MalformedError(f"{what} lies outside the file")
        vtable = pos - int.from_bytes(self.data[pos : pos + 4], "little", signed=True)
        if not 0 <= vtable <= self.n - 4:
            raise _MalformedError(f"the vtable of {what} lies outside the file")
        vsize, tsize = self.uint(vtable, 2), self.uint(vtable + 2, 2)
        if vsize < 4 or vsize % 2 or vtable + vsize > self.n or tsize < 4 or pos + tsize > self.n:
            raise _MalformedError(f"{what} is malformed")
        return pos, vtable, vsize

    def field(self, table: tuple[int, int, int], index: int) -> int | None:
        """Position of field ``index`` of ``table``, None when it is absent."""
        pos, vtable, vsize = table
        slot = 4 + 2 * index
        off = self.uint(vtable + slot, 2) if slot + 2 <= vsize else 0
        return pos + off if off else None

    def vector(self, pos: int, item: int, what: str) -> tuple[int, int]:
        """(first element position, length) of the vector referenced at ``pos``."""
        vec = pos + self.uint(pos)
        count = self.uint(vec)
        if vec + 4 + item * count > self.n:
            raise _MalformedError(f"{what} run past the end of the file")
        return vec + 4, count

    def tables(self, pos: int, what: str) -> list[tuple[int, int, int]]:
        start, count = self.vector(pos, 4, what)
        return [self.table(p + self.uint(p), what) for p in range(start, start + 4 * count, 4)]


def tflite_problem(data: bytes) -> str | None:
    """Why ``data`` is not a TFLite model flatbuffer, or None when it is one.

    Checks the file identifier ("TFL3" at bytes 4-8) and the root table (``tflite.Model``):
    every offset and vtable inside the buffer, schema ``version`` 3, at least one subgraph,
    and the buffers (the weights) inside the file, so a truncated model is caught. It does
    not run the model.
    """
    if len(data) < 8:
        return f"{len(data)} bytes, too short for a TFLite model"
    if data[4:8] != TFLITE_IDENTIFIER:
        return "no TFLite file identifier (TFL3 at bytes 4-8)"
    fb = _FlatBuffer(data)
    try:
        model = fb.table(fb.uint(0), "the root table")
        pos = fb.field(model, 0)  # Model.version
        version = fb.uint(pos) if pos is not None else 0
        if version != TFLITE_SCHEMA_VERSION:
            return f"TFLite schema version {version}, expected {TFLITE_SCHEMA_VERSION}"
        pos = fb.field(model, 2)  # Model.subgraphs
        if pos is None or not fb.tables(pos, "the subgraphs"):
            return "it has no subgraphs"
        pos = fb.field(model, 4)  # Model.buffers
        if pos is None:
            return "it has no buffers"
        for buffer in fb.tables(pos, "the buffers"):
            pos = fb.field(buffer, 0)  # Buffer.data
            if pos is not None:
                fb.vector(pos, 1, "the weights")
            offset, size = fb.field(buffer, 1), fb.field(buffer, 2)  # data outside the tables
            start = fb.uint(offset, 8) if offset is not None and size is not None else 0
            if start > 1 and size is not None and start + fb.uint(size, 8) > fb.n:
                raise _MalformedError("the weights run past the end of the file")
    except _MalformedError as err:
        return str(err)
    return None


_LOADABLE: set[str] = set()
"""SHA-256 of the bundles MediaPipe was seen to load in this process."""


def task_file_problem(path: Path, *, load: bool = False) -> str | None:
    """Why ``path`` is not a usable PoseLandmarker ``.task`` bundle, or None when it is.

    A bundle is a zip with both TFLite models (`TASK_MEMBERS`), each a sound TFLite
    flatbuffer (`tflite_problem`). With ``load`` MediaPipe must also create a
    PoseLandmarker from it (once per file content in a process: the verdict is kept by
    SHA-256).
    """
    if path.is_dir():
        return f"{path} is a directory, not a .task file"
    if not path.exists():
        return f"{path} does not exist"
    if not path.is_file():
        return f"{path} is not a regular file"
    unusable = f"{path} is not a usable PoseLandmarker .task bundle"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = [m for m in TASK_MEMBERS if m not in names]
            if missing:
                return f"{unusable} (missing {', '.join(missing)})"
            bad = z.testzip()
            if bad is not None:
                return f"{unusable} (corrupt member {bad})"
            for member in TASK_MEMBERS:
                problem = tflite_problem(z.read(member))
                if problem is not None:
                    return f"{unusable} ({member} is not a TFLite model: {problem})"
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError) as err:
        return f"{path} is not a PoseLandmarker .task bundle ({err})"
    except NotImplementedError as err:  # a compression method zipfile cannot read
        return f"{unusable} ({err})"
    if load:
        digest = file_sha256(path)
        if digest not in _LOADABLE:
            import numpy as np

            from stance.vision.landmarker import PoseEstimator, one_line

            try:  # load it and run it once (a blank frame runs the person detector)
                with PoseEstimator(path, num_poses=1) as estimator:
                    estimator.detect(np.zeros((256, 256, 3), np.uint8), 0.0)
            except ModelError as err:
                cause = err.__cause__ if err.__cause__ is not None else err
                return f"MediaPipe cannot use {path} ({one_line(cause, limit=200)})"
            _LOADABLE.add(digest)
    return None


def check_task_file(path: Path, *, load: bool = False) -> None:
    """Raise ModelError unless ``path`` is a usable PoseLandmarker bundle (see
    `task_file_problem`); the message says what to do."""
    problem = task_file_problem(path, load=load)
    if problem is not None:
        raise ModelError(
            f"{problem}: pass --model a PoseLandmarker .task file, "
            "or use a cached model (`stance models list`, `stance models fetch`)."
        )
