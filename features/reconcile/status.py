"""From scored pairs to what each resident of compulsory-school age is: the reconciliation.

Links: each student keeps its best resident (highest weight; ties to the lower resident
uid, so the result does not depend on row order); a best pair at or above the link weight
is a link, one in the clerical band goes to review. A resident may be linked to two
students: a child registered twice (listed for checking).

Statuses at `as_of` (school year Y): `moved_out` and `deceased` from the register first;
then, for a linked resident, `enrolled` (a linked student enrolled in Y and not out of
school at `as_of`), `finished` (grade 9 in an earlier year, never left since), `left` when
enrolled in an earlier year, `not_enrolled` when in no year up to Y (a late starter);
an unlinked one is `review` when a student free of other links is in the clerical band,
else `not_enrolled`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import Tables

from .linkage import Thresholds
from .prepare import Sides, age_on, compulsory_age

STATUSES = ("enrolled", "not_enrolled", "left", "finished", "moved_out", "deceased", "review")


@dataclass(frozen=True)
class Links:
    """Student -> resident links (by table index and student id), and review candidates."""

    links: pd.DataFrame
    """student_id, resident (index into tables.residents), match_weight."""
    review: pd.DataFrame
    """resident, student_id, match_weight: the best unresolved candidate of each resident."""


def choose_links(sides: Sides, pairs: pd.DataFrame, thresholds: Thresholds) -> Links:
    """Best resident per student; a link at or above `thresholds.link`, else maybe review."""
    ranked = pairs.sort_values(
        ["student_uid", "match_weight", "resident_uid"], ascending=[True, False, True]
    )
    best = ranked.drop_duplicates("student_uid")
    best = best.assign(
        student_id=sides.students["student_id"].to_numpy()[best["student_uid"].to_numpy()],
        resident=sides.residents["key"].to_numpy()[best["resident_uid"].to_numpy()],
    )
    linked = best.loc[best["match_weight"] >= thresholds.link]
    taken = set(linked["student_uid"])
    band = pairs.loc[
        (pairs["match_weight"] >= thresholds.review)
        & (pairs["match_weight"] < thresholds.link)
        & ~pairs["student_uid"].isin(taken)
    ]
    band = band.assign(
        student_id=sides.students["student_id"].to_numpy()[band["student_uid"].to_numpy()],
        resident=sides.residents["key"].to_numpy()[band["resident_uid"].to_numpy()],
    )
    band = band.sort_values(
        ["resident", "match_weight", "student_id"], ascending=[True, False, True]
    )
    return Links(
        links=linked[["student_id", "resident", "match_weight"]].reset_index(drop=True),
        review=band.drop_duplicates("resident")[["resident", "student_id", "match_weight"]],
    )


def school_facts(tables: Tables, as_of: pd.Timestamp, year: int) -> pd.DataFrame:
    """Per student: enrolled in `year`, out of school at `as_of`, finished grade 9 before."""
    e = tables.enrollments
    enrolled = set(e.loc[e["school_year"] == year, "student_id"].astype(object))
    d = tables.dropouts
    gone = d.loc[(d["left_on"] < as_of) & ~(d["returned_on"] < as_of)]
    out = set(gone["student_id"].astype(object))
    finished = set(
        e.loc[(e["grade"] == 9) & (e["school_year"] < year), "student_id"].astype(object)
    )
    # Enrolled in no year up to Y: linked, but never in school yet (a late starter).
    before = set(e.loc[e["school_year"] <= year, "student_id"].astype(object))
    ids = tables.students["student_id"].astype(object)
    return pd.DataFrame(
        {
            "enrolled": ids.isin(enrolled).to_numpy() & ~ids.isin(out).to_numpy(),
            "out": ids.isin(out).to_numpy(),
            "finished": ids.isin(finished).to_numpy() & ~ids.isin(out).to_numpy(),
            "ever": ids.isin(before).to_numpy(),
        },
        index=pd.Index(ids, name="student_id"),
    )


@dataclass(frozen=True)
class Reconciliation:
    """What `reconcile` found: one row per resident of compulsory-school age, and the lists."""

    residents: pd.DataFrame
    unmatched_students: pd.DataFrame
    duplicates: pd.DataFrame
    school_year: int
    as_of: pd.Timestamp

    def summary(self) -> pd.DataFrame:
        """Counts per township: each status, and enrolled students no resident matches."""
        counts = pd.crosstab(self.residents["township"], self.residents["status"])
        counts = counts.reindex(columns=list(STATUSES), fill_value=0)
        unmatched = self.unmatched_students.groupby("township").size()
        counts["unmatched_students"] = unmatched.reindex(counts.index.union(unmatched.index))
        counts = counts.reindex(counts.index.union(unmatched.index)).fillna(0).astype(int)
        counts.index.name = "township"
        return counts.reset_index()


def reconcile_statuses(
    tables: Tables, links: Links, as_of: pd.Timestamp, year: int
) -> Reconciliation:
    """Apply the status rules to the residents of compulsory-school age."""
    residents = tables.residents
    in_age = compulsory_age(residents["birth_date"], year).to_numpy()
    people = residents.loc[in_age].copy()
    people["resident"] = people.index
    facts = school_facts(tables, as_of, year)
    linked = links.links.join(facts, on="student_id")
    per = linked.groupby("resident").agg(
        student_id=("student_id", lambda s: ";".join(sorted(s))),
        match_weight=("match_weight", "max"),
        enrolled=("enrolled", "any"),
        finished=("finished", "any"),
        ever=("ever", "any"),
        n_enrolled=("enrolled", "sum"),
    )
    people = people.join(per, on="resident")
    review = links.review.set_index("resident")
    status = np.where(people["enrolled"] == True, "enrolled", "left")  # noqa: E712
    status = np.where((people["finished"] == True) & (status != "enrolled"), "finished", status)  # noqa: E712
    never = (people["ever"] == False).to_numpy()  # noqa: E712 (linked, never enrolled yet)
    status = np.where(never, "not_enrolled", status)
    unlinked = people["student_id"].isna().to_numpy()
    in_review = people["resident"].isin(review.index).to_numpy()
    status = np.where(unlinked, np.where(in_review, "review", "not_enrolled"), status)
    register = people["status"].astype(object).to_numpy()
    status = np.where(register == "resident", status, register)
    people["reconciled"] = status
    candidate = review.reindex(people["resident"])
    take = (people["reconciled"] == "review").to_numpy()
    people.loc[take, "student_id"] = candidate["student_id"].to_numpy()[take]
    people.loc[take, "match_weight"] = candidate["match_weight"].to_numpy()[take]
    out = pd.DataFrame(
        {
            "person_id": people["person_id"].astype(object),
            "name": people["name"].astype(object),
            "gender": people["gender"].astype(object),
            "birth_date": people["birth_date"],
            "age": age_on(people["birth_date"], as_of).to_numpy(),
            "county": people["county"].astype(object),
            "township": people["township"].astype(object),
            "village": people["village"].astype(object),
            "status": people["reconciled"],
            "student_id": people["student_id"],
            "match_weight": people["match_weight"].astype(float),
            "resident": people["resident"].astype(np.int64),
        }
    ).reset_index(drop=True)
    dupes = people.loc[(people["n_enrolled"] >= 2) & (people["reconciled"] == "enrolled")]
    duplicates = out.loc[out["resident"].isin(dupes["resident"])][
        ["resident", "name", "township", "village", "student_id", "match_weight"]
    ]
    return Reconciliation(out, _unmatched(tables, links, facts, year), duplicates, year, as_of)


def _unmatched(tables: Tables, links: Links, facts: pd.DataFrame, year: int) -> pd.DataFrame:
    """Students enrolled in `year` whom no resident matches (registered elsewhere, 人户分离)."""
    e = tables.enrollments.loc[tables.enrollments["school_year"] == year]
    e = e.loc[~e["student_id"].astype(object).isin(set(links.links["student_id"]))]
    e = e.merge(tables.schools[["school_id", "township"]], on="school_id", how="left")
    e = e.merge(tables.students[["student_id", "name"]], on="student_id", how="left")
    best = links.review.groupby("student_id")["match_weight"].max()
    e["best_weight"] = e["student_id"].astype(object).map(best)
    return (
        e[["student_id", "name", "school_id", "township", "grade", "best_weight"]]
        .astype({"student_id": object, "name": object, "school_id": object, "township": object})
        .sort_values("student_id")
        .reset_index(drop=True)
    )
