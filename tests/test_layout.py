"""The package layout keeps its promises: the analysis step reads no pixels, every module
is importable on its own, and the CLI imports nothing heavy before a command runs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "stance"
PIXEL_LIBRARIES = ("cv2", "mediapipe")
PACKAGES = ("core", "io", "vision", "analysis", "report", "live", "batch", "history", "cli")


def _modules(package: str) -> list[str]:
    return sorted(
        f"stance.{package}.{p.stem}" for p in (SRC / package).glob("*.py") if p.stem != "__init__"
    )


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted({k.split('.')[0] for k in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_analysis_modules_name_no_pixel_library() -> None:
    files = sorted((SRC / "analysis").glob("*.py"))
    assert len(files) >= 8
    for path in files:
        assert not _imported_roots(path) & set(PIXEL_LIBRARIES), path.name


def test_analysis_package_loads_no_pixel_library_even_indirectly() -> None:
    loaded = _loaded_after_import(_modules("analysis"))
    assert "numpy" in loaded  # the probe does see what the modules load
    assert not loaded & set(PIXEL_LIBRARIES)


def test_mediapipe_only_in_vision_and_the_offline_model_build() -> None:
    users = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
             if "mediapipe" in _imported_roots(p)}  # fmt: skip
    assert users == {"vision/landmarker.py", "io/model_build.py"}


def test_core_history_and_pipeline_read_no_pixels() -> None:
    for path in [*(SRC / "core").glob("*.py"), *(SRC / "history").glob("*.py"),
                 SRC / "pipeline.py"]:  # fmt: skip
        assert not _imported_roots(path) & set(PIXEL_LIBRARIES), path


def test_every_module_imports_first() -> None:
    """Each module imported first, into a fresh set of stance modules (an import cycle or a
    missing import shows up whatever the order); third-party modules stay loaded, for speed."""
    modules = [m for package in PACKAGES for m in _modules(package)]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    for k in [k for k in sys.modules if k == 'stance' or k.startswith('stance.')]:\n"
        "        del sys.modules[k]\n"
        "    importlib.import_module(m)\n"
        "print(len(" + repr(modules) + "))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout) == len(modules) > 40


def test_cli_starts_without_pose_or_pixel_libraries() -> None:
    loaded = _loaded_after_import(["stance.cli.main"])
    assert not loaded & {*PIXEL_LIBRARIES, "scipy", "matplotlib"}


def test_analyze_imports_no_plotting_or_signal_library(tmp_path: Path) -> None:
    """A whole `stance analyze` of the sample with a JSON report loads neither matplotlib (only
    the HTML reports draw with it; MediaPipe's drawing helpers are left lazy) nor scipy (the
    low-pass is numpy), nor the sound library MediaPipe's audio tasks use."""
    code = (
        "import json, sys\n"
        "from stance.cli.main import app\n"
        f"args = ['analyze', '-q', '--json', {str(tmp_path / 'a.json')!r}]\n"
        "try:\n"
        "    app(args, prog_name='stance')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "print(json.dumps(sorted({k.split('.')[0] for k in sys.modules "
        "if not type(sys.modules[k]).__name__.startswith('_Lazy')})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert {"mediapipe", "cv2", "numpy"} <= loaded  # the probe does see the analysis's imports
    assert not loaded & {"matplotlib", "scipy", "sounddevice"}
    assert (tmp_path / "a.json").stat().st_size > 0


def _marked_footage(node: ast.AST, marked_names: frozenset[str] = frozenset()) -> bool:
    """Whether an AST (a decorator, a ``pytestmark`` value) names the ``footage`` mark, itself
    or through a module-level name whose value does (parameters marked one by one)."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "footage")
        or (isinstance(n, ast.Name) and n.id in marked_names)
        for n in ast.walk(node)
    )


def test_every_test_that_reads_real_footage_carries_the_footage_mark() -> None:
    """``-m "not footage"`` must deselect every test that reads ../shared/footage."""
    unmarked = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        marked_names = frozenset(
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign) and _marked_footage(n.value)
            for t in n.targets
            if isinstance(t, ast.Name)
        )
        module_marked = any(
            isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)
            and _marked_footage(n.value)
            for n in tree.body
        )
        for fn in tree.body:
            if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test_")):
                continue
            reads = any(
                isinstance(n, ast.Name) and n.id in ("footage", "FOOTAGE") for n in ast.walk(fn)
            )
            marked = any(_marked_footage(d, marked_names) for d in fn.decorator_list)
            if reads and not (module_marked or marked):
                unmarked.append(f"{path.name}::{fn.name}")
    assert not unmarked
