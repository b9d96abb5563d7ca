"""Benchmark: what the process of `train DATA --engine dask` holds, step by step.

Runs `training.cluster_pipeline.train_on_dataset` (what the command runs) on an ingested
dataset against a running scheduler, and prints at each progress step the process's
resident memory now and at its peak, and its CPU time; MLflow goes to a store in a
temporary folder.

    .venv/bin/python -m benchmarks.bench_train_cluster --dataset HOME/ingested/<county> \
        --scheduler tcp://127.0.0.1:8811 --spec SPEC.yaml
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    from training.cluster_pipeline import train_on_dataset
    from training.spec import load_spec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="an ingested dataset")
    parser.add_argument("--scheduler", required=True)
    parser.add_argument("--spec", type=Path, required=True)
    args = parser.parse_args()
    manifest = json.loads((args.dataset / "manifest.json").read_text())
    start = time.perf_counter()

    def say(step: str) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"{time.perf_counter() - start:7.1f} s  cpu {usage.ru_utime + usage.ru_stime:6.1f} s"
            f"  rss {_resident_mb():6.0f} MB  peak {usage.ru_maxrss / 1024:6.0f} MB  {step}",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as store:
        outcome = train_on_dataset(
            args.dataset,
            manifest,
            load_spec(args.spec),
            tracking_uri=f"sqlite:///{store}/mlflow.sqlite",
            artifact_dir=Path(store) / "artifacts",
            scheduler=args.scheduler,
            model_name="bench",
            progress=say,
        )
    say(f"done: {outcome.evaluation.chosen}, test PR-AUC {outcome.evaluation.model['pr_auc']:.3f}")


if __name__ == "__main__":
    main()
