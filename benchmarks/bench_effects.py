"""Effects benchmark: coverage and bias of the doubly robust estimate against a known truth,
and the time of one `effects` run on a large county.

Coverage: for each true effect, N generated counties (seeds 1000..), each through the same
`estimate_effects` the command runs; the share of 95% intervals that cover the true effect
on the visited, the bias and RMSE of the DR estimate, and the naive estimate's bias beside
it. Results append to a CSV so runs per effect can be split across calls.

    .venv/bin/python -m benchmarks.bench_effects coverage --effect 0.5 --counties 20 \
        --students 1000 --years 3 --out benchmarks/results/effects.csv
    .venv/bin/python -m benchmarks.bench_effects summary benchmarks/results/effects.csv
    .venv/bin/python -m benchmarks.bench_effects timing --students 20000 --years 2
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from features.synthetic import generate_county
from features.validate import load_tables
from training.effects.report import estimate_effects


def truth_of(county: Path, used: list[pd.Timestamp]) -> float:
    truth = pd.read_csv(
        county / "truth" / "visit_truth.csv", dtype={"student_id": str}, parse_dates=["snapshot"]
    )
    visited = truth[truth["visited"] & truth["snapshot"].isin(used)]
    return float((visited["y1"] - visited["y0"]).mean())


def one_county(effect: float, seed: int, students: int, years: int, work: Path) -> dict:
    county = work / f"e{effect}-s{seed}"
    cpu = time.process_time()
    generate_county(county, students=students, years=years, seed=seed, visit_effect=effect)
    tables = load_tables(county)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate_effects(tables, [tables.visits])
    e, n = result.dr.estimate, result.naive
    return {
        "effect": effect,
        "seed": seed,
        "students": students,
        "years": years,
        "truth": truth_of(county, result.used),
        "att": e.att,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "naive": n.att,
        "n_treated": e.n_treated,
        "n_control": e.n_control,
        "snapshots": len(result.used),
        "cpu_s": round(time.process_time() - cpu, 1),
        "load1": round(os.getloadavg()[0], 1),
    }


def coverage(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.counties):
            seed = args.first_seed + i
            try:
                rows.append(one_county(args.effect, seed, args.students, args.years, Path(tmp)))
            except Exception as exc:  # a county too small to estimate: counted, not hidden
                print(f"seed {seed}: no estimate ({exc})", flush=True)
                continue
            r = rows[-1]
            line = f"effect {args.effect} seed {seed}: truth {r['truth']:+.4f} "
            line += f"dr {r['att']:+.4f} [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}] "
            print(line + f"naive {r['naive']:+.4f}", flush=True)
    out = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, mode="a", header=not args.out.exists(), index=False)


def summary(args: argparse.Namespace) -> None:
    runs = pd.read_csv(args.results)
    runs["covered"] = (runs["ci_low"] <= runs["truth"]) & (runs["truth"] <= runs["ci_high"])
    runs["error"] = runs["att"] - runs["truth"]
    runs["naive_error"] = runs["naive"] - runs["truth"]
    runs["width"] = runs["ci_high"] - runs["ci_low"]
    table = runs.groupby("effect").agg(
        counties=("seed", "size"),
        true_att=("truth", "mean"),
        coverage=("covered", "mean"),
        dr_bias=("error", "mean"),
        dr_rmse=("error", lambda e: (e**2).mean() ** 0.5),
        naive_bias=("naive_error", "mean"),
        ci_width=("width", "mean"),
        visited=("n_treated", "mean"),
        cpu_s=("cpu_s", "mean"),
        load=("load1", "mean"),
    )
    table = table.round(4).reset_index()
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in row) + " |")


def timing(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        county = Path(tmp) / "big"
        start = time.perf_counter()
        generate_county(county, students=args.students, years=args.years, seed=7, visit_effect=0.4)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        tables = load_tables(county)
        loaded = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = estimate_effects(tables, [tables.visits])
        estimated = time.perf_counter() - start - loaded
    print(
        f"students {args.students}, years {args.years}, snapshots used {len(result.used)}, "
        f"rows {result.dr.estimate.n_treated + result.dr.estimate.n_control}: generate "
        f"{generated:.1f} s, validate+load {loaded:.1f} s, effects {estimated:.1f} s; "
        f"load average {os.getloadavg()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    cov = sub.add_parser("coverage")
    cov.add_argument("--effect", type=float, required=True)
    cov.add_argument("--counties", type=int, default=20)
    cov.add_argument("--students", type=int, default=1000)
    cov.add_argument("--years", type=int, default=3)
    cov.add_argument("--first-seed", type=int, default=1000)
    cov.add_argument("--out", type=Path, default=Path("benchmarks/results/effects.csv"))
    summ = sub.add_parser("summary")
    summ.add_argument("results", type=Path)
    tim = sub.add_parser("timing")
    tim.add_argument("--students", type=int, default=20_000)
    tim.add_argument("--years", type=int, default=2)
    args = parser.parse_args()
    {"coverage": coverage, "summary": summary, "timing": timing}[args.mode](args)


if __name__ == "__main__":
    main()
