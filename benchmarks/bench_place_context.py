"""The place figures' cost: the school/township aggregates a watchlist page and a card add,
against the scoped read they sit beside (in process, SQLite file, one county's batch).

    .venv/bin/python -m benchmarks.bench_place_context --students 60000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from serving.auth import Scope
from serving.store import ScoreStore
from serving.store.place_risk import place_figures
from tests.serving.serving_rows import AS_OF


def _rows(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    risk = rng.beta(1, 12, n)
    return [
        {
            "student_id": f"S{i:07d}",
            "name": None,
            "school_id": f"SCH{i % 200:03d}",
            "township": f"T{i % 200 // 10}",
            "county": "C0",
            "grade": 5,
            "risk": float(risk[i]),
            "tier": "low",
            "rank_school": 1,
            "rank_county": 1,
            "factors": [],
        }
        for i in range(n)
    ]


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = ScoreStore.open(f"sqlite:///{Path(tmp) / 's.sqlite'}")
        store.publish_batch(AS_OF, "1", _rows(args.students, 0))
        out = {}
        for label, text in (("county", "county:C0"), ("township", "township:C0/T3")):
            who = store.authenticate(store.add_user(label, "caseworker", Scope.parse(text)))
            assert who is not None
            rows, _ = store.watchlist(who, "bench", {}, limit=50)

            def figures(rows=rows, who=who) -> None:
                for level, attr in (("school", "school_id"), ("township", "township")):
                    places = {(r.county, getattr(r, attr)) for r in rows}
                    place_figures(store.engine, who.scope, level, places)

            read = _median_ms(
                lambda who=who: store.watchlist(who, "bench", {}, limit=50), args.repeat
            )
            card = _median_ms(
                lambda who=who, r=rows[0]: store.student(who, r.student_id, "b"), args.repeat
            )
            out[label] = {
                "watchlist_read_ms": round(read, 2),
                "watchlist_places_ms": round(_median_ms(figures, args.repeat), 2),
                "card_read_ms": round(card, 2),
                "card_places_ms": round(
                    _median_ms(
                        lambda who=who, r=rows[0]: [
                            place_figures(
                                store.engine, who.scope, "school", [(r.county, r.school_id)]
                            ),
                            place_figures(
                                store.engine, who.scope, "township", [(r.county, r.township)]
                            ),
                        ],
                        args.repeat,
                    ),
                    2,
                ),
            }
        store.close()
    print(json.dumps({"students": args.students, **out}, indent=1))


if __name__ == "__main__":
    main()
