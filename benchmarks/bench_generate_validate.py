"""Benchmark: generate a synthetic county, then validate it, in CSV and in Parquet.

Each step runs in its own Python process so that its wall time and peak memory
(`ru_maxrss` of that process) are its own and not inherited from a previous step.

    .venv/bin/python -m benchmarks.bench_generate_validate --students 100000 --years 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS, LIMIT_GB = 120.0, 6.0  # issue 2: generate + validate 100k x 3 years


def _run_step(step: str, folder: Path, students: int, years: int, fmt: str) -> dict[str, float]:
    """Run one step in this process and measure it (called in the child)."""
    start = time.perf_counter()
    rows = 0
    if step == "generate":
        from features.synthetic import generate_county

        summary = generate_county(folder, students=students, years=years, seed=0, fmt=fmt)
        rows = summary.rows["attendance"]
    else:
        from features.validate import validate_folder

        report = validate_folder(folder, quarantine_dir=folder.parent / f"quarantine-{fmt}")
        if not report.usable:
            raise SystemExit(f"validation found the generated county unusable: {report}")
        rows = len(report.tables.attendance)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds tell what the step costs when other work shares the cores.
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_gb": usage.ru_maxrss / 1024**2,  # ru_maxrss is KiB on Linux
        "attendance_rows": rows,
    }


def _measure(step: str, folder: Path, students: int, years: int, fmt: str) -> dict[str, float]:
    """Run a step in a fresh Python process and return its measurements."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_generate_validate",
        "--child",
        step,
        "--folder",
        str(folder),
        "--students",
        str(students),
        "--years",
        str(years),
        "--format",
        fmt,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{step} ({fmt}) failed with exit {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    """nproc, memory and CPU model of this machine."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    python = platform.python_version()
    return f"{os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024**2:.0f} GB RAM, Python {python}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--formats", default="csv,parquet", help="comma-separated")
    parser.add_argument("--out", type=Path, default=None, help="keep the data here")
    parser.add_argument("--child", choices=["generate", "validate"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = _run_step(args.child, args.folder, args.students, args.years, args.format)
        print(json.dumps(result))
        return

    can_validate = importlib.util.find_spec("features.validate") is not None
    root = args.out or Path(tempfile.mkdtemp(prefix="bench-generate-"))
    print(f"machine: {machine()}")
    print(f"county: {args.students:,} students x {args.years} school years")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| format | step | wall time (s) | CPU time (s) | peak RSS (GB) | attendance rows |")
    print("|---|---|---:|---:|---:|---:|")
    try:
        for fmt in args.formats.split(","):
            folder = root / fmt
            steps = ["generate", "validate"] if can_validate else ["generate"]
            total_s, total_cpu, peak = 0.0, 0.0, 0.0
            for step in steps:
                m = _measure(step, folder, args.students, args.years, fmt)
                total_s += m["seconds"]
                total_cpu += m["cpu_seconds"]
                peak = max(peak, m["peak_gb"])
                print(
                    f"| {fmt} | {step} | {m['seconds']:.1f} | {m['cpu_seconds']:.1f} "
                    f"| {m['peak_gb']:.2f} | {int(m['attendance_rows']):,} |"
                )
            verdict = "within" if total_s <= LIMIT_SECONDS and peak <= LIMIT_GB else "OVER"
            print(
                f"| {fmt} | **{' + '.join(steps)}** | **{total_s:.1f}** | **{total_cpu:.1f}** "
                f"| **{peak:.2f}** "
                f"| {verdict} {LIMIT_SECONDS:.0f} s / {LIMIT_GB:.0f} GB |"
            )
        print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if not can_validate:
            print("\nfeatures.validate is not available: generate measured alone.")
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
