"""`dropout-risk train DATA_DIR` on a small synthetic county: indicators, snapshots, registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from features.synthetic import generate_county
from tests.training.conftest import fast
from training.spec import ModelSpec

runner = CliRunner()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("county")
    generate_county(out, students=1500, years=3, seed=3)
    return out


def test_train_on_a_data_folder(
    county: Path, spec: ModelSpec, tmp_path: Path, tracking_uri: str
) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(fast(spec).to_yaml())
    result = runner.invoke(app, ["train", str(county), "--spec", str(spec_file), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model_version"] == "1"
    assert out["roc_auc"] > 0.6
    # The baselines ran on the catalogue's indicators, not skipped.
    # Beside the chosen candidate: the other candidates and the rules, all on the test snapshot.
    assert set(out["baselines"]) | {out["candidate"]} == {
        "ministry_rule",
        "abc_flags",
        "logistic_regression",
        "environment",
        "lightgbm",
    }

    from training.scorer import RiskScorer

    scorer = RiskScorer.load("models:/dropout-risk/1", tracking_uri)
    card = scorer.meta
    # Term starts; the last one whose 180-day window runs past the data is left out.
    assert card["test_snapshots"] == ["2024-09-01"]
    assert card["validation_snapshots"] == ["2023-09-01", "2024-03-01"]
    assert "2025-03-01" not in card["train_snapshots"]
    assert "student_id" not in scorer.features and "as_of" not in scorer.features
    assert "unexcused_rate_30d" in scorer.features
