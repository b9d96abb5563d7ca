"""A small real model (LightGBM + calibrator) trained on indicator rows, for serving tests."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import numpy as np

from training.model import RiskModel
from training.scorer import RiskScorer

FEATURES = [
    "unexcused_rate_30d",
    "absence_rate_90d",
    "term_mean_score",
    "registered_poor",
    "left_behind",
    "guardian",
    "grade",
    "distance_km",
]
GUARDIANS = ["parents", "father", "mother", "grandparents", "relatives", "other", "none"]
CATEGORICAL = {"guardian": GUARDIANS}


def indicator_matrix(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indicator rows (guardian as its code) and labels that depend on them like real ones."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.beta(1, 12, n),
            rng.beta(1.5, 10, n),
            rng.normal(70, 12, n).clip(0, 100),
            rng.random(n) < 0.2,
            rng.random(n) < 0.3,
            rng.integers(0, len(GUARDIANS), n),
            rng.integers(1, 10, n),
            rng.gamma(2, 2, n),
        ]
    ).astype(np.float64)
    logit = -4 + 14 * x[:, 0] + 6 * x[:, 1] - 0.04 * (x[:, 2] - 70) + 0.8 * x[:, 3] + 0.3 * x[:, 6]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def make_scorer(version: str = "1", seed: int = 0, n: int = 3000) -> RiskScorer:
    """Train a small real model; different seeds give different models."""
    x, y = indicator_matrix(n, seed)
    half = n // 2
    model = RiskModel(
        params={"num_leaves": 15, "learning_rate": 0.1, "min_data_in_leaf": 20},
        num_boost_round=60,
        early_stopping_rounds=20,
        seed=seed,
    ).fit(x[:half], y[:half], x[half:], y[half:], FEATURES, ["guardian"])
    risk = model.predict_proba(x)
    meta = {
        "tier_thresholds": {
            "high": float(np.quantile(risk, 0.9)),
            "medium": float(np.quantile(risk, 0.7)),
        },
        "capacity": {"share": 0.1},
        "tiers": {"high": "top capacity", "medium_share": 0.2},
        "train_snapshots": ["2023-09-01", "2024-03-01"],
        "test_snapshots": ["2024-09-01"],
        "test_metrics": {"pr_auc": 0.4},
    }
    return RiskScorer(model.booster_, model.calibrator_, FEATURES, CATEGORICAL, meta, version)


def register(
    scorer: RiskScorer, tracking_uri: str, artifact_dir: Path, name: str = "dropout-risk"
) -> str:
    """Log the scorer's files in an MLflow run and register them as a new model version."""
    import mlflow

    from training import registry

    experiment = registry.ensure_experiment(tracking_uri, Path(artifact_dir))
    client = registry.client(tracking_uri)
    with (
        registry.tracking(tracking_uri),
        tempfile.TemporaryDirectory() as tmp,
        mlflow.start_run(experiment_id=experiment) as run,
    ):
        mlflow.log_artifacts(str(scorer.save(Path(tmp) / "model_dir")), "model_dir")
        source = f"{run.info.artifact_uri}/model_dir"
    with contextlib.suppress(mlflow.exceptions.MlflowException):  # already registered
        client.create_registered_model(name)
    return str(client.create_model_version(name, source, run_id=run.info.run_id).version)


def build_registry(folder: Path) -> str:
    """An MLflow store with versions 1 (champion) and 2 of different small models; its URI."""
    from training.registry import promote

    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.sqlite'}"
    for seed in (0, 1):
        register(make_scorer(str(seed + 1), seed=seed), uri, folder / "mlartifacts")
    promote("1", uri)
    return uri
