"""What the data says about each child's case as of a date: dated facts, each with a key.

Only records dated before `as_of` count (DESIGN.md, "As-of correctness"). A fact is
`(student_id, on, to, reason, plan, key)`; the key names the record behind it, so that
applying the same facts twice changes nothing (serving.cases.sync).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import Tables, school_year_of
from features.indicators.keys import member
from features.indicators.population import gone_before

EVENT_COLUMNS = ("student_id", "on", "to", "reason", "plan", "key")


@dataclass(frozen=True)
class SyncRules:
    """The thresholds of `cases sync` (DESIGN.md defaults)."""

    absent_days: int = 10
    """Consecutive unexcused absent school days that open a suspected case."""
    close_days: int = 90
    """Days back in school after which a returned case closes."""


def places(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each child's last school up to the school year of `as_of`, with its township, county,
    grade, name and (where the household table has it) village; indexed by student_id."""
    enr = tables.enrollments
    enr = enr.loc[enr["school_year"] <= school_year_of(as_of)]
    last = enr.sort_values(["student_id", "school_year"]).drop_duplicates("student_id", keep="last")
    schools = tables.schools[["school_id", "county", "township"]]
    out = last[["student_id", "school_id", "grade", "school_year"]].merge(schools, on="school_id")
    students = tables.students
    if "name" in students.columns:
        out = out.merge(students[["student_id", "name"]], on="student_id", how="left")
    else:
        out["name"] = None
    out["village"] = _villages(tables, out, as_of)
    return out.set_index("student_id")


def _villages(tables: Tables, out: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    homes = tables.households
    if "village" not in homes.columns:
        return np.full(len(out), None, dtype=object)
    known = homes.loc[homes["recorded_on"] < as_of, ["household_id", "recorded_on", "village"]]
    latest = known.sort_values("recorded_on").drop_duplicates("household_id", keep="last")
    kids = tables.students[["student_id", "household_id"]].merge(latest, on="household_id")
    village = kids.set_index("student_id")["village"]
    return (
        village.reindex(out["student_id"])
        .astype(object)
        .where(lambda s: s.notna(), None)
        .to_numpy()
    )


def departures(tables: Tables, as_of: pd.Timestamp, rules: SyncRules) -> pd.DataFrame:
    """confirmed on each departure, returned on each return, closed `close_days` after a
    return when the child has not left again by then; all dated before `as_of`."""
    d = tables.dropouts.loc[tables.dropouts["left_on"] < as_of].copy()
    d = d.sort_values(["student_id", "left_on"]).reset_index(drop=True)
    if d.empty:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    next_left = d.groupby("student_id")["left_on"].shift(-1)
    left_key = "dropout:" + d["left_on"].dt.strftime("%Y-%m-%d")
    frames = [
        pd.DataFrame(
            {
                "student_id": d["student_id"],
                "on": d["left_on"],
                "to": "confirmed",
                "reason": d["reason"].astype(str),
                "plan": None,
                "key": left_key,
            }
        )
    ]
    back = d["returned_on"].notna() & (d["returned_on"] < as_of)
    r = d.loc[back]
    frames.append(
        pd.DataFrame(
            {
                "student_id": r["student_id"],
                "on": r["returned_on"],
                "to": "returned",
                "reason": "returned_on",
                "plan": _plans(tables, r),
                "key": left_key[back] + ":returned",
            }
        )
    )
    closes_on = r["returned_on"] + pd.Timedelta(days=rules.close_days)
    stays = (closes_on < as_of) & ~(next_left[back] < closes_on)
    frames.append(
        pd.DataFrame(
            {
                "student_id": r.loc[stays, "student_id"],
                "on": closes_on[stays],
                "to": "closed",
                "reason": f"in school {rules.close_days} days after returning",
                "plan": None,
                "key": left_key[back][stays] + ":closed",
            }
        )
    )
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)


