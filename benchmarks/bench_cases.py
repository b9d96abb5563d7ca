"""Benchmark: `cases sync` on a 100k-student county, and `GET /v1/monitoring` p95 on the real
server over the synced ledger and a published 100k batch.

The alternative measured in the same run is a plain DuckDB query that counts the children
out of school per township straight from the Parquet files; its counts must equal the
ledger's before anything is recorded.

    .venv/bin/python -m benchmarks.bench_cases --students 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.bench_serving import _free_port, _server_cpu, _start, _stop

AS_OF = dt.date(2024, 6, 1)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _duckdb_out_of_school(folder: Path, on: dt.date) -> tuple[dict, float]:
    import duckdb

    year = on.year if on.month >= 9 else on.year - 1
    sql = f"""
    WITH d AS (SELECT * FROM '{folder}/dropouts.parquet'),
    latest AS (SELECT student_id, max(left_on) AS left_on FROM d
               WHERE left_on < DATE '{on}' GROUP BY student_id),
    gone AS (SELECT l.student_id FROM latest l JOIN d USING (student_id, left_on)
             WHERE d.returned_on IS NULL OR d.returned_on >= DATE '{on}'),
    last_school AS (SELECT student_id, arg_max(school_id, school_year) AS school_id
                    FROM '{folder}/enrollments.parquet' WHERE school_year <= {year}
                    GROUP BY student_id)
    SELECT s.county, s.township, count(*) FROM gone JOIN last_school USING (student_id)
    JOIN '{folder}/schools.parquet' s USING (school_id) GROUP BY 1, 2
    """
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    rows = con.sql(sql).fetchall()
    return {(c, t): n for c, t, n in rows}, time.perf_counter() - start


def _batch_rows(tables, on: dt.date) -> list[dict]:  # noqa: ANN001
    """A batch of everyone enrolled in the school year of `on` (risk drawn at random)."""
    from features.contract import school_year_of

    enr = tables.enrollments
    enr = enr.loc[enr["school_year"] == school_year_of(pd.Timestamp(on))]
    enr = enr.merge(tables.schools[["school_id", "county", "township"]], on="school_id")
    rng = np.random.default_rng(0)
    risk = rng.beta(1, 12, len(enr))
    order = np.argsort(-risk)
    tier = np.full(len(enr), "low", dtype=object)
    tier[order[: len(enr) // 10]] = "high"
    rank = np.empty(len(enr), dtype=int)
    rank[order] = np.arange(1, len(enr) + 1)
    return [
        {
            "student_id": s,
            "name": None,
            "school_id": sch,
            "township": tw,
            "county": c,
            "grade": int(g),
            "risk": float(r),
            "tier": t,
            "rank_school": int(k),
            "rank_county": int(k),
            "factors": [],
        }
        for s, sch, tw, c, g, r, t, k in zip(
            enr["student_id"],
            enr["school_id"],
            enr["township"],
            enr["county"],
            enr["grade"],
            risk,
            tier,
            rank,
            strict=True,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--data", type=Path, default=None, help="reuse a generated county")
    args = parser.parse_args()

    import httpx

    from features.synthetic import generate_county
    from features.validate import load_tables
    from serving.auth import Scope
    from serving.cases.sync import sync_cases
    from serving.store import ScoreStore
    from tests.serving.serving_model import build_registry

    work = Path(tempfile.mkdtemp(prefix="bench_cases_"))
    folder = args.data or work / "county"
    if not (folder / "dropouts.parquet").exists():
        t0 = time.perf_counter()
        generate_county(folder, students=args.students, years=args.years, seed=0, fmt="parquet")
        print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    tables = load_tables(folder)
    home = work / "home"
    build_registry(home)
    url = f"sqlite:///{home / 'scores.sqlite'}"
    store = ScoreStore.open(url)
    out: dict[str, object] = {"attendance_rows": len(tables.attendance), "load": _load()}

    wall, cpu = time.perf_counter(), _cpu()
    first = sync_cases(store.engine, tables, AS_OF)
    out["sync_wall"], out["sync_cpu"] = time.perf_counter() - wall, _cpu() - cpu
    out["sync_load"] = _load()
    wall, cpu = time.perf_counter(), _cpu()
    second = sync_cases(store.engine, tables, AS_OF)
    out["resync_wall"], out["resync_cpu"] = time.perf_counter() - wall, _cpu() - cpu
    assert second.changed == 0, second
    out["cases"] = first.by_state
    print({k: out[k] for k in ("sync_wall", "sync_cpu", "sync_load", "resync_wall")}, flush=True)

    direct, out["duckdb_wall"] = _duckdb_out_of_school(folder, AS_OF)
    with store.engine.connect() as conn:
        from sqlalchemy import func, select

        from serving.cases.models import Case

        ledger = dict(
            ((c, t), n)
            for c, t, n in conn.execute(
                select(Case.county, Case.township, func.count())
                .where(Case.state.in_(("confirmed", "persuading")))
                .group_by(Case.county, Case.township)
            )
        )
    assert ledger == direct, "ledger and DuckDB disagree"
    out["out_of_school"] = sum(direct.values())

    rows = _batch_rows(tables, AS_OF)
    store.publish_batch(AS_OF, "1", rows)
    out["batch"] = len(rows)
    county = rows[0]["county"]
    token = store.add_user("县社工", "caseworker", Scope.parse(f"county:{county}"))
    store.close()

    port = _free_port()
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    base = f"http://127.0.0.1:{port}"
    server = _start(
        [sys.executable, "-m", "dropout_risk.cli", "serve", "--port", str(port)],
        env,
        f"{base}/healthz",
        home / "server.log",
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for level in ("county", "township", "school"):
                for _ in range(10):  # warm up
                    client.get("/v1/monitoring", params={"level": level, "on": str(AS_OF)})
                cpu = _server_cpu(server)
                times = []
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    r = client.get("/v1/monitoring", params={"level": level, "on": str(AS_OF)})
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
                server_cpu = (_server_cpu(server) - cpu) * 1000 / args.requests
                q = statistics.quantiles(times, n=100)
                out[f"monitoring_{level}"] = {
                    "p50": round(q[49], 1),
                    "p95": round(q[94], 1),
                    "p99": round(q[98], 1),
                    "cpu_ms": round(server_cpu, 1),
                    "units": len(r.json()["units"]),
                    "load": _load(),
                }
            total = r.json()["total"]
            assert total["out_of_school"] == out["out_of_school"], total
    finally:
        _stop(server)
    out["machine"] = (
        f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})"
    )
    for k, v in out.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
