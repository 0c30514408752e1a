"""notebooks/walkthrough.ipynb executes clean and agrees with `stance.pipeline.analyze`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from conftest import REPO, SAMPLE

NOTEBOOK = REPO / "notebooks" / "walkthrough.ipynb"
KERNEL = "stance-test-venv"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook run top to bottom by a kernel on this interpreter, cwd notebooks/.

    A kernelspec pointing at ``sys.executable`` is written into a temporary JUPYTER_PATH
    (searched before the user and system paths), so a fresh clone with no kernel installed
    anywhere runs it with the project's virtual environment.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "stance venv", "language": "python"})
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(root))
    mp.setenv("MPLBACKEND", "Agg")
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(
            nb,
            timeout=600,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()  # raises CellExecutionError if any cell raises
    finally:
        mp.undo()
    nbformat.write(nb, root / "executed.ipynb")
    return nb


def _stdout(cell: Any) -> str:
    return "".join(
        o.get("text", "") for o in cell.get("outputs", []) if o["output_type"] == "stream"
    )


def test_stored_without_outputs() -> None:
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)


def test_notebook_executes_clean(executed: Any) -> None:
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    errors = [o for c in code for o in c.outputs if o["output_type"] == "error"]
    assert not errors
    plots = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert plots >= 5  # landmarks, cleaning, segmentation, pelvis, measurements


def test_notebook_agrees_with_analyze(executed: Any, analysed: Callable[..., Any]) -> None:
    from stance.report.document import to_dict

    last = json.loads(_stdout(executed.cells[-1]).strip().splitlines()[-1])
    doc = to_dict(analysed(SAMPLE))
    assert last["weak_side"] == doc["verdict"]["outcome"] == "right"
    for side, f in doc["findings"].items():
        assert last["drop_deg"][side] == pytest.approx(f["drop_deg"], abs=0.011)
    report = "".join(_stdout(c) for c in executed.cells)
    assert "Your RIGHT gluteus medius looks weak." in report
    assert "This is not a diagnosis" in report
