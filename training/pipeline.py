"""The training and evaluation runs: data in, a registered, evaluated, maybe promoted model out.

`train_from_data` (a county's data folder), `train_from_table` (a ready student-level
table) and `train_from_frame` (the common path) train, evaluate beside the baselines,
log everything to MLflow, register a version, and promote it when asked and deserved.
`evaluate_version` rebuilds a registered version's report; `compare` re-scores the
champion on a new test set.
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

from training import metrics, registry
from training.baselines import NAMES, RuleBaseline, logistic_regression
from training.dataset import NEVER_INDICATORS, Prepared, fingerprint, prepare
from training.errors import TableError
from training.evaluation import (
    PART,
    RISK,
    SCORE_PREFIX,
    Evaluation,
    evaluate_holdout,
    sample_contributions,
)
from training.model import RiskModel
from training.scorer import MODEL_DIR_ARTIFACT, RiskScorer
from training.spec import ModelSpec
from training.split import Split, stratified_split, temporal_split
from training.tracking import log_details, run_name

Progress = Callable[[str], None]
HOLDOUT_ARTIFACT = "evaluation/holdout.parquet"
RUN_INFO_ARTIFACT = "evaluation/run_info.json"


@dataclass
class Outcome:
    """What a train or evaluate run produced, for the CLI's summary and --json."""

    run_id: str
    model_version: str | None
    evaluation: Evaluation
    report_path: Path
    promoted: bool = False
    promotion: str | None = None

    def to_json(self) -> dict[str, Any]:
        m = self.evaluation.model
        out: dict[str, Any] = {"run_id": self.run_id, "model_version": self.model_version}
        for key in ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k", "brier", "ece"):
            out[key] = _finite(m.get(key))
        out["k"] = int(m["k"])
        out["baselines"] = {
            name: {
                key: _finite(b.get(key))
                for key in ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k")
            }
            for name, b in self.evaluation.baselines.items()
        }
        out["promoted"] = self.promoted
        out["report"] = str(self.report_path)
        return out


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def _noop(_: str) -> None:
    pass


# -- train ----------------------------------------------------------------------------------
@dataclass
class Fitted:
    """A trained, evaluated model before it is logged: everything MLflow will receive."""

    scorer: RiskScorer
    model: RiskModel
    evaluation: Evaluation
    holdout: pd.DataFrame
    dataset: dict[str, Any]
    run_info: dict[str, Any]


