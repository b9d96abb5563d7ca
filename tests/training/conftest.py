"""Fixtures for training tests: small synthetic tables, a fast spec, a pre-migrated MLflow store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from training.spec import ModelSpec, load_spec, parse_spec
from training.synthetic import synthetic_table

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite store created and migrated once; tests copy the file (migrating is slow)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-store") / "mlflow.sqlite"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def tracking_uri(dropout_risk_home: Path, migrated_store: Path) -> str:
    """A fresh copy of the migrated store in this test's home folder, where the CLI finds it."""
    dropout_risk_home.mkdir(parents=True, exist_ok=True)
    target = dropout_risk_home / "mlflow.sqlite"
    shutil.copy(migrated_store, target)
    return f"sqlite:///{target}"


@pytest.fixture
def artifact_dir(dropout_risk_home: Path) -> Path:
    return dropout_risk_home / "mlartifacts"


def fast(spec: ModelSpec, **changes: object) -> ModelSpec:
    """The same spec with few, quick boosting rounds (and any other top-level changes)."""
    data = spec.model_dump(mode="json", exclude_none=True)
    data["lightgbm"]["num_boost_round"] = 150
    data["lightgbm"]["early_stopping_rounds"] = 20
    data["lightgbm"]["params"].update(
        learning_rate=0.1, num_leaves=7, min_data_in_leaf=30, num_threads=1
    )
    # Tiny test tables leave LightGBM and the logistic regression neck and neck; the gate
    # against the rules is what these tests need (the county benchmark checks all three).
    data["must_beat"] = ["ministry_rule", "abc_flags"]
    # One LightGBM candidate keeps the tests quick; tests/training/test_selection.py has a grid.
    data["candidates"]["lightgbm_grid"] = [{}]
    # The test period stays the spec's one snapshot: these tables are small, and the tests
    # of evaluation and comparison name it. tests/training/test_selection.py grows it.
    data["split"]["min_test_leavers"] = 0
    data.update(changes)
    return parse_spec(data)


@pytest.fixture(scope="session")
def default_spec() -> ModelSpec:
    return load_spec(REPO / "models" / "lightgbm.yaml")


@pytest.fixture(scope="session")
def spec(default_spec: ModelSpec) -> ModelSpec:
    return fast(default_spec)


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    """800 students x 4 half-yearly snapshots with a known, partly non-linear signal."""
    return synthetic_table(students=800, snapshots=4, seed=1)
