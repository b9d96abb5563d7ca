"""The training and evaluation runs: data in, a registered, evaluated, maybe promoted model out.

`train_from_data` (a county's data folder), `train_from_table` (a ready student-level
table) and `train_from_frame` (the common path) select and fit (`fit`), log and register
(`tracking`) and promote when asked and deserved (`promotion`). `evaluate_version`
rebuilds a registered version's report from its logged holdout.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training import registry
from training.errors import TableError
from training.evaluation import RISK, Evaluation, evaluate_holdout, sample_contributions
from training.fit import Fitted, fit_and_evaluate
from training.generic import table_spec
from training.scorer import RiskScorer
from training.spec import ModelSpec
from training.tracking import (
    HOLDOUT_ARTIFACT,
    RUN_INFO_ARTIFACT,
    keep_report,
    log_run_or_fail,
    write_report,
)

__all__ = [
    "HOLDOUT_ARTIFACT",
    "RUN_INFO_ARTIFACT",
    "Fitted",
    "Outcome",
    "evaluate_version",
    "fit_and_evaluate",
    "read_table",
    "train_from_data",
    "train_from_frame",
    "train_from_table",
]

Progress = Callable[[str], None]


@dataclass
class Outcome:
    """What a train or evaluate run produced, for the CLI's summary and --json."""

    run_id: str
    model_version: str | None
    evaluation: Evaluation
    report_path: Path
    promoted: bool = False
    promotion: str | None = None
    model_name: str = registry.MODEL_NAME

    def to_json(self) -> dict[str, Any]:
        ev = self.evaluation
        m = ev.model
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "family": ev.family,
            "candidate": ev.chosen,
        }
        for key in ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k", "brier", "ece"):
            out[key] = _finite(m.get(key))
        out["k"] = int(m["k"])
        out["baselines"] = {
            name: {
                key: _finite(b.get(key))
                for key in ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k")
            }
            for name, b in ev.baselines.items()
        }
        metric = ev.spec.promote_metric
        out["margins"] = {name: _finite(v) for name, v in ev.margins(metric).items()}
        if ev.selection is not None:
            out["selection"] = {
                name: {k: _finite(v) for k, v in row.items()}
                for name, row in ev.selection.to_dict("index").items()
            }
        out["promoted"] = self.promoted
        out["promotion"] = self.promotion
        out["report"] = str(self.report_path)
        return out


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def _noop(_: str) -> None:
    pass


def train_from_frame(
    frame: pd.DataFrame,
    spec: ModelSpec,
    *,
    label: str,
    tracking_uri: str,
    artifact_dir: Path | None = None,
    time_column: str | None = None,
    id_column: str | None = None,
    group_columns: list[str] | None = None,
    promote: bool = False,
    source: str = "the table",
    dataset_info: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    model_name: str = registry.MODEL_NAME,
    progress: Progress | None = None,
) -> Outcome:
    """Select, fit, evaluate beside the bars, log to MLflow, register, and promote if asked."""
    fitted = fit_and_evaluate(
        frame,
        spec,
        label=label,
        time_column=time_column,
        id_column=id_column,
        group_columns=group_columns,
        source=source,
        dataset_info=dataset_info,
        notes=notes,
        engine=engine,
        scheduler=scheduler,
        progress=progress,
    )
    say = progress or _noop
    say(f"Logging to MLflow and registering the model as {model_name!r}")
    logged = log_run_or_fail(spec, fitted, tracking_uri, artifact_dir, promote, say, model_name)
    return Outcome(
        logged.run_id,
        logged.model_version,
        fitted.evaluation,
        logged.report_path,
        logged.promoted,
        logged.promotion,
        model_name,
    )


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8 with or without BOM, else GB18030) or Parquet table."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"table file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            try:
                return pd.read_csv(path, encoding="utf-8-sig")
            except UnicodeDecodeError:
                return pd.read_csv(path, encoding="gb18030")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TableError(f"cannot read {path}: {exc}") from None
    raise TableError(f"{path}: use a .csv or .parquet file, not {suffix or 'no extension'}")


def train_from_table(
    path: Path,
    spec: ModelSpec | None,
    *,
    label: str,
    tracking_uri: str,
    artifact_dir: Path | None = None,
    time_column: str | None = None,
    id_column: str | None = None,
    group_columns: list[str] | None = None,
    promote: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    model_name: str | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Train on a ready student-level table (one row per student, or per student and date).

    With no spec, the default one is fitted to the table (`generic.table_spec`: county-only
    parts the table cannot use are skipped, each with a note). The model is registered as
    `model_name`, by default the file's stem, so a county's champion is never touched.
    """
    frame = read_table(path)
    notes: dict[str, str] = {}
    if spec is None:
        spec, notes = table_spec(frame)
    if group_columns:
        missing = [c for c in group_columns if c not in frame.columns]
        if missing:
            raise TableError(f"{path} has no group column(s) {', '.join(missing)}")
    elif group_columns is None:
        group_columns = [c for c in spec.fairness_groups if c in frame.columns]
    return train_from_frame(
        frame,
        spec,
        label=label,
        tracking_uri=tracking_uri,
        artifact_dir=artifact_dir,
        time_column=time_column,
        id_column=id_column,
        group_columns=group_columns,
        promote=promote,
        source=str(path),
        notes=notes,
        engine=engine,
        scheduler=scheduler,
        model_name=model_name or Path(path).stem,
        progress=progress,
    )


def train_from_data(
    tables: Any,
    spec: ModelSpec,
    *,
    tracking_uri: str,
    artifact_dir: Path | None = None,
    promote: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    source: str = "data folder",
    model_name: str = registry.MODEL_NAME,
    progress: Progress | None = None,
    snapshot_progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Build the spec's training set from validated tables, then train on it."""
    from features.training_set import build_training_set

    say = progress or _noop
    say("Building indicators at each snapshot")
    snapshots = spec.snapshots if isinstance(spec.snapshots, str) else list(spec.snapshots)
    with warnings.catch_warnings():
        # Dropped snapshots are reported once, in the dataset summary and the report.
        warnings.simplefilter("ignore", UserWarning)
        training = build_training_set(
            tables,
            snapshots,
            spec.horizon_days,
            engine=engine,  # type: ignore[arg-type]
            scheduler=scheduler,
            progress=snapshot_progress,
        )
    for when, why in training.dropped:
        say(f"Snapshot {when:%Y-%m-%d} left out: {why}")
    export = tables.export_date()
    info = {
        "export_date": f"{export.date:%Y-%m-%d}",
        "horizon_days": training.horizon_days,
        "dropped_snapshots": [f"{t:%Y-%m-%d}: {why}" for t, why in training.dropped],
    }
    from training.effects.in_report import visit_effects  # the report's "Did the visits work?"

    if (effects := visit_effects(tables, training.horizon_days)) is not None:
        info["effects"] = effects
    return train_from_frame(
        training.frame,
        spec,
        label="label",
        tracking_uri=tracking_uri,
        artifact_dir=artifact_dir,
        time_column="as_of",
        id_column="student_id",
        promote=promote,
        source=source,
        dataset_info=info,
        engine=engine,
        scheduler=scheduler,
        model_name=model_name,
        progress=progress,
    )


def evaluate_version(
    tracking_uri: str,
    version: str | None = None,
    artifact_dir: Path | None = None,
    progress: Progress | None = None,
    model_name: str = registry.MODEL_NAME,
) -> Outcome:
    """Rebuild a registered version's evaluation and report from its logged holdout."""
    import mlflow

    from training.errors import RegistryError
    from training.spec import load_spec

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