def fit_and_evaluate(
    frame: pd.DataFrame,
    spec: ModelSpec,
    *,
    label: str,
    time_column: str | None = None,
    id_column: str | None = None,
    group_columns: list[str] | None = None,
    source: str = "the table",
    dataset_info: dict[str, Any] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Fitted:
    """Split, train, calibrate, score the baselines and evaluate on the test part; no MLflow."""
    say = progress or _noop
    say("Checking the table")
    prepared = prepare(frame, spec, label, time_column, id_column, source)
    split = (
        temporal_split(prepared.frame[time_column], spec.split)
        if time_column
        else stratified_split(
            prepared.y,
            spec.split,
            spec.seed,
            prepared.frame[prepared.id_column].to_numpy() if prepared.id_column else None,
        )
    )
    x, y = prepared.matrix(), prepared.y

    say("Training LightGBM" + (" on the Dask cluster" if engine == "dask" else ""))
    model = RiskModel(
        params=spec.lightgbm.params,
        num_boost_round=spec.lightgbm.num_boost_round,
        early_stopping_rounds=spec.lightgbm.early_stopping_rounds,
        calibration=spec.calibration,
        monotone=dict(spec.lightgbm.monotone),
        seed=spec.seed,
        engine=engine,
        scheduler=scheduler,
    ).fit(
        x[split.train],
        y[split.train],
        x[split.validation],
        y[split.validation],
        prepared.features,
        list(prepared.categorical),
    )

    say("Scoring the baselines")
    holdout, notes = _holdout(prepared, split, model, x, spec)
    groups = group_columns if group_columns is not None else spec.fairness_groups
    scorer = RiskScorer(model.booster_, model.calibrator_, prepared.features, prepared.categorical)
    contrib, importance = sample_contributions(holdout, scorer, prepared.id_column, spec.seed)

    say("Evaluating on the test snapshot")
    ev = evaluate_holdout(
        holdout, spec, label, time_column, prepared.id_column, groups, importance, contrib
    )
    scorer.meta.update(_card(spec, prepared, split, ev, model))
    dataset = {
        "source": source,
        "rows": len(prepared.frame),
        "positives": int(y.sum()),
        "fingerprint": fingerprint(prepared.frame),
        "snapshots": (
            sorted(
                pd.Timestamp(t).strftime("%Y-%m-%d") for t in prepared.frame[time_column].unique()
            )
            if time_column
            else []
        ),
        "train_rows": int(split.train.sum()),
        "validation_rows": int(split.validation.sum()),
        "test_rows": int(split.test.sum()),
        **(dataset_info or {}),
    }
    run_info = {
        "label": label,
        "time_column": time_column,
        "id_column": prepared.id_column,
        "group_columns": groups,
        "split": split.describe(),
        "best_iteration": model.best_iteration_,
        "features": prepared.features,
        "notes": {
            **notes,
            **{f"column {k}": f"left out: {v}" for k, v in prepared.skipped.items()},
        },
    }
    return Fitted(scorer, model, ev, holdout, dataset, run_info)


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
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Train, evaluate beside the baselines, log to MLflow, register, and promote if asked."""
    fitted = fit_and_evaluate(
        frame,
        spec,
        label=label,
        time_column=time_column,
        id_column=id_column,
        group_columns=group_columns,
        source=source,
        dataset_info=dataset_info,
        engine=engine,
        scheduler=scheduler,
        progress=progress,
    )
    say = progress or _noop
    say("Logging to MLflow and registering the model")
    return _log_run(spec, fitted, tracking_uri, artifact_dir, promote, say)


def _holdout(
    prepared: Prepared, split: Split, model: RiskModel, x: np.ndarray, spec: ModelSpec
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Validation and test rows with the model's risk and every baseline's score."""
    mask = split.validation | split.test
    keep = [c for c in prepared.frame.columns if c not in NEVER_INDICATORS or c == prepared.label]
    holdout = prepared.frame.loc[mask, keep].copy()
    holdout[PART] = np.where(split.test[mask], "test", "validation")
    holdout[RISK] = model.predict_proba(x[mask])
    notes: dict[str, str] = {}
    for name in ("ministry_rule", "abc_flags"):
        conditions = getattr(spec.baselines, name)
        if not conditions:
            continue
        rule = RuleBaseline(name, tuple(conditions))
        missing = rule.missing(holdout.columns)
        if missing:
            notes[NAMES[name]] = f"not run: the data lacks {', '.join(missing)}"
            continue
        holdout[SCORE_PREFIX + name] = rule.score(holdout)
        notes[NAMES[name]] = rule.describe()
    if spec.baselines.logistic_regression:
        cat_idx = [prepared.features.index(c) for c in prepared.categorical]
        lr = logistic_regression(x[split.train], prepared.y[split.train], cat_idx, spec.seed)
        holdout[SCORE_PREFIX + "logistic_regression"] = lr.predict_proba(x[mask])[:, 1]
        notes[NAMES["logistic_regression"]] = (
            "L2-regularised, on the same indicators (median-imputed, standardised, one-hot)"
        )
    return holdout, notes


def _card(
    spec: ModelSpec, prepared: Prepared, split: Split, ev: Evaluation, model: RiskModel
) -> dict[str, Any]:
    """What the scorer carries about itself: the model card serving shows."""
    test = ev.test
    latest = test
    if ev.time_column:
        latest = test[test[ev.time_column] == test[ev.time_column].max()]
    risks = np.sort(latest[RISK].to_numpy())[::-1]
    k = spec.capacity.k(len(risks))
    medium = k + int(np.ceil(spec.tiers.medium_share * len(risks)))
    return {
        "spec_name": spec.name,
        "horizon_days": spec.horizon_days,
        "label": prepared.label,
        "calibration": spec.calibration,
        "capacity": spec.capacity.model_dump(exclude_none=True),
        "tiers": {"high": "top capacity", "medium_share": spec.tiers.medium_share},
        "tier_thresholds": {
            "high": float(risks[k - 1]) if k else 1.0,
            "medium": float(risks[min(medium, len(risks)) - 1]) if len(risks) else 1.0,
        },
        "split": split.describe(),
        "train_snapshots": [t.strftime("%Y-%m-%d") for t in split.train_times],
        "validation_snapshots": [t.strftime("%Y-%m-%d") for t in split.validation_times],
        "test_snapshots": [t.strftime("%Y-%m-%d") for t in split.test_times],
        "best_iteration": model.best_iteration_,
        "test_metrics": {k: _finite(v) for k, v in ev.model.items()},
        "tie_rule": metrics.TIE_RULE,
    }


# -- MLflow -----------------------------------------------------------------------------------
def _flat_params(spec: ModelSpec, model: RiskModel, features: list[str]) -> dict[str, str]:
    params = {f"lgb.{k}": v for k, v in model.lgb_params(features).items()}
    params.update(
        spec=spec.name,
        horizon_days=spec.horizon_days,
        calibration=spec.calibration,
        capacity=spec.capacity.describe(),
        num_boost_round=spec.lightgbm.num_boost_round,
        early_stopping_rounds=spec.lightgbm.early_stopping_rounds,
        best_iteration=model.best_iteration_,
        seed=spec.seed,
        n_features=len(features),
        engine=model.engine,
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


def _log_run(
    spec: ModelSpec,
    fitted: Fitted,
    tracking_uri: str,
    artifact_dir: Path | None,
    promote: bool,
    say: Progress,
) -> Outcome:
    import mlflow

    scorer, model, ev = fitted.scorer, fitted.model, fitted.evaluation
    holdout, dataset, run_info = fitted.holdout, fitted.dataset, fitted.run_info

    experiment_id = registry.ensure_experiment(tracking_uri, artifact_dir)
    with (
        registry.tracking(tracking_uri),
        tempfile.TemporaryDirectory() as tmp,
        mlflow.start_run(experiment_id=experiment_id, run_name=run_name(spec, dataset)) as run,
    ):
        out = Path(tmp)
        mlflow.set_tags({"spec": spec.name, "data_fingerprint": dataset["fingerprint"]})
        log_details(spec, dataset, holdout)
        mlflow.log_params(_flat_params(spec, model, scorer.features))
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
            registered_model_name=registry.MODEL_NAME,
            pip_requirements=_requirements(),
        )
        version = str(info.registered_model_version)
        client = registry.client(tracking_uri)
        for key, value in {
            "spec": spec.name,
            "data_fingerprint": dataset["fingerprint"],
            "test_snapshots": ",".join(scorer.meta["test_snapshots"]),
            f"test_{spec.promote_metric}": f"{ev.model[spec.promote_metric]:.6f}",
        }.items():
            client.set_model_version_tag(registry.MODEL_NAME, version, key, value)

        promoted, message = False, None
        if promote:
            say("Comparing with the champion")
            promoted, message = compare(ev, version, tracking_uri)
            if promoted:
                registry.promote(version, tracking_uri, reason=message)
            mlflow.set_tag("promotion", message)

        say("Writing the report")
        in_service = {**run_info, "in_service": registry.champion_version(tracking_uri)}
        report_path = _write_report(ev, out, run.info.run_id, version, in_service, dataset, message)
        mlflow.log_artifacts(str(out / "plots"), "plots")
        mlflow.log_artifact(str(report_path), "report")
        mlflow.log_artifact(str(report_path.with_name("report.en.html")), "report")
        kept = _keep_report(report_path, artifact_dir, version)
    return Outcome(run.info.run_id, version, ev, kept, promoted, message)


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


def _write_report(
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


def _keep_report(path: Path, artifact_dir: Path | None, version: str | None) -> Path:
    """A copy of the report beside the artifacts, since the run's temporary folder goes away."""
    base = Path(artifact_dir).parent if artifact_dir else Path(tempfile.gettempdir())
    target = base / "reports" / f"version-{version or 'unregistered'}" / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    english = path.with_name("report.en.html")  # the Chinese report links to it
    if english.is_file():
        target.with_name(english.name).write_bytes(english.read_bytes())
    return target


# -- champion --------------------------------------------------------------------------------
def compare(ev: Evaluation, version: str, tracking_uri: str) -> tuple[bool, str]:
    """Should `version` replace the champion? Re-scores the champion on this test set."""
    spec, metric = ev.spec, ev.spec.promote_metric
    lost = [n for n, margin in ev.margins(metric).items() if margin <= 0 and n in spec.must_beat]
    if lost:
        return False, (
            f"version {version} does not beat the baseline(s) {', '.join(lost)} on {metric}; "
            "not promoted"
        )
    current = registry.champion_version(tracking_uri)
    if current is None:
        return True, f"no champion yet; version {version} becomes the champion"
    if current == version:
        return False, f"version {version} is already the champion"
    champion = RiskScorer.load(f"models:/{registry.MODEL_NAME}/{current}", tracking_uri)
    missing = [f for f in champion.features if f not in ev.test.columns]
    if missing:
        return False, (
            f"the champion (version {current}) cannot score this test set (it lacks "
            f"{', '.join(missing[:5])}); it stays champion, version {version} is not promoted"
        )
    test = ev.test
    keys = metrics.tie_keys(ev.test_ids)
    snaps = test[ev.time_column].to_numpy() if ev.time_column else None
    old = metrics.evaluate_scores(
        test[ev.label].to_numpy(dtype=int), champion.predict(test), keys, spec.capacity.k, snaps
    )[metric]
    new = ev.model[metric]
    if new > old:
        return True, (
            f"version {version} beats the champion (version {current}) on the same test set: "
            f"{metric} {new:.4f} vs {old:.4f}; promoted to champion"
        )
    return False, (
        f"version {version} does not beat the champion (version {current}) on the same test set: "
        f"{metric} {new:.4f} vs {old:.4f}; the champion stays version {current}"
    )


# -- entry points -----------------------------------------------------------------------------
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
    spec: ModelSpec,
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
    progress: Progress | None = None,
) -> Outcome:
    """Train on a ready student-level table (one row per student, or per student and date)."""
    frame = read_table(path)
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
        engine=engine,
        scheduler=scheduler,
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
        progress=progress,
    )


def evaluate_version(
    tracking_uri: str,
    version: str | None = None,
    artifact_dir: Path | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Rebuild a registered version's evaluation and report from its logged holdout."""
    import mlflow

    from training.errors import RegistryError
    from training.spec import load_spec

    say = progress or _noop
    version = (
        version or registry.champion_version(tracking_uri) or registry.latest_version(tracking_uri)
    )
    if version is None:
        raise RegistryError("no model is registered yet; run `dropout-risk train` first")
    run_id = registry.run_of(version, tracking_uri)
    say(f"Loading version {version}")
    scorer = RiskScorer.load(f"models:/{registry.MODEL_NAME}/{version}", tracking_uri)
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
        say("Writing the report")
        report = _write_report(ev, out, run_id, version, run_info, dataset, None)
        client = registry.client(tracking_uri)
        client.log_artifact(run_id, str(report), "report")
        kept = _keep_report(report, artifact_dir, version)
    return Outcome(run_id, version, ev, kept)