def _plans(tables: Tables, r: pd.DataFrame) -> np.ndarray:
    """original_class when the child came back to the school it left, else new_class."""
    enr = tables.enrollments.set_index(["student_id", "school_year"])["school_id"]
    enr = enr[~enr.index.duplicated(keep="last")]
    ids = r["student_id"].to_numpy()
    before = enr.reindex(pd.MultiIndex.from_arrays([ids, r["left_on"].map(school_year_of)]))
    after = enr.reindex(pd.MultiIndex.from_arrays([ids, r["returned_on"].map(school_year_of)]))
    # None for a missing school on either side: pd.NA would refuse the comparison.
    same = _plain(before) == _plain(after)
    return np.where(same | pd.isna(after.to_numpy()), "original_class", "new_class")


def _plain(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), None).to_numpy()


def long_absences(tables: Tables, as_of: pd.Timestamp, rules: SyncRules) -> pd.DataFrame:
    """suspected for children in school whose latest `absent_days` or more school days this
    school year (before `as_of`) were all unexcused absences; dated on the Nth such day."""
    start = pd.Timestamp(year=school_year_of(as_of), month=9, day=1)
    att = tables.attendance
    att = att.loc[(att["date"] >= start) & (att["date"] < as_of), ["student_id", "date", "status"]]
    att = att.loc[~member(att["student_id"], gone_before(tables.dropouts, as_of))]
    unexcused = (att["status"] == "absent_unexcused").to_numpy()
    last_other = (
        att.loc[~unexcused].groupby("student_id", observed=True)["date"].max().rename("last_other")
    )
    absent = att.loc[unexcused].merge(last_other, on="student_id", how="left")
    run = absent.loc[absent["last_other"].isna() | (absent["date"] > absent["last_other"])]
    run = run.sort_values(["student_id", "date"])
    nth = run.loc[run.groupby("student_id", observed=True).cumcount() == rules.absent_days - 1]
    first = run.groupby("student_id", observed=True)["date"].min()
    return pd.DataFrame(
        {
            "student_id": nth["student_id"].to_numpy(),
            "on": nth["date"].to_numpy(),
            "to": "suspected",
            "reason": f"{rules.absent_days} school days absent without excuse in a row",
            "plan": None,
            "key": "absence:" + first.reindex(nth["student_id"]).dt.strftime("%Y-%m-%d").to_numpy(),
        }
    )


def not_reenrolled(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """suspected on 1 September for a child enrolled last school year below grade 9, not
    enrolled this year, not known to have left, and under 16 on 31 August."""
    year = school_year_of(as_of)
    enr = tables.enrollments
    if not (enr["school_year"] == year).any():
        return pd.DataFrame(columns=list(EVENT_COLUMNS))  # this year's register is not in yet
    start = pd.Timestamp(year=year, month=9, day=1)
    last_year = enr.loc[(enr["school_year"] == year - 1) & (enr["grade"] < 9), "student_id"]
    missing = last_year.loc[~member(last_year, enr.loc[enr["school_year"] == year, "student_id"])]
    missing = missing.loc[~member(missing, gone_before(tables.dropouts, start))]
    born = tables.students.set_index("student_id")["birth_date"].reindex(missing)
    sixteen = born + pd.DateOffset(years=16)
    young = (sixteen > start - pd.Timedelta(days=1)).to_numpy()
    who = missing.to_numpy()[young]
    return pd.DataFrame(
        {
            "student_id": who,
            "on": start,
            "to": "suspected",
            "reason": "not re-enrolled at the start of the school year",
            "plan": None,
            "key": f"not_reenrolled:{year}",
        }
    )


def data_events(tables: Tables, as_of: pd.Timestamp, rules: SyncRules) -> pd.DataFrame:
    """Every fact of the data about cases as of `as_of`, ordered by child, date and kind."""
    frames = [
        departures(tables, as_of, rules),
        long_absences(tables, as_of, rules),
        not_reenrolled(tables, as_of),
    ]
    kept = [f for f in frames if not f.empty]
    if not kept:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    events = pd.concat(kept, ignore_index=True)
    order = events["to"].map({"suspected": 0, "confirmed": 1, "returned": 2, "closed": 3})
    events = events.assign(_o=order).sort_values(["student_id", "on", "_o"], kind="stable")
    return events.drop(columns="_o").reset_index(drop=True)
