"""`dropout-risk train --table` and `evaluate` end to end, and their clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from tests.training.conftest import fast
from training.spec import ModelSpec

runner = CliRunner()


@pytest.fixture
def table_file(table: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "students.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture
def spec_file(spec: ModelSpec, tmp_path: Path) -> Path:
    path = tmp_path / "fast.yaml"
    path.write_text(fast(spec).to_yaml())
    return path


def test_train_table_then_evaluate_print_json(
    table_file: Path, spec_file: Path, tracking_uri: str
) -> None:
    args = ["train", "--table", str(table_file), "--label", "label", "--time-column", "as_of"]
    result = runner.invoke(app, [*args, "--spec", str(spec_file), "--promote", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    keys = {"run_id", "model_version", "roc_auc", "pr_auc", "precision_at_k", "recall_at_k"}
    assert keys | {"brier", "ece"} <= set(out)
    assert out["model_version"] == "1" and out["promoted"] is True
    assert 0.5 < out["roc_auc"] <= 1 and 0 <= out["ece"] < 0.2

    # Registered under the file's stem: the county's model `dropout-risk` is untouched.
    assert out["model_name"] == "students"
    result = runner.invoke(app, ["evaluate", "--model-version", "1", "--json"])
    assert result.exit_code == 1 and "none is registered yet" in result.stderr
    result = runner.invoke(
        app, ["evaluate", "--name", "students", "--model-version", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)
    assert again["run_id"] == out["run_id"]
    assert again["pr_auc"] == out["pr_auc"]

    result = runner.invoke(app, ["evaluate", "--name", "students"])
    assert result.exit_code == 0, result.output
    assert "Model version 1" in result.stdout and "Ministry rule" in result.stdout


def test_table_without_the_label_column_fails_clearly(
    table_file: Path, spec_file: Path, tracking_uri: str
) -> None:
    result = runner.invoke(
        app,
        ["train", "--table", str(table_file), "--label", "left_school", "--spec", str(spec_file)],
    )
    assert result.exit_code == 1
    assert "no label column 'left_school'" in result.stderr
    assert "Traceback" not in result.output


def test_bad_spec_fails_clearly(table_file: Path, tmp_path: Path, tracking_uri: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncalibration: sigmoid\ncapacity: {share: 0.05, count: 3}\n")
    result = runner.invoke(
        app, ["train", "--table", str(table_file), "--label", "label", "--spec", str(bad)]
    )
    assert result.exit_code == 1
    assert "calibration" in result.stderr and "capacity" in result.stderr
    assert "Traceback" not in result.output


def test_other_usage_errors(table_file: Path, tmp_path: Path, tracking_uri: str) -> None:
    result = runner.invoke(app, ["train", "--table", str(table_file)])
    assert result.exit_code == 1 and "--label" in result.stderr
    result = runner.invoke(app, ["train", "--table", str(tmp_path / "none.csv"), "--label", "y"])
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = runner.invoke(app, ["evaluate", "--model-version", "7"])
    assert result.exit_code == 1 and "none is registered yet" in result.stderr


def test_bad_label_values_name_the_row(
    tmp_path: Path, table: pd.DataFrame, tracking_uri: str
) -> None:
    path = tmp_path / "t.csv"
    broken = table.head(50).astype({"label": "object"})
    broken.loc[7, "label"] = "maybe"
    broken.to_csv(path, index=False)
    result = runner.invoke(app, ["train", "--table", str(path), "--label", "label"])
    assert result.exit_code == 1
    assert "row 8" in result.stderr and "maybe" in result.stderr
