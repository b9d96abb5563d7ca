"""Property: an export taken inside a holiday can be snapshotted the day after, and the
snapshot is what the records up to the export date say, whatever the calendars.

Hypothesis draws each school's winter break, an export date inside one school's break, and
household updates and dropouts (returns included) around it. Three ways to the snapshot at
EXPORT_DATE + 1 must agree exactly:

- the whole county written as a data folder with an `export.json`, through the validator
  (which sets aside what is dated after the export and blanks a later return);
- the county with every record after the export date removed, in memory;
- the whole county, records after the export date included (as-of correctness ignores them).
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_features
from features.contract import DROPOUT_REASONS, GUARDIANS, Tables, school_year_of
from features.validate import validate_folder
from tests.features.factory import frame, random_county, write_csv_folder

# (first day off, last day off) of the winter break, January-February 2024.
BREAKS = (("01-13", "02-18"), ("01-20", "02-25"), ("01-27", "02-14"), ("01-06", "02-27"))
DAY = pd.Timedelta(days=1)


@cache
def county(breaks: tuple[tuple[str, str], ...]) -> Tables:
    return random_county(seed=3, students=36, schools=3, first_year=2022, years=2, breaks=breaks)


def _extra(tables: Tables, data: st.DataObject, export: pd.Timestamp) -> Tables:
    """Household updates and dropouts around the export date, keys kept unique."""
    homes = sorted(set(tables.students["household_id"]))
    students = sorted(set(tables.students["student_id"]))
    near = st.integers(-25, 25).map(lambda d: export + d * DAY)
    households = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(homes), near, *[st.booleans()] * 4, st.sampled_from(GUARDIANS)
            ),
            max_size=5,
            unique_by=lambda r: (r[0], r[1]),
        )
    )
    dropouts = []
    for student, before, spell, back in data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(students), st.integers(1, 60), st.integers(1, 80), st.booleans()
            ),
            max_size=5,
            unique_by=lambda r: r[0],
        )
    ):
        left = export - before * DAY
        dropouts.append(
            (student, left, DROPOUT_REASONS[before % 10], left + spell * DAY if back else None)
        )

    def plus(name: str, rows: list, key: list[str]) -> pd.DataFrame:
        both = pd.concat([getattr(tables, name), frame(name, rows)], ignore_index=True)
        return both.drop_duplicates(key, keep="first").reset_index(drop=True)

    return Tables(
        **{
            **dict(tables.items()),
            "households": plus("households", households, ["household_id", "recorded_on"]),
            "dropouts": plus("dropouts", dropouts, ["student_id", "left_on"]),
        }
    )


def _cut(tables: Tables, export: pd.Timestamp) -> Tables:
    """Every record dated after `export` removed; a return after it not known yet."""
    t = dict(tables.items())
    dropouts = t["dropouts"].loc[t["dropouts"]["left_on"] <= export].copy()
    dropouts.loc[dropouts["returned_on"] > export, "returned_on"] = pd.NaT
    return Tables(
        schools=t["schools"],
        students=t["students"],
        enrollments=t["enrollments"].loc[t["enrollments"]["school_year"] <= school_year_of(export)],
        households=t["households"].loc[t["households"]["recorded_on"] <= export],
        attendance=t["attendance"].loc[t["attendance"]["date"] <= export],
        grades=t["grades"].loc[t["grades"]["exam_date"] <= export],
        dropouts=dropouts,
        exported_on=export,
    )


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=st.data(),
    breaks=st.tuples(*[st.sampled_from(BREAKS)] * 3),
    school=st.integers(0, 2),
    offset=st.integers(0, 60),
)
def test_snapshot_the_day_after_an_export_in_a_holiday(
    data: st.DataObject, breaks: tuple, school: int, offset: int
) -> None:
    first, last = (pd.Timestamp(f"2024-{d}") for d in breaks[school])
    export = first + min(offset, (last - first).days) * DAY  # inside that school's break
    whole = _extra(county(breaks), data, export)
    the_day_after = export + DAY

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_csv_folder(whole, Path(tmp) / "county")
        (folder / "export.json").write_text(json.dumps({"export_date": f"{export:%Y-%m-%d}"}))
        report = validate_folder(folder)
    assert report.usable and report.export.date == export
    assert all(not p.fatal for p in report.problems)
    exported = build_features(report.tables, the_day_after)

    cut = build_features(_cut(whole, export), the_day_after)
    pd.testing.assert_frame_equal(exported, cut, check_exact=True)
    pd.testing.assert_frame_equal(build_features(whole, the_day_after), cut, check_exact=True)
    assert len(cut) > 20
