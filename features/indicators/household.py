"""Household indicators: poverty, left-behind status and guardian, siblings who left school
(and the child's own earlier departure, computed the same way across schools).

A household's state at `T` is its latest record dated before `T`. A household "exited
poverty within the last year" when it is not registered poor now but was at some point in
the year before `T` (its state a year ago, or any record since then, says registered poor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.indicators.keys import member, positions, take_rows

YEAR = pd.Timedelta(days=365)
_STATE = (
    "registered_poor",
    "low_income_allowance",
    "father_migrant",
    "mother_migrant",
    "guardian",
)


def household_indicators(
    households: pd.DataFrame, household_id: pd.Series, as_of: pd.Timestamp
) -> dict[str, np.ndarray]:
    """Poverty and left-behind indicators per row of `household_id` (aligned with the roster)."""
    known = households.loc[households["recorded_on"] < as_of]
    known = known.sort_values(["household_id", "recorded_on"], kind="stable")
    latest = known.drop_duplicates("household_id", keep="last").set_index("household_id")

    year_ago = as_of - YEAR
    before = known.loc[known["recorded_on"] < year_ago]
    at_year_ago = before.drop_duplicates("household_id", keep="last")
    recent = known.loc[known["recorded_on"] >= year_ago]
    poor_in_year = pd.concat(
        [
            at_year_ago.loc[at_year_ago["registered_poor"].astype(bool), "household_id"],
            recent.loc[recent["registered_poor"].astype(bool), "household_id"],
        ]
    ).unique()

    at = positions(household_id, latest.index)
    state = take_rows(latest, at)
    has = pd.Series(at >= 0)
    out: dict[str, np.ndarray] = {}
    for col in _STATE:
        values = state[col].astype("object").to_numpy().copy()
        values[~has.to_numpy()] = None
        out[col] = values
    poor_now = state["registered_poor"].astype("boolean").to_numpy(bool, na_value=False)
    was_poor = member(household_id, poor_in_year)
    exited = np.asarray(was_poor & ~poor_now, dtype=object)
    exited[~has.to_numpy()] = None
    out["exited_poverty_1y"] = exited
    father = state["father_migrant"].astype("boolean")
    mother = state["mother_migrant"].astype("boolean")
    out["left_behind"] = (father & mother).astype("object").to_numpy().copy()
    out["left_behind"][~has.to_numpy()] = None
    return out


def sibling_left(
    students: pd.DataFrame,
    dropouts: pd.DataFrame,
    student_ids: pd.Series,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """True where another student of the same household left school before `as_of`.

    Siblings go to different schools, so this is an explicit join over the whole county
    rather than a per-school computation.
    """
    left = dropouts.loc[dropouts["left_on"] < as_of, "student_id"].unique()
    homes = students[["student_id", "household_id"]]
    leavers = homes.loc[member(homes["student_id"], left)]
    per_home = leavers.groupby("household_id", observed=True).size().rename("leavers")
    who = pd.DataFrame({"student_id": student_ids.to_numpy()})
    who = who.merge(homes, on="student_id", how="left")
    who = who.merge(per_home, left_on="household_id", right_index=True, how="left")
    leavers_n = who["leavers"].fillna(0).to_numpy(np.int64)
    self_left = member(who["student_id"], left)
    return (leavers_n - self_left) > 0


def left_before(dropouts: pd.DataFrame, student_ids: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """True where the student has left school before `as_of` (and, being in the population,
    came back): returnees leave again more often than others, so they are watched."""
    left = dropouts.loc[dropouts["left_on"] < as_of, "student_id"].unique()
    return member(student_ids, left)
