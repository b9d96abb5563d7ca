"""Score rows shaped like a batch run's output, for tests that need a published batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

AS_OF = dt.date(2025, 3, 1)


def county_rows(n: int = 300, seed: int = 0, model_version: str = "1") -> list[dict[str, Any]]:
    """Score rows shaped like a batch run's output: two counties, four townships, 12 schools."""
    rng = np.random.default_rng(seed)
    schools = [(f"SCH{i:03d}", f"T{i % 4}", f"C{i % 4 // 2}") for i in range(12)]
    rows = []
    for i in range(n):
        school, township, county = schools[i % len(schools)]
        risk = float(rng.beta(1, 12))
        rows.append(
            {
                "student_id": f"S{i:05d}",
                "name": f"学生{i}",
                "school_id": school,
                "township": township,
                "county": county,
                "grade": int(rng.integers(1, 10)),
                "risk": risk,
                "tier": "low",
                "rank_school": 0,
                "rank_county": 0,
                "factors": [
                    {
                        "indicator": "unexcused_absence_rate_30d",
                        "value": round(float(rng.random()) * 0.3, 3),
                        "contribution": 0.4,
                        "en": "unexcused absence rate 18% (last 30 school days)",
                        "zh": "无故缺勤率 18%（近30个教学日）",
                    }
                ],
                "model_version": model_version,
            }
        )
    _rank(rows)
    return rows


def _rank(rows: list[dict[str, Any]]) -> None:
    """Ranks within school and county and tiers by overall rank (top 10% high, next 20%)."""
    for key, column in (("school_id", "rank_school"), ("county", "rank_county")):
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row[key], []).append(row)
        for members in groups.values():
            members.sort(key=lambda r: (-r["risk"], r["student_id"]))
            for rank, row in enumerate(members, start=1):
                row[column] = rank
    ordered = sorted(rows, key=lambda r: (-r["risk"], r["student_id"]))
    for i, row in enumerate(ordered):
        row["tier"] = "high" if i < len(rows) * 0.1 else "medium" if i < len(rows) * 0.3 else "low"
