"""MLflow tracking: a fitted model's run (params, metrics, tables, holdout, report, model files)
registered under the given model name, and the report kept beside the artifacts."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training import promotion, registry
from training.evaluation import Evaluation
from training.fit import Fitted
from training.run_details import log_details, run_name
from training.scorer import MODEL_DIR_ARTIFACT, RiskScorer
from training.spec import ModelSpec

HOLDOUT_ARTIFACT = "evaluation/holdout.parquet"
RUN_INFO_ARTIFACT = "evaluation/run_info.json"
ENGLISH_FILE = "report.en.html"  # beside the Chinese report.html (training.report)


@dataclass
class Logged:
    """What the run left behind."""

    run_id: str
    model_version: str
    report_path: Path
    promoted: bool
    promotion: str | None


def _flat_params(spec: ModelSpec, fitted: Fitted) -> dict[str, str]:
    model, features = fitted.model, fitted.scorer.features
    params: dict[str, Any] = {}
    if model is not None:
        params = {f"lgb.{k}": v for k, v in model.lgb_params(features).items()}
    params.update(
        family=fitted.selection.chosen.family,
        candidate=fitted.selection.chosen.name,
        spec=spec.name,
        horizon_days=spec.horizon_days,
        calibration=spec.calibration,
        capacity=spec.capacity.describe(),
        num_boost_round=spec.lightgbm.num_boost_round,
        early_stopping_rounds=spec.lightgbm.early_stopping_rounds,
        best_iteration=model.best_iteration_ if model else None,
        seed=spec.seed,
        n_features=len(features),
        engine=model.engine if model else "local",
    )
    return {k: str(v)[:6000] for k, v in params.items()}


def _signature(test: pd.DataFrame, scorer: RiskScorer) -> tuple[Any, pd.DataFrame]:
    """The model's signature and a few example rows.

    Measurements are "double". Categories, yes/no flags and counts are "Any": MLflow's
    string, boolean and integer types refuse pandas categories, missing values and int64
    input, all of which the model handles. Output: one risk per row.
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    rows = test[scorer.features].head(5).copy()
    specs = []
    for name in scorer.features:
        column = rows[name]
        if name in scorer.categorical:
            rows[name] = column.astype("string").astype(object).where(column.notna(), None)
            specs.append(ColSpec(AnyType(), name))
        elif pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_integer_dtype(
            column.dtype
        ):
            # Counts too: MLflow will not turn int64 into double, and JSON gives int64.
            rows[name] = column.astype(object).where(column.notna(), None)
            specs.append(ColSpec(AnyType(), name))
        else:
            rows[name] = column.to_numpy(dtype=np.float64, na_value=np.nan)
            specs.append(ColSpec("double", name))
    signature = ModelSignature(inputs=Schema(specs), outputs=Schema([ColSpec("double")]))
    return signature, rows


def log_run_or_fail(*args: Any, **kwargs: Any) -> Logged:
    """`log_run`, with any MLflow store error raised as a RegistryError (one clear line)."""
    from mlflow.exceptions import MlflowException

    from training.errors import RegistryError

    try:
        return log_run(*args, **kwargs)
    except MlflowException as exc:
        first = str(exc.message).strip().splitlines()[0] if exc.message else type(exc).__name__
        raise RegistryError(f"the MLflow store failed; nothing was promoted: {first}") from None


