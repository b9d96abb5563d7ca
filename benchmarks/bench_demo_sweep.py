"""Demo sweep: does `dropout-risk demo --no-serve` promote a champion at every size and seed?

Runs the real command in a fresh home per (students, seed), then reads the champion from
the MLflow store: its family, the candidate chosen on validation, the test period (its
snapshots and leavers), and its test margins over the rules and the environment model.
Prints one Markdown row per run, with its wall and CPU seconds and the load average.

    .venv/bin/python -m benchmarks.bench_demo_sweep [--students 1000 2000 3000 5000 8000]
        [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("dropout-risk")


def one(students: int, seed: int) -> str:
    """Run the demo once; a Markdown row: size, seed, promoted, family, candidate, margins."""
    from training.registry import champion_version
    from training.scorer import RiskScorer

    with tempfile.TemporaryDirectory(prefix="demo-sweep-") as home:
        env = {**os.environ, "DROPOUT_RISK_HOME": home}
        start = time.perf_counter()
        cpu_start = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [str(CLI), "demo", "--no-serve", "--students", str(students), "--seed", str(seed)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = used.ru_utime + used.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime
        timing = f"{seconds:.0f} | {cpu:.0f} | {os.getloadavg()[0]:.1f}"
        uri = f"sqlite:///{home}/mlflow.sqlite"
        version = champion_version(uri) if Path(home, "mlflow.sqlite").is_file() else None
        if done.returncode != 0 or version is None:
            why = (done.stderr.strip().splitlines() or ["?"])[-1][:120]
            return f"| {students:,} | {seed} | **no** | – | – | – | {why} | {timing} |"
        meta = RiskScorer.load(f"models:/dropout-risk/{version}", uri).meta
        margins = meta.get("margins") or {}
        shown = ", ".join(
            f"{name} {margins[name]:+.3f}"
            for name in ("ministry_rule", "abc_flags", "environment")
            if margins.get(name) is not None
        )
        test = meta.get("test_metrics") or {}
        period = f"{len(meta.get('test_snapshots') or [])}, {test.get('positives', 0):.0f}"
        return (
            f"| {students:,} | {seed} | yes | {meta.get('family')} | {meta.get('candidate')} "
            f"(test PR-AUC {test.get('pr_auc', 0):.3f}) | {period} | {shown} | {timing} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 2000, 3000, 5000, 8000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    print(
        "| students | seed | promoted | family | chosen | test snapshots, leavers "
        "| test PR-AUC margin over | wall s | CPU s | load |"
    )
    print("|---:|---:|---|---|---|---|---|---:|---:|---:|", flush=True)
    for students in args.students:
        for seed in args.seeds:
            print(one(students, seed), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
