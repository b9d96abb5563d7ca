"""Benchmark: `features --engine dask` on an ingested county, client and worker memory.

A local cluster of two worker processes (one thread each, a memory limit each) runs in
this process; `dropout-risk features --engine dask --scheduler ADDR` runs as its own
process (the client), and `dropout-risk features` (local engine) as another, each timed
whole with its own peak resident memory. The two outputs are compared before recording.

    .venv/bin/python -m benchmarks.bench_dask_dataset --students 40000 --group-students 10000
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.bench_features import _last_attendance_day

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Dask over the ingested dataset (issue 16)"
# The CLI in a process that reports its own peak memory on its last stderr line.
RUN = (
    "import resource, runpy, sys\n"
    "sys.argv = ['dropout-risk', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('dropout_risk.cli', run_name='__main__')\n"
    "finally:\n"
    "    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def _cli(args: list[str], home: Path) -> dict[str, float]:
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    load, start = os.getloadavg()[0], time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True,
                          text=True, check=False, cwd=ROOT)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{args} failed:\n{done.stderr[-3000:]}")
    peak = int(done.stderr.strip().splitlines()[-1].split()[1]) / 1024**2
    return {"seconds": seconds, "peak_gb": peak, "load_avg": max(load, os.getloadavg()[0])}


def _worker_peak() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _task_seconds(records: list[dict]) -> list[float]:
    """Compute seconds of each `compute_task` run, from the scheduler's task stream."""
    out = []
    for record in records:
        if "compute_task" in str(record.get("key", "")):
            out.append(sum(s["stop"] - s["start"] for s in record["startstops"]
                           if s["action"] == "compute"))  # fmt: skip
    return out


def main() -> None:
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40_000)
    parser.add_argument("--group-students", type=int, default=10_000)
    parser.add_argument("--memory-limit", default="2GB", help="per worker")
    parser.add_argument("--data", type=Path, help="reuse a generated county")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        folder, home = args.data, Path(tmp) / "home"
        if folder is None:
            from features.synthetic import generate_county

            folder = Path(tmp) / "county"
            print(f"generating {args.students:,} students, one year ...", flush=True)
            generate_county(folder, students=args.students, years=1, seed=0, fmt="parquet")
        day = f"{_last_attendance_day(folder) + pd.Timedelta(days=1):%Y-%m-%d}"
        r = {
            "ingest": _cli(
                ["ingest", str(folder), "--group-students", str(args.group_students)], home
            )
        }
        print("ingest", r["ingest"], flush=True)
        cluster_options = {
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "memory_limit": args.memory_limit,
            "dashboard_address": None,
            "silence_logs": logging.ERROR,
        }
        with LocalCluster(**cluster_options) as cluster, Client(cluster) as client:
            out = {k: Path(tmp) / f"{k}.parquet" for k in ("dask", "local")}
            address = cluster.scheduler_address
            on_cluster = ["--engine", "dask", "--scheduler", address]
            since = time.time()
            client.get_task_stream(start=since)  # registers the scheduler's task-stream plugin
            r["dask"] = _cli(
                ["features", str(folder), "--as-of", day, "--out", str(out["dask"]), *on_cluster],
                home,
            )
            print("dask client", r["dask"], flush=True)
            workers = client.run(_worker_peak)
            per_task = _task_seconds(client.get_task_stream(start=since))
        r["local"] = _cli(
            ["features", str(folder), "--as-of", day, "--out", str(out["local"])], home
        )
        print("local", r["local"], flush=True)
        pd.testing.assert_frame_equal(pd.read_parquet(out["dask"]), pd.read_parquet(out["local"]))
        manifest = json.loads(next((home / "ingested").glob("*/manifest.json")).read_text())
        students = len(pd.read_parquet(out["local"], columns=["student_id"]))
    peaks = ", ".join(f"{v:.2f} GB" for v in workers.values())
    tasks = ", ".join(f"{t:.1f}" for t in sorted(per_task))
    per_student = sum(per_task) / max(students, 1) * 1e6
    text = f"""{SECTION}

`python -m benchmarks.bench_dask_dataset {" ".join(sys.argv[1:])}` on {platform.node()}
({os.cpu_count()} cores), {time.strftime("%Y-%m-%d %H:%M")}. Synthetic county, {args.students:,}
students, one school year, ingested in {manifest["partitions"] - 1} partitions of whole schools
(`--group-students {args.group_students}`); snapshot {day}, {students:,} students. Local cluster:
2 worker processes, 1 thread and {args.memory_limit} each, in the benchmark's process. Each
`features` run is its own process; peak = its maximum resident set size.

| run | wall time | peak memory | load avg |
|---|---:|---:|---:|
| `features --engine dask --scheduler ADDR` (the client) | {r["dask"]["seconds"]:.1f} s | {r["dask"]["peak_gb"]:.2f} GB | {r["dask"]["load_avg"]:.1f} |
| the two workers (peak since they started) | | {peaks} | |
| time per task (one partition, on a worker), s | {tasks} | | |
| `features` (local engine, same dataset) | {r["local"]["seconds"]:.1f} s | {r["local"]["peak_gb"]:.2f} GB | {r["local"]["load_avg"]:.1f} |

Worker compute time per student: {per_student:.0f} µs (sum of task times / students).
Both outputs are equal (checked before recording). The client holds the snapshot year's
enrollments (the roster), the dropouts, the schools and the households of those who left;
it never opens attendance, grades or households (`tests/features/test_dask_dataset.py`
checks this under strace). Each worker writes its partition's indicators beside `--out`
and the client merges them into the one file, batch by batch.
"""  # noqa: E501
    print(text)
    import benchmarks.bench_features as bf

    saved, bf.SECTION = bf.SECTION, SECTION
    try:
        bf._write_section(text)
    finally:
        bf.SECTION = saved


if __name__ == "__main__":
    main()
