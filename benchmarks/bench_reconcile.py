"""Benchmark: `reconcile` (Splink on DuckDB) against a plain exact join on (name, birth_date).

    python -m benchmarks.bench_reconcile FOLDER --as-of 2023-03-20 [--json OUT]

FOLDER is a county written by `dropout-risk generate` (it holds truth/residents.csv). Times
the reconciliation (tables already loaded), the process's peak memory, the quality of the
not_enrolled ∪ left list against the truth, and the same for an exact DuckDB join on
(name, birth_date) passed through the same status rules: how many children that join
misses, i.e. lists as out of school although they are enrolled, or fails to list.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import duckdb
import pandas as pd

from features.reconcile.evaluate import OUT_OF_SCHOOL, out_of_school_quality
from features.reconcile.run import reconcile
from features.reconcile.status import Links, reconcile_statuses
from features.validate import load_tables


def exact_join_links(tables) -> tuple[Links, float]:
    """Students linked to residents with the same name and birth date, in DuckDB."""
    con = duckdb.connect()
    con.execute("SET threads = 2").fetchall()
    students = tables.students[["student_id", "name", "birth_date"]].astype({"name": object})
    residents = tables.residents[["name", "birth_date"]].astype({"name": object})
    residents = residents.assign(resident=range(len(residents)))
    con.register("students", students)
    con.register("residents", residents)
    start = time.perf_counter()
    pairs = con.execute(
        """SELECT s.student_id, min(r.resident) AS resident
           FROM students s JOIN residents r ON s.name = r.name AND s.birth_date = r.birth_date
           GROUP BY s.student_id"""
    ).df()
    seconds = time.perf_counter() - start
    links = pairs.assign(match_weight=float("inf"))
    empty = pd.DataFrame({"resident": [], "student_id": [], "match_weight": []})
    return Links(links, empty), seconds


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--as-of", default="2023-03-20")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    as_of = pd.Timestamp(args.as_of)

    start = time.perf_counter()
    tables = load_tables(args.folder)
    load_s = time.perf_counter() - start
    load_mb = peak_mb()
    start = time.perf_counter()
    found = reconcile(tables, as_of)
    splink_s = time.perf_counter() - start
    quality, expected = out_of_school_quality(tables, found, args.folder)

    links, join_s = exact_join_links(tables)
    joined = reconcile_statuses(tables, links, as_of, found.school_year)
    want = set(expected.residents.loc[expected.residents["status"].isin(OUT_OF_SCHOOL), "resident"])
    got = set(joined.residents.loc[joined.residents["status"].isin(OUT_OF_SCHOOL), "resident"])
    result = {
        "students": len(tables.students),
        "residents": len(tables.residents),
        "residents_of_school_age": quality.residents,
        "load_s": round(load_s, 1),
        "load_peak_mb": round(load_mb),
        "reconcile_s": round(splink_s, 1),
        "peak_mb": round(peak_mb()),
        "splink": {
            "precision": round(quality.precision, 4),
            "recall": round(quality.recall, 4),
            "listed": quality.listed,
            "expected": quality.expected,
            "review": quality.review,
        },
        "exact_join": {
            "seconds": round(join_s, 2),
            "precision": round(len(want & got) / len(got), 4) if got else 1.0,
            "recall": round(len(want & got) / len(want), 4) if want else 1.0,
            "listed": len(got),
            "wrongly_listed": len(got - want),
            "missed": len(want - got),
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
