"""Every researcher notebook runs top to bottom in a fresh home folder; a failing cell fails.

The notebooks are jupytext percent scripts (notebooks/NN-name.py): reviewable diffs, linted
by ruff, no outputs in git. Each is converted in memory and executed by nbclient on an
IPython kernel of this very interpreter (a kernelspec written to a temporary JUPYTER_PATH),
so a fresh clone needs nothing beyond `pip install -e .[dev]`.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = "dropout-risk-tests"
# The notebooks' county (dr.demo_county(students=2000, years=4, seed=0)), generated once.
COUNTY = {"students": 2000, "years": 4, "seed": 0}
COUNTY_DIR = "counties/s2000-y4-seed0"


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))


@pytest.fixture(scope="session")
def jupyter_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JUPYTER_PATH holding one kernelspec: ipykernel on sys.executable (the venv's python)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dropout-risk tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return root


@pytest.fixture(scope="session")
def prepared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the county generated and MLflow's store migrated, copied for each notebook."""
    from mlflow import MlflowClient

    from dropout_risk import workbench as dr

    home = tmp_path_factory.mktemp("notebook-home")
    dr.demo_county(**COUNTY, out_dir=home / COUNTY_DIR)
    MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.sqlite'}").search_experiments()
    return home


@pytest.mark.slow
@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_runs(
    path: Path,
    jupyter_path: Path,
    prepared_home: Path,
    dropout_risk_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jupytext
    from nbclient import NotebookClient

    shutil.copytree(prepared_home, dropout_risk_home)
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # run where Jupyter would
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError naming the cell when one fails
    seconds = time.perf_counter() - started

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "every notebook plots"
    print(f"{path.name}: {seconds:.0f} s")


def test_every_notebook_is_collected() -> None:
    names = [p.stem for p in _notebooks()]
    assert names == ["01-explore", "02-train-and-compare", "03-fairness-audit", "04-explain"]
