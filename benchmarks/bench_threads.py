"""LightGBM's OpenMP wait policy: one fit with spinning threads, one thread, sleeping threads.

The policy is read when the OpenMP runtime loads, so each setting runs in a fresh process.
One fit of the default spec's parameters, 300 rounds, on the first two snapshots of
`synthetic_table(students, 4)`; prints CPU and wall seconds and the test average
precision (the same trees each time: the policy changes the speed, never the model).

    .venv/bin/python -m benchmarks.bench_threads [--students 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

ONE_FIT = """
import sys, time
import lightgbm as lgb, numpy as np
from sklearn.metrics import average_precision_score
from training.dataset import prepare
from training.model import RiskModel
from training.spec import default_spec_path, load_spec
from training.synthetic import synthetic_table

spec = load_spec(default_spec_path())
prepared = prepare(synthetic_table(int(sys.argv[1]), 4, seed=0), spec, "label", "as_of")
x, y, times = prepared.matrix(), prepared.y, prepared.frame["as_of"].to_numpy()
snaps = np.unique(times)
train, test = times < snaps[2], times == snaps[3]
params = RiskModel(params=dict(spec.lightgbm.params), seed=42).lgb_params(prepared.features)
params.update(metric=[], **({"num_threads": int(sys.argv[2])} if sys.argv[2] != "0" else {}))
cpu, wall = time.process_time(), time.perf_counter()
data = lgb.Dataset(x[train], y[train], feature_name=prepared.features,
                   categorical_feature=[prepared.features.index(c) for c in prepared.categorical])
booster = lgb.train(params, data, num_boost_round=300)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
ap = average_precision_score(y[test], booster.predict(x[test]))
print(f"{cpu:.1f} | {wall:.1f} | {ap:.4f}")
"""

SETTINGS = [
    ("2, ACTIVE (spinning)", "ACTIVE", "0"),
    ("1", "PASSIVE", "1"),
    ("2, PASSIVE", "PASSIVE", "0"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print("| threads, wait policy | CPU s | wall s | test AP |\n|---|---:|---:|---:|")
    for label, policy, threads in SETTINGS:
        env = {**os.environ, "OMP_WAIT_POLICY": policy}
        done = subprocess.run(
            [sys.executable, "-c", ONE_FIT, str(args.students), threads],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"| {label} | {done.stdout.strip()} |", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
