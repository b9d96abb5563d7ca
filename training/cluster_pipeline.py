"""`train DATA --engine dask`: a model trained from a training set that stays on the workers.

The workers build and label each snapshot's pieces from the ingested dataset
(`features.training_set.stack_on_cluster`) and encode them into the float matrix there.
The client gathers what the splits, the selection and the environment model read for
every row (NARROW: id, snapshot, label, school, township: a few dozen bytes a row), the
holdout's whole rows (the last validation snapshot and the test period: the report,
the rules, fairness and the explanations read them, and they are logged with the run),
one score a row for what it scores, and for the logistic regression a seeded sample
of at most `cluster_matrix.LINEAR_SAMPLE` training rows. LightGBM's fits read the
matrix on the workers (`training.dask_train.train_rows`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training.cluster_matrix import ClusterMatrix, encode_pieces
from training.dataset import Prepared, prepare
from training.fit import fit_prepared
from training.outcome import Outcome
from training.pipeline import log_outcome
from training.spec import ModelSpec

NARROW = ("student_id", "as_of", "label", "school_id", "township")
# A text column with more levels than this is no indicator (training.dataset.prepare).
MAX_LEVELS = 201


def train_on_dataset(
    folder: Path,
    manifest: dict[str, Any],
    spec: ModelSpec,
    *,
    tracking_uri: str,
    artifact_dir: Path | None = None,
    promote: bool = False,
    scheduler: str | None = None,
    source: str = "data folder",
    model_name: str,
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Train on the ingested dataset at `folder` with the cluster at `scheduler` (a local
    one of two workers when None), then log, register and maybe promote as `train` does."""
    from features.engines.dask import dask_client
    from features.engines.dataset_plan import client_tables
    from features.training_set import stack_on_cluster

    say = progress or (lambda _: None)
    snapshots = spec.snapshots if isinstance(spec.snapshots, str) else list(spec.snapshots)
    with dask_client(scheduler) as client:
        say("Building and labelling each snapshot's indicators on the workers")
        with warnings.catch_warnings():
            # Dropped snapshots are reported once, in the dataset summary and the report.
            warnings.simplefilter("ignore", UserWarning)
            training = stack_on_cluster(client, folder, manifest, snapshots, spec.horizon_days)
        for when, why in training.dropped:
            say(f"Snapshot {when:%Y-%m-%d} left out: {why}")
        pieces = [piece for when in training.snapshots for piece in training.pieces[when]]
        say("Checking the training set on the workers")
        prepared, x = prepare_on_cluster(client, pieces, training.meta, spec, source)
        export = client_tables(folder, manifest).export_date()
        info = {
            "export_date": f"{export.date:%Y-%m-%d}",
            "horizon_days": training.horizon_days,
            "dropped_snapshots": [f"{t:%Y-%m-%d}: {why}" for t, why in training.dropped],
        }
        fitted = fit_prepared(
            prepared, x, spec, source=source, dataset_info=info, engine="dask",
            scheduler=client.scheduler.address, progress=say,
        )  # fmt: skip
    return log_outcome(fitted, spec, tracking_uri, artifact_dir, promote, model_name, progress)


def prepare_on_cluster(
    client: Any, pieces: list[Any], meta: pd.DataFrame, spec: ModelSpec, source: str
) -> tuple[Prepared, ClusterMatrix]:
    """`training.dataset.prepare` of the stacked pieces without gathering them: the
    indicators are chosen on a few rows of each piece that show every column's levels and
    whether it is ever filled; the client keeps NARROW of every row, in the pieces' order."""
    kept = [c for c in NARROW if c in meta.columns]
    exemplar = pd.concat(client.gather(client.map(_exemplar, pieces)), ignore_index=True)
    shape = prepare(exemplar, spec, "label", "as_of", "student_id", source)
    narrow = pd.concat(client.gather(client.map(_columns, pieces, columns=kept)), ignore_index=True)
    narrow["label"] = narrow["label"].astype("int8")
    prepared = Prepared(
        narrow, "label", "as_of", "student_id", shape.features, shape.categorical, shape.skipped
    )
    encoded = encode_pieces(client, pieces, shape.features, shape.categorical)
    lengths = np.array(client.gather(client.map(len, pieces)), dtype=np.int64)
    return prepared, ClusterMatrix(client, pieces, encoded, lengths, list(meta.columns))


def _columns(piece: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return piece[columns]


def _exemplar(piece: pd.DataFrame) -> pd.DataFrame:
    """On a worker: the first filled row of every column, and the first row of each level
    of every text column (up to MAX_LEVELS): the rows `prepare` needs to see."""
    rows: set[int] = set()
    for name in piece.columns:
        series = piece[name]
        filled = series.notna().to_numpy()
        if filled.any():
            rows.add(int(np.argmax(filled)))
        text = isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object
        if text or pd.api.types.is_string_dtype(series.dtype):
            first = ~series.duplicated().to_numpy() & filled
            rows.update(int(i) for i in np.flatnonzero(first)[:MAX_LEVELS])
    return piece.iloc[sorted(rows)]
