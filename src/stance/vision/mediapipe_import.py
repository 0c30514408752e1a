"""``import mediapipe`` without the parts a pose landmarker never uses.

MediaPipe's package imports every task's module at once; two of them cost most of its
start-up (about 2.4 s of 2.8 s on a 2-core machine without cached bytecode): its drawing
helpers import matplotlib, its audio tasks sounddevice. They are given a lazy loader
(`importlib.util.LazyLoader`): imported, so the package is whole, but their code runs only
when something reads one of their attributes (stance never does).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

_LAZY_MODULES = frozenset(
    {
        "mediapipe.tasks.python.vision.drawing_styles",  # they import matplotlib: ~1.8 s
        "mediapipe.tasks.python.vision.drawing_utils",
        "sounddevice",  # for MediaPipe's audio tasks: ~0.6 s
    }
)


_FIRST_IMPORT = threading.Lock()


class _LazyModules(importlib.abc.MetaPathFinder):
    """Gives the modules MediaPipe's package imports but a pose landmarker never uses a lazy
    loader (`importlib.util.LazyLoader`): they are imported, but their code runs only when
    something reads one of their attributes (stance never does). Times: start-up on a 2-core
    machine."""

    def find_spec(
        self, fullname: str, path: Any, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _LAZY_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def import_mediapipe() -> ModuleType:
    """``import mediapipe``, without running the modules a pose landmarker does not need
    (`_LazyModules`) when this is the process's first import of it. Thread-safe: the decoding
    thread and the main thread may both ask first."""
    with _FIRST_IMPORT:
        if "mediapipe" not in sys.modules:
            finder = _LazyModules()
            sys.meta_path.insert(0, finder)
            try:
                importlib.import_module("mediapipe")
            finally:
                sys.meta_path.remove(finder)
    return importlib.import_module("mediapipe")
