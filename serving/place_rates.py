"""Each school's and township's recent leaving rate, computed by `score` beside the batch.

A child belongs to the school of their latest enrollment in a school year (1 September to
31 August) that overlaps the 365 days before the as-of date, unless they had left school
before those days and not come back; the school's rate is the share of those children with
a dropout record dated in those 365 days (the as-of day included). A township's rate is over
all the children of its schools. Written to `place_rates` keyed by the batch.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, insert

from serving.place_tables import place_rates

WINDOW_DAYS = 365
COLUMNS = ["county", "level", "place", "enrolled", "left", "leaving_rate"]


def leaving_rates(
    enrollments: pd.DataFrame, dropouts: pd.DataFrame, schools: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """One row per (county, level, place): children enrolled, of whom left, and the share."""
    start = as_of - dt.timedelta(days=WINDOW_DAYS)
    years = enrollments["school_year"].astype("int64")
    year_start = pd.to_datetime(years.astype(str) + "-09-01").dt.date
    year_end = pd.to_datetime((years + 1).astype(str) + "-08-31").dt.date
    within = (year_start <= as_of) & (year_end > start)
    current = (
        enrollments.loc[within, ["student_id", "school_year", "school_id"]]
        .astype({"student_id": str, "school_id": str})
        .sort_values(["student_id", "school_year"])
        .drop_duplicates("student_id", keep="last")
    )
    left_on = pd.to_datetime(dropouts["left_on"]).dt.date
    returned = dropouts["returned_on"] if "returned_on" in dropouts.columns else None
    back = pd.Series(False, index=dropouts.index) if returned is None else returned.notna()
    recent = (left_on > start) & (left_on <= as_of)
    leavers = set(dropouts.loc[recent, "student_id"].astype(str))
    gone = set(dropouts.loc[(left_on <= start) & ~back, "student_id"].astype(str)) - leavers
    current = current[~current["student_id"].isin(gone)]  # out of school the whole year
    current["left"] = current["student_id"].isin(leavers).astype("int64")
    where = schools[["school_id", "county", "township"]].astype(str)
    current = current.merge(where, on="school_id", how="inner")
    parts = []
    for level, column in (("school", "school_id"), ("township", "township")):
        grouped = current.groupby(["county", column])["left"].agg(["count", "sum"]).reset_index()
        parts.append(
            pd.DataFrame(
                {
                    "county": grouped["county"],
                    "level": level,
                    "place": grouped[column],
                    "enrolled": grouped["count"].astype("int64"),
                    "left": grouped["sum"].astype("int64"),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["leaving_rate"] = out["left"] / out["enrolled"]
    return out[COLUMNS]


def store_rates(engine: Engine, batch_id: int, rates: pd.DataFrame) -> int:
    """Write the batch's rates; returns the number of rows."""
    rows = [
        {"batch_id": batch_id, **{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}}
        for r in rates[COLUMNS].to_dict("records")
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(place_rates), rows)
    return len(rows)
