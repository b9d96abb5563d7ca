"""How a training run reads in the MLflow UI: a name by spec, data and date, a description,
the dataset it learned from (`mlflow.log_input`), and the monotone constraints by name."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import PurePath
from typing import Any

import pandas as pd

from training.spec import ModelSpec


def data_name(dataset: dict[str, Any]) -> str:
    """The data folder's (or table's) last path part: `county-2025` of `/data/county-2025`."""
    source = str(dataset.get("source") or "table")
    return PurePath(source).name or source


def run_name(spec: ModelSpec, dataset: dict[str, Any], today: dt.date | None = None) -> str:
    """`lightgbm · county-2025 · 2026-12-03`: spec, data, the day it was trained."""
    return f"{spec.name} · {data_name(dataset)} · {(today or dt.date.today()).isoformat()}"


def description(spec: ModelSpec, dataset: dict[str, Any]) -> str:
    """The run's description (Markdown, shown at the top of the run's page)."""
    snapshots = dataset.get("snapshots") or []
    span = f"{snapshots[0]} – {snapshots[-1]} ({len(snapshots)} snapshots)" if snapshots else "–"
    lines = [
        f"**{spec.name}**: {spec.description or 'dropout risk model'}",
        "",
        f"- data: `{dataset.get('source')}`"
        + (f", exported {dataset['export_date']}" if dataset.get("export_date") else ""),
        f"- snapshots: {span}; horizon {spec.horizon_days} days",
        f"- rows: {dataset.get('rows', 0):,} ({dataset.get('positives', 0):,} left school); "
        f"train {dataset.get('train_rows', 0):,}, validation "
        f"{dataset.get('validation_rows', 0):,}, test {dataset.get('test_rows', 0):,}",
        f"- data fingerprint: `{dataset.get('fingerprint')}`",
    ]
    return "\n".join(lines)


def constraints(spec: ModelSpec) -> dict[str, int]:
    """The monotone constraints by indicator name (+1 raises, -1 lowers the risk only)."""
    return {name: int(direction) for name, direction in sorted(spec.lightgbm.monotone.items())}


def log_details(spec: ModelSpec, dataset: dict[str, Any], frame: pd.DataFrame) -> None:
    """In the active run: description, named constraints, and `frame` as the run's input."""
    import mlflow

    mlflow.set_tag("mlflow.note.content", description(spec, dataset))
    mlflow.set_tag("data_folder", str(dataset.get("source")))
    if dataset.get("export_date"):
        mlflow.set_tag("export_date", str(dataset["export_date"]))
    named = constraints(spec)
    if named:
        mlflow.log_params({f"monotone.{name}": d for name, d in named.items()})
        mlflow.log_dict(named, "monotone_constraints.json")
    source = str(dataset.get("source") or "table")
    # A folder path reads as two kinds of local source, and the dataset's schema (inferred
    # when it is logged) hints about integer columns the model's own signature already covers.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        logged = mlflow.data.from_pandas(frame, source=source, name=data_name(dataset))
        mlflow.log_input(logged, context="evaluation")
