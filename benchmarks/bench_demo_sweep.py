"""Demo sweep: does `dropout-risk demo --no-serve` promote a champion at every size and seed?

Runs the real command in a fresh home per (students, seed), then reads the champion from
the MLflow store: its family, the candidate chosen on validation, and its test margins
over the rules and the environment model. Prints one Markdown row per run.

    .venv/bin/python -m benchmarks.bench_demo_sweep [--students 1000 2000 3000 5000 8000]
        [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import os
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
        done = subprocess.run(
            [str(CLI), "demo", "--no-serve", "--students", str(students), "--seed", str(seed)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        uri = f"sqlite:///{home}/mlflow.sqlite"
        version = champion_version(uri) if Path(home, "mlflow.sqlite").is_file() else None
        if done.returncode != 0 or version is None:
            why = (done.stderr.strip().splitlines() or ["?"])[-1][:120]
            return f"| {students:,} | {seed} | **no** | – | – | {why} | {seconds:.0f} |"
        meta = RiskScorer.load(f"models:/dropout-risk/{version}", uri).meta
        margins = meta.get("margins") or {}
        shown = ", ".join(
            f"{name} {margins[name]:+.3f}"
            for name in ("ministry_rule", "abc_flags", "environment")
            if margins.get(name) is not None
        )
        pr_auc = (meta.get("test_metrics") or {}).get("pr_auc")
        return (
            f"| {students:,} | {seed} | yes | {meta.get('family')} | {meta.get('candidate')} "
            f"(test PR-AUC {pr_auc:.3f}) | {shown} | {seconds:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 2000, 3000, 5000, 8000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    print("| students | seed | promoted | family | chosen | test PR-AUC margin over | seconds |")
    print("|---:|---:|---|---|---|---|---:|", flush=True)
    for students in args.students:
        for seed in args.seeds:
            print(one(students, seed), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
