"""`train DATA --engine dask`: the CLI trains from a training set kept on the workers.

A small county ingested into several partitions; the command runs as its own process
against a cluster of two workers, under strace when it is there: it registers a model
whose test PR-AUC is close to the local engine's (not bit for bit: lightgbm.dask builds
its histograms per worker, so the partition layout matters), and its process never opens
attendance or grades.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from features.engines.dask import dask_client
from features.ingest.run import ingest_folder
from features.synthetic import generate_county
from tests.training.conftest import fast
from training.spec import ModelSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of the engines' own local cluster (two worker processes, one thread each)."""
    with dask_client(None) as client:
        yield client.scheduler.address


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A county of 2,500 students over 3 years, ingested in partitions of ~600 students."""
    raw = tmp_path_factory.mktemp("county") / "raw"
    generate_county(raw, students=2500, years=3, seed=3, fmt="parquet")
    home = tmp_path_factory.mktemp("home")
    done = ingest_folder(raw, home, group_students=600)
    assert done.manifest["partitions"] >= 4
    return raw, home


@pytest.fixture(scope="module")
def spec_path(default_spec: ModelSpec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick spec without the logistic regression, so that LightGBM is the model."""
    candidates = {"lightgbm_grid": [{}], "logistic_regression": False, "environment": True}
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    path.write_text(fast(default_spec, candidates=candidates).to_yaml())
    return path


def _train(
    county: tuple[Path, Path], spec: Path, store: Path, extra: list[str], trace: Path | None
) -> tuple[dict, str]:
    raw, home = county
    command = [sys.executable, "-m", "dropout_risk.cli", "train", str(raw), "--spec", str(spec),
               "--json", *extra]  # fmt: skip
    if trace is not None:
        command = ["strace", "-f", "-e", "trace=open,openat,openat2", "-o", str(trace), *command]
    env = {
        **os.environ,
        "DROPOUT_RISK_HOME": str(home),
        "DROPOUT_RISK_MLFLOW_TRACKING_URI": f"sqlite:///{store}",
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[0]), done.stderr


def test_train_on_the_cluster_registers_a_comparable_model(
    county: tuple[Path, Path],
    spec_path: Path,
    scheduler: str,
    migrated_store: Path,
    tmp_path: Path,
) -> None:
    store = tmp_path / "mlflow.sqlite"
    shutil.copy(migrated_store, store)
    trace = tmp_path / "trace.txt" if shutil.which("strace") else None
    dask, said = _train(county, spec_path, store, ["--engine", "dask", "--scheduler", scheduler],
                        trace)  # fmt: skip
    local, _ = _train(county, spec_path, store, [], None)

    assert "Using the ingested dataset" in said
    assert (dask["model_version"], local["model_version"]) == ("1", "2")
    assert dask["family"] == local["family"] == "lightgbm"
    # The rules and the environment model score the same rows the same way on both engines.
    for name in ("ministry_rule", "abc_flags", "environment"):
        assert dask["baselines"][name] == pytest.approx(local["baselines"][name], abs=1e-6), name
    # Not bit for bit: data-parallel LightGBM bins each worker's rows, so which worker holds
    # which piece moves the model (PR-AUC 0.322 on the cluster against 0.324 locally here,
    # 2026-12-03; in tests/training/test_dask_cluster_set.py PR-AUC varied by a third over 8
    # runs). Compared on ROC-AUC, which few leavers move less, with a floor over the
    # environment model on PR-AUC: a broken fit fails both.
    assert dask["roc_auc"] >= local["roc_auc"] - 0.1, (dask["roc_auc"], local["roc_auc"])
    assert dask["pr_auc"] > 3 * dask["baselines"]["environment"]["pr_auc"]
    if trace is not None:
        opened = [line for line in trace.read_text().splitlines() if ".parquet" in line]
        assert any("/tables/enrollments/" in line for line in opened)  # the trace sees Arrow
        assert not [line for line in opened if "/tables/attendance/" in line]
        assert not [line for line in opened if "/tables/grades/" in line]
        assert not [line for line in opened if "/tables/households/" in line]


def test_an_unreachable_scheduler_is_one_line(
    county: tuple[Path, Path], spec_path: Path, tmp_path: Path
) -> None:
    raw, home = county
    command = [sys.executable, "-m", "dropout_risk.cli", "train", str(raw), "--spec",
               str(spec_path), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]  # fmt: skip
    env = {
        **os.environ,
        "DROPOUT_RISK_HOME": str(home),
        "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s",
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "the Dask cluster failed" in done.stderr
    assert "Traceback" not in done.stderr
