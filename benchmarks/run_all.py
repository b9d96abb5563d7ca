"""Run every benchmark one after another (`make benchmark`); each prints its own figures.

They run in sequence, never side by side, because each measures wall time and peak
memory on a 2-core machine. Results go to BENCHMARKS.md by hand or by the benchmark
itself where it says so.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    ["benchmarks.bench_generate_validate", "--students", "100000", "--years", "3"],
    ["benchmarks.bench_features", "--students", "100000"],
    ["benchmarks.bench_train", "--students", "100000", "--snapshots", "4"],
    ["benchmarks.bench_serving", "--requests", "3000"],
]


def main() -> int:
    failed = []
    for module, *args in BENCHMARKS:
        print(f"\n=== {module} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, "-m", module, *args]).returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
