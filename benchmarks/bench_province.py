"""Benchmark: a generated province, ingested on a Dask cluster, then features on the cluster.

Three steps, each command its own process (timed whole: wall time, CPU time, peak resident
memory from the kernel's rusage of that process):

1. `dropout-risk generate OUT --counties K --students N/K --years Y` (the split export);
2. `dropout-risk ingest OUT --engine dask --scheduler ADDR` (the client) against a local
   cluster of 2 worker processes (1 thread, `--memory-limit` each) started by this script;
3. `dropout-risk features OUT --as-of DAY --engine dask --scheduler ADDR`.

The workers are restarted between steps 2 and 3, so each step's worker peak is its own;
per-task compute times come from the scheduler's task stream, grouped by function (one
`check_piece` per county piece and table, one features task per partition).

    .venv/bin/python -m benchmarks.bench_province --students 20000 --counties 4
    .venv/bin/python -m benchmarks.bench_province --students 1000000 --counties 10 \\
        --memory-limit 6GB --work /big/disk
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], home: Path, log: Path) -> dict[str, float]:
    """One CLI command as its own process: wall, CPU (user+sys), peak RSS, load average."""
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    load, start = os.getloadavg()[0], time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dropout_risk.cli", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{log.read_text()[-3000:]}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_gb": round(usage.ru_maxrss / 1024**2, 3),
        "load_avg": round(max(load, os.getloadavg()[0]), 2),
    }


def _worker_usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_gb": usage.ru_maxrss / 1024**2, "cpu_seconds": usage.ru_utime + usage.ru_stime}


def _per_function(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Compute seconds per task, grouped by the task's function (its key's prefix)."""
    from dask.utils import key_split

    times: dict[str, list[float]] = defaultdict(list)
    for record in records:
        spent = sum(s["stop"] - s["start"] for s in record["startstops"]
                    if s["action"] == "compute")  # fmt: skip
        times[key_split(record["key"])].append(spent)
    return {
        name: {"tasks": len(t), "total_s": round(sum(t), 2), "mean_s": round(sum(t) / len(t), 3),
               "max_s": round(max(t), 3)}
        for name, t in sorted(times.items(), key=lambda kv: -sum(kv[1]))
    }  # fmt: skip


def _on_cluster(client: Any, args: list[str], home: Path, log: Path) -> dict[str, Any]:
    """Run one CLI command against the cluster; its figures and the workers' for it."""
    client.restart()  # fresh worker processes: their peak memory is this step's
    since = time.time()
    client.get_task_stream(start=since)  # registers the scheduler's task-stream plugin
    figures: dict[str, Any] = {"client": _run(args, home, log)}
    usage = client.run(_worker_usage)
    figures["workers"] = {
        w: {k: round(v, 3) for k, v in u.items()} for w, u in sorted(usage.items())
    }
    figures["tasks"] = _per_function(client.get_task_stream(start=since))
    return figures


def main() -> None:
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20_000, help="in the whole province")
    parser.add_argument("--counties", type=int, default=4)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit", default="4GB", help="per worker")
    parser.add_argument("--group-students", type=int, default=None,
                        help="students per partition (ingest's default when omitted)")  # fmt: skip
    parser.add_argument("--as-of", default=None, help="snapshot day [default: the export date]")
    parser.add_argument(
        "--work", type=Path, default=None, help="where to write [default: a temporary folder]"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-province-", dir=args.work) as tmp:
        work = Path(tmp)
        raw, home = work / "province", work / "home"
        per_county = args.students // args.counties
        result: dict[str, Any] = {
            "command": f"python -m benchmarks.bench_province {' '.join(sys.argv[1:])}",
            "machine": f"{platform.node()} ({os.cpu_count()} cores)",
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "students": per_county * args.counties,
            "counties": args.counties,
            "memory_limit": args.memory_limit,
        }
        print(f"generating {args.counties} counties x {per_county:,} students ...", flush=True)
        result["generate"] = _run(
            ["generate", str(raw), "--counties", str(args.counties), "--students",
             str(per_county), "--years", str(args.years), "--seed", str(args.seed)],
            home, work / "generate.log",
        )  # fmt: skip
        print("generate", result["generate"], flush=True)
        day = args.as_of or json.loads((raw / "export.json").read_text())["export_date"]
        group = (
            [] if args.group_students is None else ["--group-students", str(args.group_students)]
        )
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         memory_limit=args.memory_limit, dashboard_address=None,
                         silence_logs=logging.ERROR) as cluster,
            Client(cluster) as client,
        ):  # fmt: skip
            on = ["--engine", "dask", "--scheduler", cluster.scheduler_address]
            result["ingest"] = _on_cluster(
                client, ["ingest", str(raw), *on, *group], home, work / "ingest.log"
            )
            print("ingest", json.dumps(result["ingest"], indent=1), flush=True)
            out = work / "features.parquet"
            result["features"] = _on_cluster(
                client, ["features", str(raw), "--as-of", day, "--out", str(out), *on], home,
                work / "features.log",
            )  # fmt: skip
            print("features", json.dumps(result["features"], indent=1), flush=True)
        manifest = json.loads(next((home / "ingested").glob("*/manifest.json")).read_text())
        result["partitions"] = manifest["partitions"]
        result["rows"] = {name: entry["rows"] for name, entry in manifest["tables"].items()}
        result["as_of"] = day
        import pyarrow.parquet as pq

        result["feature_rows"] = pq.read_metadata(out).num_rows
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
