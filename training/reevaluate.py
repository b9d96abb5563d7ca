"""`evaluate`: a registered version's evaluation and report rebuilt from its logged holdout.

The version's scorer re-scores the holdout it was tested on (the rules' and the other
candidates' scores are in the holdout already), so the figures are those of the version
as registered, and the report is written again beside it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from training import registry
from training.errors import RegistryError
from training.evaluation import RISK, evaluate_holdout, sample_contributions
from training.outcome import Outcome
from training.scorer import RiskScorer
from training.spec import load_spec
from training.tracking import HOLDOUT_ARTIFACT, RUN_INFO_ARTIFACT, keep_report, write_report


def _noop(_: str) -> None:
    pass


def evaluate_version(
    tracking_uri: str,
    version: str | None = None,
    artifact_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    model_name: str = registry.MODEL_NAME,
) -> Outcome:
    """Rebuild a registered version's evaluation and report from its logged holdout."""
    import mlflow

    say = progress or _noop
    version = (
        version
        or registry.champion_version(tracking_uri, model_name)
        or registry.latest_version(tracking_uri, model_name)
    )
    if version is None:
        raise RegistryError("no model is registered yet; run `dropout-risk train` first")
    run_id = registry.run_of(version, tracking_uri, model_name)
    say(f"Loading version {version}")
    scorer = RiskScorer.load(f"models:/{model_name}/{version}", tracking_uri)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        local = {
            artifact: Path(
                mlflow.artifacts.download_artifacts(
                    run_id=run_id,
                    artifact_path=artifact,
                    dst_path=str(out / "download"),
                    tracking_uri=tracking_uri,
                )
            )
            for artifact in (HOLDOUT_ARTIFACT, RUN_INFO_ARTIFACT, "spec.yaml", "dataset.json")
        }
        holdout = pd.read_parquet(local[HOLDOUT_ARTIFACT])
        run_info = json.loads(local[RUN_INFO_ARTIFACT].read_text())
        dataset = json.loads(local["dataset.json"].read_text())
        spec = load_spec(local["spec.yaml"])
        say("Re-scoring the holdout")
        holdout[RISK] = scorer.predict(holdout)
        contrib, importance = sample_contributions(
            holdout, scorer, run_info["id_column"], spec.seed
        )
        ev = evaluate_holdout(
            holdout,
            spec,
            run_info["label"],
            run_info["time_column"],
            run_info["id_column"],
            run_info["group_columns"],
            importance,
            contrib,
        )
        ev.chosen = run_info.get("chosen", "lightgbm")
        ev.family = run_info.get("family", scorer.family)
        say("Writing the report")
        report = write_report(ev, out, run_id, version, run_info, dataset, None)
        client = registry.client(tracking_uri)
        client.log_artifact(run_id, str(report), "report")
        kept = keep_report(report, artifact_dir, version, model_name)
    return Outcome(run_id, version, ev, kept, model_name=model_name)