def log_run(
    spec: ModelSpec,
    fitted: Fitted,
    tracking_uri: str,
    artifact_dir: Path | None,
    promote: bool,
    say: Any,
    model_name: str = registry.MODEL_NAME,
) -> Logged:
    """Log the run, register the model under `model_name`, promote when asked and deserved."""
    import mlflow

    scorer, ev = fitted.scorer, fitted.evaluation
    holdout, dataset, run_info = fitted.holdout, fitted.dataset, fitted.run_info

    experiment_id = registry.ensure_experiment(tracking_uri, artifact_dir)
    with (
        registry.tracking(tracking_uri),
        tempfile.TemporaryDirectory() as tmp,
        mlflow.start_run(experiment_id=experiment_id, run_name=run_name(spec, dataset)) as run,
    ):
        out = Path(tmp)
        mlflow.set_tags(
            {
                "spec": spec.name,
                "data_fingerprint": dataset["fingerprint"],
                "family": ev.family,
                "candidate": ev.chosen,
            }
        )
        log_details(spec, dataset, holdout)
        mlflow.log_params(_flat_params(spec, fitted))
        mlflow.log_text(spec.to_yaml(), "spec.yaml")
        mlflow.log_dict(dataset, "dataset.json")
        mlflow.log_metrics(ev.flat_metrics())
        holdout.to_parquet(out / "holdout.parquet")
        mlflow.log_artifact(str(out / "holdout.parquet"), "evaluation")
        mlflow.log_dict(run_info, RUN_INFO_ARTIFACT)
        _log_tables(ev, out)

        signature, example = _signature(ev.test, scorer)
        model_dir = scorer.save(out / MODEL_DIR_ARTIFACT)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(__file__).with_name("pyfunc_entry.py")),
            artifacts={MODEL_DIR_ARTIFACT: str(model_dir)},
            signature=signature,
            input_example=example,
            registered_model_name=model_name,
            pip_requirements=_requirements(),
        )
        version = str(info.registered_model_version)
        client = registry.client(tracking_uri)
        for key, value in {
            "spec": spec.name,
            "family": ev.family,
            "data_fingerprint": dataset["fingerprint"],
            "test_snapshots": ",".join(scorer.meta["test_snapshots"]),
            f"test_{spec.promote_metric}": f"{ev.model[spec.promote_metric]:.6f}",
        }.items():
            client.set_model_version_tag(model_name, version, key, value)

        promoted, message = False, None
        if promote:
            say("Comparing with the champion")
            promoted, message = promotion.decide(ev, version, tracking_uri, model_name)
            if promoted:
                registry.promote(version, tracking_uri, name=model_name, reason=message)
            mlflow.set_tag("promotion", message)

        say("Writing the report")
        in_service = {**run_info, "in_service": registry.champion_version(tracking_uri, model_name)}
        report_path = write_report(ev, out, run.info.run_id, version, in_service, dataset, message)
        mlflow.log_artifacts(str(out / "plots"), "plots")
        mlflow.log_artifact(str(report_path), "report")
        mlflow.log_artifact(str(report_path.with_name(ENGLISH_FILE)), "report")
        kept = keep_report(report_path, artifact_dir, version, model_name)
    return Logged(run.info.run_id, version, kept, promoted, message)


def _requirements() -> list[str]:
    from importlib.metadata import version

    pins = []
    for dist in ("mlflow", "lightgbm", "scikit-learn", "pandas", "numpy", "pyarrow"):
        try:
            pins.append(f"{dist}=={version(dist)}")
        except Exception:  # noqa: BLE001 - a missing distribution is simply not pinned
            pins.append(dist)
    return pins


def _log_tables(ev: Evaluation, out: Path) -> None:
    import mlflow

    tables = out / "tables"
    tables.mkdir()
    ev.fairness.to_csv(tables / "fairness.csv", index=False)
    ev.deciles.to_csv(tables / "deciles.csv", index=False)
    ev.reliability.to_csv(tables / "reliability.csv", index=False)
    ev.stability.to_csv(tables / "stability.csv", index=False)
    ev.importance.rename("mean_abs_contribution").to_csv(tables / "importance.csv")
    # Per-student contributions of the highest-risk test students (ids only, never names).
    ev.top_students.to_csv(tables / "top_students.csv", index=False)
    pd.DataFrame({"model": ev.model, **ev.baselines}).to_csv(tables / "test_metrics.csv")
    mlflow.log_artifacts(str(tables), "tables")


def write_report(
    ev: Evaluation,
    out: Path,
    run_id: str,
    version: str | None,
    run_info: dict[str, Any],
    dataset: dict[str, Any],
    promotion: str | None,
) -> Path:
    from training.report import draw_plots, render

    plot_paths = draw_plots(ev, out / "plots")
    info = {
        **run_info,
        "run_id": run_id,
        "model_version": f"version {version}" if version else None,
        "dataset": dataset,
        "promotion": promotion,
    }
    return render(ev, plot_paths, out / "report.html", info)


def keep_report(
    path: Path,
    artifact_dir: Path | None,
    version: str | None,
    model_name: str = registry.MODEL_NAME,
) -> Path:
    """A copy of the report beside the artifacts, since the run's temporary folder goes away."""
    base = Path(artifact_dir).parent if artifact_dir else Path(tempfile.gettempdir())
    folder = "reports" if model_name == registry.MODEL_NAME else f"reports/{model_name}"
    target = base / folder / f"version-{version or 'unregistered'}" / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    english = path.with_name(ENGLISH_FILE)  # the Chinese report links to it
    if english.is_file():
        target.with_name(english.name).write_bytes(english.read_bytes())
    return target
