"""Snapshots around a winter holiday, and who is in the population at a date.

Two schools of one county keep different winter breaks. School A: last day before the break
Friday 12 January 2024, back on Monday 26 February. School B: last day Friday 26 January,
back on Monday 19 February. Nobody has attendance in the holiday; households change and a
child comes back during it. "The last N school days" count each school's own days.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.build import build_features
from features.indicators.population import roster
from tests.features.factory import attendance_rows, school_days, tables

A_DAYS = school_days("2023-09-04", "2024-01-12") + school_days("2024-02-26", "2024-03-08")
B_DAYS = school_days("2023-09-04", "2024-01-26") + school_days("2024-02-19", "2024-03-08")
# a1 is absent on A's last 5 school days before the break and on its first 2 after it.
A_ABSENT = set(school_days("2024-01-08", "2024-01-12") + school_days("2024-02-26", "2024-02-27"))


def county():  # -> Tables
    a1 = [(d, "absent_unexcused" if d in A_ABSENT else "present") for d in A_DAYS]
    b1 = [(d, "absent_sick" if d.month == 1 and d.day >= 22 else "present") for d in B_DAYS]
    return tables(
        schools=[
            ("A", "School A", "C", "T", "junior", True, False),
            ("B", "School B", "C", "T", "junior", True, False),
        ],
        students=[(s, f"h{s}", "F", "2010-03-01", False, "none") for s in ("a1", "b1", "a2")],
        enrollments=[
            ("a1", 2023, "A", 8, False, 2.0),
            ("a2", 2023, "A", 8, False, 2.0),
            ("b1", 2023, "B", 8, False, 2.0),
        ],
        attendance=attendance_rows("a1", [d for d, _ in a1], [s for _, s in a1])
        + attendance_rows("b1", [d for d, _ in b1], [s for _, s in b1])
        + attendance_rows("a2", [d for d in A_DAYS if d <= pd.Timestamp("2023-12-01")], "present"),
        households=[
            ("ha1", "2023-08-01", False, False, False, False, "parents"),
            ("ha1", "2024-02-16", False, False, True, True, "grandparents"),  # in the holiday
        ],
        dropouts=[("a2", "2023-12-04", "child_labor", "2024-02-10")],  # back in the holiday
    )


def test_first_day_of_term_after_the_holiday_counts_back_across_it() -> None:
    t = county()
    first_day = build_features(t, "2024-02-26").set_index("student_id")
    # A's last 14 school days before 26 February end on 12 January: 5 of them absent.
    assert first_day.loc["a1", "absence_rate_14d"] == 5 / 14
    assert first_day.loc["a1", "unexcused_rate_14d"] == 5 / 14
    assert first_day.loc["a1", "days_since_present"] == 5
    # B came back a week earlier: its 14 days are 5 after the break and 9 before it, of
    # which the last 5 (22-26 January) were sick days.
    assert first_day.loc["b1", "absence_rate_14d"] == 5 / 14
    # The household update and the return of the holiday are known on the first day.
    assert first_day.loc["a1", "guardian"] == "grandparents"
    assert "a2" in first_day.index


def test_a_window_reaching_back_across_the_holiday() -> None:
    later = build_features(county(), "2024-03-04").set_index("student_id")
    # A: 26 Feb - 1 Mar (5 days, 2 absent) plus 9 days before the break (5 absent).
    assert later.loc["a1", "absence_rate_14d"] == 7 / 14
    # 30 days: 5 after, 25 before the break; the same 7 absences.
    assert later.loc["a1", "absence_rate_30d"] == 7 / 30
    assert later.loc["a1", "days_since_present"] == 0
    # B: 10 days after the break, 4 before it (23-26 January, all sick).
    assert later.loc["b1", "absence_rate_14d"] == 4 / 14


# --- the population at a date ----------------------------------------------------------------

DAY0 = pd.Timestamp("2023-09-01")


@st.composite
def episodes(draw: st.DrawFn) -> list[tuple[str, pd.Timestamp, pd.Timestamp | None]]:
    """Per student, non-overlapping spells out of school; the last may never end."""
    rows = []
    for student in ("p0", "p1", "p2", "p3", "p4", "p5"):
        day = draw(st.integers(0, 40))
        for k in range(draw(st.integers(0, 3))):
            left = day + draw(st.integers(0, 60))
            back = left + draw(st.integers(1, 80))
            open_ended = k == 2 or draw(st.booleans()) and draw(st.booleans())
            rows.append((student, left, None if open_ended else back))
            if open_ended:
                break
            day = back + 1
    return [
        (
            s,
            DAY0 + pd.Timedelta(days=left),
            None if back is None else DAY0 + pd.Timedelta(days=back),
        )
        for s, left, back in rows
    ]


@settings(max_examples=60, deadline=None)
@given(spells=episodes(), at=st.integers(0, 300))
def test_population_excludes_exactly_who_left_before_and_was_not_back_before(
    spells: list, at: int
) -> None:
    students = ("p0", "p1", "p2", "p3", "p4", "p5")
    t = tables(
        students=[(s, "h", "M", "2010-01-01", False, "none") for s in students],
        enrollments=[(s, 2023, "A", 8, False, 1.0) for s in students],
        dropouts=[(s, left, "other", back) for s, left, back in spells],
    )
    when = DAY0 + pd.Timedelta(days=at)
    out = {
        s
        for s, left, back in spells
        if left < when and (back is None or back >= when)  # left before, not back before
    }
    population = roster(t, when).set_index("student_id")["in_population"]
    assert {s for s in students if not population[s]} == out
