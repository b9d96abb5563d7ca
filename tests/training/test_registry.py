"""Against a real MLflow SQLite store: register, promote, load by alias, refuse worse models."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from tests.training.conftest import fast
from training import registry
from training.pipeline import Outcome, evaluate_version, train_from_frame
from training.scorer import RiskScorer
from training.spec import ModelSpec


def _train(
    table: pd.DataFrame, spec: ModelSpec, tracking_uri: str, artifact_dir: Path, promote: bool
) -> Outcome:
    return train_from_frame(
        table,
        spec,
        label="label",
        time_column="as_of",
        tracking_uri=tracking_uri,
        artifact_dir=artifact_dir,
        promote=promote,
    )


@pytest.fixture
def champion(
    table: pd.DataFrame, spec: ModelSpec, tracking_uri: str, artifact_dir: Path
) -> Outcome:
    return _train(table, spec, tracking_uri, artifact_dir, promote=True)


def test_train_registers_promotes_and_serves_the_same_risks(
    champion: Outcome, tracking_uri: str, artifact_dir: Path
) -> None:
    assert champion.model_version == "1"
    assert champion.promoted
    assert "no champion yet" in (champion.promotion or "")
    assert registry.champion_version(tracking_uri) == "1"

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    version = client.get_model_version_by_alias("dropout-risk", "champion")
    assert version.run_id == champion.run_id
    assert version.tags["promoted"] == "true"
    run = client.get_run(champion.run_id)
    assert run.data.metrics["test_pr_auc"] == pytest.approx(champion.evaluation.model["pr_auc"])
    assert "ministry_rule_test_pr_auc" in run.data.metrics
    assert run.data.params["calibration"] == champion.evaluation.spec.calibration
    artifacts = {a.path for a in client.list_artifacts(champion.run_id)}
    assert {"spec.yaml", "dataset.json", "plots", "report", "evaluation", "tables"} <= artifacts
    plots = {Path(a.path).name for a in client.list_artifacts(champion.run_id, "plots")}
    assert {"roc.png", "pr.png", "calibration.png", "deciles.png", "precision_at_k.png"} <= plots
    assert {"importance.png", "fairness.png"} <= plots
    # Artifacts live under the home folder, not in the working directory.
    assert any(artifact_dir.rglob("booster.txt"))

    rows = champion.evaluation.test.head(60)
    scorer = RiskScorer.load("models:/dropout-risk@champion", tracking_uri)
    assert scorer.model_version == "1"
    with registry.tracking(tracking_uri):
        pyfunc = mlflow.pyfunc.load_model("models:/dropout-risk@champion")
    through_mlflow = np.asarray(pyfunc.predict(rows[scorer.features])).ravel()
    ours = scorer.predict(rows)
    np.testing.assert_array_equal(through_mlflow, ours)
    np.testing.assert_array_equal(ours, rows["_risk"].to_numpy())
    assert ((ours > 0) & (ours < 1)).any()  # probabilities, not 0/1 labels
    # As `mlflow models serve` receives them: JSON records, categories as text, gaps as null.
    plain = rows[scorer.features].astype(object).where(rows[scorer.features].notna(), None)
    payload = json.dumps(plain.to_dict("records"), default=lambda v: v.item())
    from_json = pd.DataFrame.from_records(json.loads(payload))
    np.testing.assert_array_equal(np.asarray(pyfunc.predict(from_json)).ravel(), ours)
    assert pyfunc.metadata.get_input_schema() is not None

    english = champion.report_path.with_name("report.en.html").read_text(encoding="utf-8")
    assert "Summary" in english and "Ministry rule" in english and "Tie rule" in english
    report = champion.report_path.read_text(encoding="utf-8")  # Chinese first, English beside
    assert 'lang="zh-CN"' in report and "是否投入使用" in report and "report.en.html" in report
    assert "目前在用的模型：版本 1" in report and "教育部规则" in report
    assert "unexcused_rate_30d" not in report and "registered_poor" not in report
    decile = champion.evaluation.deciles.sort_values("decile").iloc[0]
    gap = (decile["observed"] - decile["predicted"]) * 100
    assert f"相差 {gap:+.1f} 个百分点" in report  # the top decile's calibration gap
    # The run reads in the MLflow UI: named by spec, data and date, described, its input logged.
    assert run.info.run_name.startswith(f"{champion.evaluation.spec.name} · ")
    assert run.info.run_name.endswith(dt.date.today().isoformat())
    assert "data:" in run.data.tags["mlflow.note.content"]
    assert run.inputs.dataset_inputs and run.inputs.dataset_inputs[0].dataset.digest
    for name, direction in champion.evaluation.spec.lightgbm.monotone.items():
        assert run.data.params[f"monotone.{name}"] == str(direction)


def test_a_worse_model_is_not_promoted(
    champion: Outcome,
    table: pd.DataFrame,
    default_spec: ModelSpec,
    tracking_uri: str,
    artifact_dir: Path,
) -> None:
    # Only noise and gender: no better than chance. Baselines off, so only the champion decides.
    worse_spec = fast(
        default_spec,
        name="noise-only",
        indicators=["noise", "gender"],
        lightgbm={"num_boost_round": 30, "early_stopping_rounds": 10, "params": {}},
        baselines={"ministry_rule": [], "abc_flags": [], "logistic_regression": False},
    )
    worse = _train(table, worse_spec, tracking_uri, artifact_dir, promote=True)
    assert worse.model_version == "2"
    assert not worse.promoted
    assert "does not beat the champion (version 1)" in (worse.promotion or "")
    assert registry.champion_version(tracking_uri) == "1"


def test_a_better_model_takes_over(
    champion: Outcome,
    table: pd.DataFrame,
    spec: ModelSpec,
    tracking_uri: str,
    artifact_dir: Path,
) -> None:
    # Demote by hand to a deliberately weak version, then retrain the good spec.
    client = registry.client(tracking_uri)
    weak = fast(
        spec,
        name="weak",
        indicators=["noise", "gender", "rural_school"],
        baselines={"ministry_rule": [], "abc_flags": [], "logistic_regression": False},
    )
    weak_outcome = _train(table, weak, tracking_uri, artifact_dir, promote=False)
    assert not weak_outcome.promoted and weak_outcome.promotion is None
    client.set_registered_model_alias("dropout-risk", "champion", weak_outcome.model_version)
    better = _train(table, spec, tracking_uri, artifact_dir, promote=True)
    assert better.promoted, better.promotion
    assert f"beats the champion (version {weak_outcome.model_version})" in better.promotion
    assert registry.champion_version(tracking_uri) == better.model_version


def test_evaluate_rebuilds_the_report_of_a_version(
    champion: Outcome, tracking_uri: str, artifact_dir: Path
) -> None:
    champion.report_path.unlink()
    rebuilt = evaluate_version(tracking_uri, "1", artifact_dir)
    assert rebuilt.run_id == champion.run_id
    assert rebuilt.evaluation.model == champion.evaluation.model
    assert rebuilt.report_path.is_file()


@pytest.mark.slow
def test_mlflow_models_serve_answers_with_the_same_risks(
    champion: Outcome, tracking_uri: str
) -> None:
    """`mlflow models serve -m models:/dropout-risk@champion` returns risks, not labels."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }
    command = [
        str(Path(bin_dir) / "mlflow"),
        "models",
        "serve",
        "-m",
        "models:/dropout-risk@champion",
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "mlflow models serve did not start"
                time.sleep(0.5)
        scorer = RiskScorer.load("models:/dropout-risk@champion", tracking_uri)
        rows = champion.evaluation.test.head(40)
        plain = rows[scorer.features].astype(object).where(rows[scorer.features].notna(), None)
        body = json.dumps(
            {"dataframe_records": plain.to_dict("records")}, default=lambda v: v.item()
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", body, {"Content-Type": "application/json"}
        )
        answer = json.loads(urllib.request.urlopen(request, timeout=30).read())
        np.testing.assert_array_equal(np.asarray(answer["predictions"]), scorer.predict(rows))
    finally:
        server.terminate()
        server.wait(timeout=30)
