"""The training runs: data in, a registered, evaluated, maybe promoted model out.

`train_from_data` (a county's data folder), `train_from_table` (a ready student-level
table or frame) and `train_from_frame` (the common path) select and fit (`fit`), log and
register (`tracking`) and promote when asked and deserved (`promotion`).
`evaluate_version` (`reevaluate`) rebuilds a registered version's report.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from training import registry
from training.fit import Fitted, fit_and_evaluate
from training.outcome import Outcome
from training.reevaluate import evaluate_version
from training.spec import ModelSpec
from training.table import read_table, table_inputs
from training.tracking import HOLDOUT_ARTIFACT, RUN_INFO_ARTIFACT, log_run_or_fail

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
    return log_outcome(fitted, spec, tracking_uri, artifact_dir, promote, model_name, progress)


def log_outcome(
    fitted: Fitted,
    spec: ModelSpec,
    tracking_uri: str,
    artifact_dir: Path | None,
    promote: bool,
    model_name: str,
    progress: Progress | None,
) -> Outcome:
    """Log a fitted model to MLflow, register it, promote it if asked and deserved."""
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


def train_from_table(
    table: Path | pd.DataFrame,
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

    `table` is a file or a data frame. With no spec, the default one is fitted to the table
    (`generic.table_spec`: county-only parts the table cannot use are skipped, each with a
    note). The model is registered as `model_name`, by default the file's stem ("table"
    for a frame), so a county's champion is never touched.
    """
    framed = isinstance(table, pd.DataFrame)
    frame = table if framed else read_table(Path(table))
    source = "a data frame" if framed else str(table)
    spec, notes, groups = table_inputs(frame, spec, group_columns, source)
    return train_from_frame(
        frame,
        spec,
        label=label,
        tracking_uri=tracking_uri,
        artifact_dir=artifact_dir,
        time_column=time_column,
        id_column=id_column,
        group_columns=groups,
        promote=promote,
        source=source,
        notes=notes,
        engine=engine,
        scheduler=scheduler,
        model_name=model_name or ("table" if framed else Path(table).stem),
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
