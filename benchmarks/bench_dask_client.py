"""Benchmark: the Dask client's peak memory on a province of ~1M students.

The province is K copies of one ingested county (ids prefixed, counties renamed, every
partition file copied), so it needs no province generator and no ingest of a million
students in one process. A local cluster of two worker processes runs in this process; the
client (`write_dask_dataset`, what `features --engine dask --out` runs after opening the
dataset) runs as its own process and reports its peak resident memory.

    .venv/bin/python -m benchmarks.bench_dask_client --dataset HOME/ingested/county-xxxx --copies 5
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
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ID_COLUMNS = ("school_id", "student_id", "household_id")
# The client reports its own peak: VmHWM of its memory map. Not ru_maxrss: Linux keeps the
# forked child's high-water mark across exec, so that began at this process's resident size
# (the cluster and the replication, about 0.5 GB), not the client's.
CLIENT = (
    "import json, sys\n"
    "from pathlib import Path\n"
    "import pandas as pd\n"
    "from features.engines.dask_dataset import write_dask_dataset\n"
    "folder = Path(sys.argv[1]); manifest = json.loads((folder / 'manifest.json').read_text())\n"
    "rows = write_dask_dataset(folder, manifest, [pd.Timestamp(sys.argv[2])], Path(sys.argv[3]),"
    " scheduler=sys.argv[4])\n"
    "status = Path('/proc/self/status').read_text().splitlines()\n"
    "print(rows, next(int(line.split()[1]) for line in status if line.startswith('VmHWM')))\n"
)


def _prefixed(table: pa.Table, k: int) -> pa.Table:
    """Copy k of a partition file: ids prefixed, the county renamed."""
    for column in (*ID_COLUMNS, "county"):
        if column not in table.column_names:
            continue
        values = table.column(column).cast(pa.string())
        joined = (
            pc.binary_join_element_wise(values, pa.scalar(str(k)), "")
            if column == "county"
            else pc.binary_join_element_wise(pa.scalar(f"P{k}"), values, "")
        )
        at = table.column_names.index(column)
        table = table.set_column(at, column, joined.cast(table.schema.field(column).type))
    return table


def replicate(source: Path, target: Path, copies: int) -> dict:
    """Write `copies` copies of the ingested dataset at `source` as one dataset at `target`."""
    manifest = json.loads((source / "manifest.json").read_text())
    tables = {}
    for name, entry in manifest["tables"].items():
        if name == "residents":  # not read by features
            continue
        files = []
        for f in entry["files"]:
            table = pq.read_table(source / "tables" / name / f, partitioning=None)
            county, *rest = Path(f).parts
            for k in range(copies):
                rel = Path("p_county=" + quote(unquote(county.split("=", 1)[1]) + str(k)), *rest)
                (target / "tables" / name / rel).parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(_prefixed(table, k), target / "tables" / name / rel)
                files.append(str(rel))
        tables[name] = {**entry, "rows": entry["rows"] * copies, "files": sorted(files)}
    out = {**manifest, "tables": tables, "partitions": manifest["partitions"] * copies}
    (target / "manifest.json").write_text(json.dumps(out, ensure_ascii=False))
    return out


def main() -> None:
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="an ingested county")
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--as-of", default="2023-07-13")
    parser.add_argument("--memory-limit", default="3GB", help="per worker")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        province = Path(tmp) / "province"
        manifest = replicate(args.dataset, province, args.copies)
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit=args.memory_limit,
            dashboard_address=None, silence_logs=logging.ERROR,
        ) as cluster:  # fmt: skip
            out = Path(tmp) / "out.parquet"
            load, start = os.getloadavg()[0], time.perf_counter()
            cpu = os.times()
            done = subprocess.run(
                [sys.executable, "-c", CLIENT, str(province), args.as_of, str(out),
                 cluster.scheduler_address],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            after = os.times()
        rows, peak = map(int, done.stdout.split()[-2:])
    client_cpu = after.children_user + after.children_system - cpu.children_user
    client_cpu -= cpu.children_system
    print(
        f"{manifest['partitions']} partitions, {rows:,} students as of {args.as_of}: "
        f"{seconds:.1f} s wall, client CPU {client_cpu:.1f} s, client peak "
        f"{peak / 1024**2:.2f} GB; load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
