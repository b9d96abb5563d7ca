"""`train DATA --engine dask`: the command's side of training on the cluster
(`training.cluster_pipeline`): the dataset opened without loading it, a failed cluster in
one line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dropout_risk.console import fail
from dropout_risk.settings import get_settings

if TYPE_CHECKING:
    from training.outcome import Outcome


def train_on_cluster(
    data_dir: Path, model_spec: object, promote: bool, scheduler: str | None, quiet: bool
) -> Outcome:
    """`train DATA --engine dask`: the ingested dataset's training set stays on the workers."""
    from distributed import KilledWorker

    from dropout_risk.commands.ingest import open_dataset
    from dropout_risk.commands.train import steps
    from features.io import clean_text
    from training.cluster_pipeline import train_on_dataset
    from training.spec import default_spec_path, load_spec

    dataset = open_dataset(data_dir)
    settings = get_settings()
    try:
        with steps(quiet) as say:
            return train_on_dataset(
                dataset.folder,
                dataset.manifest,
                model_spec or load_spec(default_spec_path()),  # type: ignore[arg-type]
                tracking_uri=settings.tracking_uri,
                artifact_dir=settings.artifact_dir,
                promote=promote,
                scheduler=scheduler,
                source=str(data_dir),
                model_name=settings.model_name,
                progress=say,
            )
    except (OSError, TimeoutError, KilledWorker) as exc:  # no scheduler, or a worker lost
        fail(f"the Dask cluster failed ({type(exc).__name__}): {clean_text(exc)}")
