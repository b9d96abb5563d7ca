"""`train --table` on a table that is not a county's, and registry errors during promotion."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from tests.training.conftest import fast
from training import registry
from training.errors import RegistryError
from training.spec import ModelSpec

runner = CliRunner()
PERIODS = {
    "2022-09-01": "2013B",
    "2023-03-01": "2013J",
    "2023-09-01": "2014B",
    "2024-03-01": "2014J",
}


def _plain_table(table: pd.DataFrame, path: Path) -> Path:
    """The synthetic table with none of the county's indicator names and period labels."""
    generic = pd.DataFrame(
        {
            "learner": table["student_id"].astype(str),
            "presentation": table["as_of"].dt.strftime("%Y-%m-%d").map(PERIODS),
            "clicks_missed": table["unexcused_rate_30d"],
            "assessments_failed": table["failing_subjects"],
            "mean_score": table["term_mean_score"],
            "poor_and_alone": table["registered_poor"] & table["left_behind"],
            "withdrawn": table["label"],
        }
    )
    generic.to_csv(path, index=False)
    return path


def test_period_labels_and_no_county_indicators_train_with_the_default_spec(
    table: pd.DataFrame, tmp_path: Path, tracking_uri: str
) -> None:
    path = _plain_table(table, tmp_path / "oulad_like.csv")
    args = ["train", "--table", str(path), "--label", "withdrawn", "--id-column", "learner"]
    result = runner.invoke(app, [*args, "--time-column", "presentation", "--promote", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model_name"] == "oulad_like" and out["promoted"] is True
    assert out["roc_auc"] > 0.7
    # The county-only parts of the default spec were skipped (no rules), the candidates ran.
    assert not {"ministry_rule", "abc_flags"} & set(out["baselines"])
    assert "logistic_regression" in set(out["baselines"]) | {out["candidate"]}
    client = registry.client(tracking_uri)
    version = client.get_model_version_by_alias("oulad_like", "champion")
    run = client.get_run(version.run_id)
    assert run.data.tags["family"] in ("lightgbm", "logistic_regression")
    # The county's registered model was never created, let alone promoted.
    assert registry.champion_version(tracking_uri) is None
    from training.scorer import RiskScorer

    card = RiskScorer.load("models:/oulad_like@champion", tracking_uri).meta
    assert card["test_snapshots"] == ["2014J"]
    assert card["validation_snapshots"] == ["2013J", "2014B"]


def test_a_registry_error_during_promotion_fails_the_command(
    table: pd.DataFrame, spec: ModelSpec, tmp_path: Path, tracking_uri: str
) -> None:
    path = tmp_path / "students.csv"
    table.to_csv(path, index=False)
    spec_file = tmp_path / "fast.yaml"
    spec_file.write_text(fast(spec).to_yaml())
    args = ["train", "--table", str(path), "--label", "label", "--time-column", "as_of"]
    first = runner.invoke(app, [*args, "--spec", str(spec_file), "--promote", "--json"])
    assert first.exit_code == 0, first.output
    # Break the registry for real: the aliases table is gone from the store.
    with sqlite3.connect(tracking_uri.removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE registered_model_aliases")
    again = runner.invoke(app, [*args, "--spec", str(spec_file), "--promote", "--json"])
    assert again.exit_code == 1
    assert "no such table: registered_model_aliases" in again.stderr
    last = again.stderr.strip().splitlines()[-1]  # above it: MLflow's own log of the error
    assert last.startswith("error:") and "nothing was promoted" in last
    assert "no champion yet" not in again.output
    # Asked directly, the registry's error is an error, never "no champion yet" (None).
    with pytest.raises(RegistryError, match="cannot read the 'champion' alias"):
        registry.champion_version(tracking_uri, "students")
