"""The attendance indicators written as plain DuckDB SQL: the yardstick for the project's engine.

Same definitions as `features.indicators.attendance`: a school's days are the days on which any
student enrolled there in the snapshot's school year has a record; `back` counts school days
back from the as-of date (1 = the last one); rates are absences over recorded days.
The benchmark times it against the project, and a test checks that both give the same numbers.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from features.indicators.compute import window

ABSENT = "('absent_excused', 'absent_sick', 'absent_unexcused')"


def attendance_sql(as_of: pd.Timestamp) -> str:
    """SQL over relations `attendance` and `enrollments`, one row per enrolled student."""
    year, year_start, start = window(as_of)

    def rate(cond: str, kind: str) -> str:
        return f"count(*) FILTER (WHERE {cond} AND {kind})::DOUBLE / nullif(count(*) FILTER (WHERE {cond}), 0)"  # noqa: E501

    windows = {"14d": "back <= 14", "30d": "back <= 30", "90d": "back <= 90", "ytd": "ytd"}
    rates = ",\n".join(
        f"{rate(cond, 'absent')} AS absence_rate_{name}, "
        f"{rate(cond, 'unexcused')} AS unexcused_rate_{name}"
        for name, cond in windows.items()
    )
    return f"""
WITH roster AS (
    SELECT student_id, school_id FROM enrollments WHERE school_year = {year}
),
att AS (
    SELECT a.student_id, r.school_id, a.date,
           a.status IN {ABSENT} AS absent,
           a.status = 'absent_unexcused' AS unexcused
    FROM attendance a JOIN roster r USING (student_id)
    WHERE a.date >= DATE '{start:%Y-%m-%d}' AND a.date < DATE '{as_of:%Y-%m-%d}'
),
calendar AS (
    SELECT school_id, date,
           row_number() OVER (PARTITION BY school_id ORDER BY date DESC) AS back,
           count(*) OVER (PARTITION BY school_id) AS school_days
    FROM (SELECT DISTINCT school_id, date FROM att)
),
rows AS (
    SELECT att.*, c.back, c.school_days, att.date >= DATE '{year_start:%Y-%m-%d}' AS ytd
    FROM att JOIN calendar c USING (school_id, date)
),
runs AS (
    SELECT student_id, max(n) AS longest FROM (
        SELECT student_id, island, count(*) AS n FROM (
            SELECT student_id,
                   back + row_number() OVER (PARTITION BY student_id ORDER BY date) AS island
            FROM rows WHERE ytd AND absent
        ) GROUP BY student_id, island
    ) GROUP BY student_id
),
agg AS (
    SELECT student_id,
{rates},
        {rate("back > 30 AND back <= 60", "absent")} AS previous_30,
        count(*) FILTER (WHERE ytd) AS ytd_rows,
        min(back) FILTER (WHERE NOT absent) AS nearest_present,
        max(school_days) AS school_days
    FROM rows GROUP BY student_id
)
SELECT r.student_id,
       absence_rate_14d, unexcused_rate_14d, absence_rate_30d, unexcused_rate_30d,
       absence_rate_90d, unexcused_rate_90d, absence_rate_ytd, unexcused_rate_ytd,
       absence_rate_30d - previous_30 AS absence_trend_30d,
       CASE WHEN ytd_rows > 0 THEN coalesce(runs.longest, 0) END AS longest_absence_run,
       coalesce(nearest_present - 1, school_days) AS days_since_present
FROM roster r LEFT JOIN agg USING (student_id) LEFT JOIN runs USING (student_id)
ORDER BY r.student_id
"""


def duckdb_attendance(con: duckdb.DuckDBPyConnection, as_of: pd.Timestamp) -> pd.DataFrame:
    """Run the SQL on a connection where `attendance` and `enrollments` exist."""
    return con.execute(attendance_sql(as_of)).df()
