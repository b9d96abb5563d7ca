"""Scoring a reconciliation against a synthetic county's truth (tests and benchmarks only).

The generator writes `truth/residents.csv` (which student each register row really is);
no command reads it. Here the truth's links go through the same status rules as the
linkage's, so the comparison measures the linkage, not a second copy of the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.contract import Tables

from .status import Links, Reconciliation, reconcile_statuses

OUT_OF_SCHOOL = ("not_enrolled", "left")


def truth_links(folder: Path) -> Links:
    """The true links of a generated county (resident index = row of residents.csv)."""
    truth = pd.read_csv(Path(folder) / "truth" / "residents.csv", dtype={"student_id": str})
    true = truth.dropna(subset=["student_id"])
    links = pd.DataFrame(
        {"student_id": true["student_id"], "resident": true["row"], "match_weight": float("inf")}
    )
    empty = pd.DataFrame({"resident": [], "student_id": [], "match_weight": []})
    return Links(links.reset_index(drop=True), empty)


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    listed: int
    expected: int
    review: int
    residents: int


def out_of_school_quality(
    tables: Tables, found: Reconciliation, folder: Path
) -> tuple[Quality, Reconciliation]:
    """Precision and recall of the not_enrolled ∪ left list against the truth's list."""
    expected = reconcile_statuses(tables, truth_links(folder), found.as_of, found.school_year)
    want = set(expected.residents.loc[expected.residents["status"].isin(OUT_OF_SCHOOL), "resident"])
    got = set(found.residents.loc[found.residents["status"].isin(OUT_OF_SCHOOL), "resident"])
    hit = len(want & got)
    quality = Quality(
        precision=hit / len(got) if got else 1.0,
        recall=hit / len(want) if want else 1.0,
        listed=len(got),
        expected=len(want),
        review=int((found.residents["status"] == "review").sum()),
        residents=len(found.residents),
    )
    return quality, expected
