"""Benchmark: LightGBM trained by lightgbm.dask from a training set kept on the workers.

The client (its own process) stacks the snapshots on the workers (`stack_on_cluster`),
trains on all but the last with `train_on_cluster`, chooses the best round on the last, and
reports its peak resident memory beside the size the training matrix would have had in it.
The dataset is an ingested one (or `bench_dask_client`'s province of copies: `--copies`).

    .venv/bin/python -m benchmarks.bench_dask_train --dataset HOME/ingested/county-xxxx --copies 5
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_dask_client import replicate

CLIENT = """
import json, resource, sys, time
from pathlib import Path
import pandas as pd
from distributed import Client
from features.catalogue import CATALOGUE
from features.training_set import stack_on_cluster
from training.dask_train import train_on_cluster
from training.model import RiskModel

folder, address, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
manifest = json.loads((folder / "manifest.json").read_text())
with Client(address) as client:
    start = time.perf_counter()
    ts = stack_on_cluster(client, folder, manifest, sys.argv[4].split(","), 120)
    built = time.perf_counter() - start
    features = [c for c in CATALOGUE if str(ts.meta[c].dtype) != "datetime64[ns]"]
    categorical = {c: [str(v) for v in ts.meta[c].cat.categories] for c in features
                   if isinstance(ts.meta[c].dtype, pd.CategoricalDtype)}
    params = RiskModel().lgb_params(features)
    *fit_on, val_at = ts.snapshots
    rows = sum(sum(client.gather(client.map(len, ts.pieces[d]))) for d in fit_on)
    booster, best, _ = train_on_cluster(client, params, rounds, ts.frame(fit_on),
                                        ts.pieces[val_at], features, categorical)
    trained = time.perf_counter() - start - built
print(rows, len(features), best, round(built, 1), round(trained, 1),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="an ingested county")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--snapshots", default="2022-09-01,2023-03-01")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--memory-limit", default="4GB", help="per worker")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        folder = args.dataset
        if args.copies > 1:
            folder = Path(tmp) / "province"
            replicate(args.dataset, folder, args.copies)
        students = json.loads((folder / "manifest.json").read_text())["tables"]["enrollments"]
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit=args.memory_limit,
            dashboard_address=None, silence_logs=logging.ERROR,
        ) as cluster:  # fmt: skip
            load, start, cpu = os.getloadavg()[0], time.perf_counter(), os.times()
            done = subprocess.run(
                [sys.executable, "-c", CLIENT, str(folder), cluster.scheduler_address,
                 str(args.rounds), args.snapshots],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            seconds, after = time.perf_counter() - start, os.times()
    rows, n_features, best, built, trained, peak = done.stdout.split()[-6:]
    client_cpu = (after.children_user - cpu.children_user) + (
        after.children_system - cpu.children_system
    )
    matrix_gb = int(rows) * int(n_features) * 8 / 1024**3
    print(
        f"{students['rows']:,} enrollments; {int(rows):,} training rows × {n_features} "
        f"indicators (a float64 matrix of {matrix_gb:.2f} GB, never in the client); "
        f"{args.rounds} rounds, best {best}; snapshots built in {built} s, trained in "
        f"{trained} s; {seconds:.1f} s wall, client CPU {client_cpu:.1f} s, client peak "
        f"{int(peak) / 1024**2:.2f} GB; load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
