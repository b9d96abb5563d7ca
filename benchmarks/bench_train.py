"""Training benchmark: 100k students x 4 snapshots (a 400k-row table) end to end.

Times `train_from_frame` with the default spec (models/lightgbm.yaml): every candidate (the
LightGBM grid, the logistic regression, the environment model when the table has schools)
on each validation snapshot and again for the test, the rules, evaluation, plots, the
report, MLflow logging and registration into a fresh SQLite store. Target: under 3
minutes on 2 cores; the knobs are `candidates.lightgbm_grid` (fits grow with its length)
and `split.validation_snapshots` (one more round of fits per snapshot).

    .venv/bin/python -m benchmarks.bench_train [--students 100000] [--snapshots 4]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from training.pipeline import train_from_frame
from training.spec import load_spec
from training.synthetic import synthetic_table

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--snapshots", type=int, default=4)
    parser.add_argument("--spec", type=Path, default=REPO / "models" / "lightgbm.yaml")
    args = parser.parse_args()

    table = synthetic_table(args.students, args.snapshots, seed=0)
    spec = load_spec(args.spec)
    steps: list[tuple[str, float]] = []
    start, cpu_start = time.perf_counter(), time.process_time()

    def say(message: str) -> None:
        steps.append((message, time.perf_counter() - start))

    with tempfile.TemporaryDirectory() as home:
        out = train_from_frame(
            table,
            spec,
            label="label",
            time_column="as_of",
            tracking_uri=f"sqlite:///{home}/mlflow.sqlite",
            artifact_dir=Path(home) / "mlartifacts",
            progress=say,
        )
        total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average after: {os.getloadavg()}")
    print(f"table: {len(table):,} rows ({args.students:,} students x {args.snapshots} snapshots)")
    ends = [t for _, t in steps[1:]] + [total]
    for (name, began), ended in zip(steps, ends, strict=True):
        print(f"  {name:<45} {ended - began:7.1f} s")
    print(f"total: {total:.1f} s wall, from the table in memory to a registered version")
    print(f"process CPU time (user + system, all threads): {cpu:.1f} s")
    m = out.evaluation.model
    print(f"test: ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f}", end=", ")
    print(f"recall@k {m['recall_at_k']:.3f}")
    for name, b in out.evaluation.baselines.items():
        print(f"  {name}: ROC-AUC {b['roc_auc']:.3f}, PR-AUC {b['pr_auc']:.3f}")


if __name__ == "__main__":
    main()
