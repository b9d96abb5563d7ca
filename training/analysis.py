"""Analyses more than one notebook needs: two versions on one test snapshot, the list at
other visit capacities, the fairness audit at another capacity. Pure library functions:
the workbench passes the settings (tracking URI, model name) in."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training import fairness, metrics, registry
from training.baselines import NAMES
from training.candidates import FAMILY_NAMES
from training.errors import RegistryError
from training.evaluation import PART, RISK, RULES, SCORE_PREFIX, Evaluation
from training.scorer import RiskScorer
from training.split import time_label

METRICS = ("roc_auc", "pr_auc", "precision_at_k", "recall_at_k", "caught_at_k", "lift_at_k")


def _name(base: str) -> str:
    return NAMES.get(base, FAMILY_NAMES.get(base, base))


def compare(
    version_a: str | int,
    version_b: str | int,
    tracking_uri: str,
    model_name: str = registry.MODEL_NAME,
    capacity: int | float | None = None,
) -> pd.DataFrame:
    """Two registered versions scored on the same test snapshot, beside the baselines.

    The test rows are the newer version's (its logged holdout); the older version re-scores
    them. `capacity` overrides the newer spec's visit capacity (a count, or a share < 1).
    One row per scorer; columns: ROC-AUC, PR-AUC, precision/recall/leavers reached/lift at
    the capacity, and Brier score and ECE for the probabilistic ones.
    """
    newer, older = sorted((str(version_a), str(version_b)), key=int, reverse=True)
    if newer == older:
        raise RegistryError(f"compare needs two different versions, got {newer} twice")
    holdout, run_info, spec = logged_holdout(newer, tracking_uri, model_name)
    test = holdout[holdout[PART] == "test"]
    label, time_column = run_info["label"], run_info["time_column"]
    y = test[label].to_numpy(dtype=int)
    keys = metrics.tie_keys(test[run_info["id_column"]].astype(str).to_numpy(dtype=object))
    snaps = test[time_column].to_numpy() if time_column else None
    k_of = k_of_capacity(capacity) if capacity is not None else spec.capacity.k

    rows: dict[str, dict[str, float]] = {}
    for version in (newer, older):
        model = RiskScorer.load(f"models:/{model_name}/{version}", tracking_uri)
        missing = [f for f in model.features if f not in test.columns]
        if missing:
            raise RegistryError(
                f"version {version} cannot score version {newer}'s test snapshot: it lacks "
                f"{', '.join(missing[:5])}"
            )
        name = f"version {version} ({model.meta.get('spec_name', '?')})"
        rows[name] = metrics.evaluate_scores(y, model.predict(test), keys, k_of, snaps)
    for column in test.columns:
        if column.startswith(SCORE_PREFIX):
            base = column.removeprefix(SCORE_PREFIX)
            rows[_name(base)] = metrics.evaluate_scores(
                y,
                test[column].to_numpy(),
                keys,
                k_of,
                snaps,
                probabilities=base not in RULES,
            )
    table = pd.DataFrame(rows).T
    columns = [*METRICS, "brier", "ece"]
    table = table.reindex(columns=columns)
    table.index.name = "scorer"
    table.attrs["test_snapshot"] = sorted(
        {time_label(t) for t in (snaps if snaps is not None else [])}
    )
    table.attrs["rows"], table.attrs["positives"] = len(y), int(y.sum())
    return table


def logged_holdout(
    version: str, tracking_uri: str, model_name: str = registry.MODEL_NAME
) -> tuple[pd.DataFrame, dict[str, Any], Any]:
    """A version's logged holdout, run info and spec (what `evaluate` rebuilds from)."""
    import mlflow

    from training.spec import load_spec
    from training.tracking import HOLDOUT_ARTIFACT, RUN_INFO_ARTIFACT

    run_id = registry.run_of(version, tracking_uri, model_name)
    with tempfile.TemporaryDirectory() as tmp:
        local = {
            name: Path(
                mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=name, dst_path=tmp, tracking_uri=tracking_uri
                )
            )
            for name in (HOLDOUT_ARTIFACT, RUN_INFO_ARTIFACT, "spec.yaml")
        }
        holdout = pd.read_parquet(local[HOLDOUT_ARTIFACT])
        run_info = json.loads(local[RUN_INFO_ARTIFACT].read_text())
        spec = load_spec(local["spec.yaml"])
    return holdout, run_info, spec


def k_of_capacity(capacity: int | float) -> Callable[[int], int]:
    """A visit capacity as k(population): a count, or a share of the population when < 1."""
    if capacity <= 0:
        raise ValueError(f"capacity must be positive, got {capacity}")
    if capacity < 1:
        return lambda n: min(n, max(1, int(np.ceil(capacity * n))))
    return lambda n: min(n, int(capacity))


def _test_arrays(ev: Evaluation) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    y = ev.test[ev.label].to_numpy(dtype=int)
    keys = metrics.tie_keys(ev.test_ids)
    snaps = ev.test[ev.time_column].to_numpy() if ev.time_column else None
    return y, keys, snaps


def capacity_sweep(ev: Evaluation, capacities: Sequence[int | float]) -> pd.DataFrame:
    """Precision, recall and leavers reached by the model and each baseline at several
    visit capacities (counts, or shares < 1) on the test snapshot; one row per
    (capacity, scorer)."""
    y, keys, snaps = _test_arrays(ev)
    scorers = {"Chosen model": ev.test[RISK].to_numpy()}
    for column in ev.test.columns:
        if column.startswith(SCORE_PREFIX):
            base = column.removeprefix(SCORE_PREFIX)
            scorers[_name(base)] = ev.test[column].to_numpy()
    rows = []
    for capacity in capacities:
        for name, scores in scorers.items():
            flagged = metrics.flag_top(scores, keys, k_of_capacity(capacity), snaps)
            hit = metrics.at_flagged(y, flagged)
            rows.append(
                {
                    "capacity": capacity,
                    "scorer": name,
                    "visits": hit["flagged"],
                    "leavers_reached": hit["caught"],
                    "precision": hit["precision"],
                    "recall": hit["recall"],
                    "lift": hit["lift"],
                }
            )
    return pd.DataFrame(rows)


def fairness_at(
    ev: Evaluation,
    capacity: int | float | None = None,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The per-group audit of the model's list at a visit capacity (default: the spec's).

    Each group's size, leavers, students flagged, precision, recall, FNR, FPR and FOR, and
    each rate divided by the largest group's of the same attribute; `disparity` is True when
    a ratio lies outside 0.8-1.25 (the Aequitas convention).
    """
    y, keys, snaps = _test_arrays(ev)
    k_of = ev.spec.capacity.k if capacity is None else k_of_capacity(capacity)
    flagged = metrics.flag_top(ev.test[RISK].to_numpy(), keys, k_of, snaps)
    columns = list(groups) if groups is not None else list(ev.spec.fairness_groups)
    table, _ = fairness.audit(ev.test, y, flagged, columns)
    return table
