"""A small, clean county written as seven CSV files, for the loader and validator tests.

Tests break one thing at a time in these rows and check what the validator says.
Rows are lists of strings exactly as a county clerk's export would hold them.
"""

from __future__ import annotations

import csv
from pathlib import Path

HEADERS: dict[str, list[str]] = {
    "schools": ["school_id", "name", "county", "township", "level", "rural", "boarding"],
    "students": [
        "student_id",
        "household_id",
        "gender",
        "birth_date",
        "ethnic_minority",
        "disability",
        "name",
    ],
    "enrollments": ["student_id", "school_year", "school_id", "grade", "boarding", "distance_km"],
    "households": [
        "household_id",
        "recorded_on",
        "registered_poor",
        "low_income_allowance",
        "father_migrant",
        "mother_migrant",
        "guardian",
    ],
    "attendance": ["student_id", "date", "status"],
    "grades": ["student_id", "school_year", "term", "subject", "score", "exam_date"],
    "dropouts": ["student_id", "left_on", "reason", "returned_on"],
}

STUDENT_IDS = ["007", "S002", "S003", "S004", "S005", "S006"]
ATTENDANCE_DAYS = ["2023-09-04", "2023-09-05", "2023-09-06", "2023/9/7"]


def clean_rows() -> dict[str, list[list[str]]]:
    """The clean county: every rule holds, including awkward but valid spellings."""
    rows: dict[str, list[list[str]]] = {
        "schools": [
            ["001", "城关镇中心小学", "Lanxi", "Chengguan", "primary", "false", "no"],
            ["002", "Hongqi Junior", "Lanxi", "Hongqi", "junior", "true", "yes"],
            ["003", "Shanbei Nine-Year", "Lanxi", "Shanbei", "nine_year", "1", "0"],
        ],
        "households": [
            ["H1", "2022-03-01", "true", "false", "true", "false", "grandparents"],
            ["H1", "2023-03-01", "false", "false", "true", "true", "grandparents"],
            ["H2", "2022-05-10", "否", "否", "否", "否", "parents"],
            ["H3", "2021/6/1", "是", "是", "yes", "no", "mother"],
            ["H4", "2022-01-15", "False", "TRUE", "0", "1", "relatives"],
        ],
        "students": [
            ["007", "H1", "F", "2012-05-01", "false", "none", "李小红"],
            ["S002", "H1", "M", "2014-02-11", "false", "none", "Li Xiaoming"],
            ["S003", "H2", "M", "2009-10-30", "true", "physical", ""],
            ["S004", "H3", "F", "2010-01-20", "false", "none", "Ma Lan"],
            ["S005", "H4", "F", "2016/3/9", "false", "visual", "Zhou Yu"],
            ["S006", "H2", "M", "2011-07-07", "false", "none", "Zhao Lei"],
        ],
        "enrollments": [
            ["007", "2023", "002", "5", "false", "3.5"],
            ["S002", "2023", "001", "3", "false", ""],
            ["S003", "2023", "003", "8", "true", "12"],
            ["S004", "2023", "002", "7", "true", "20.25"],
            ["S005", "2023", "001", "1", "false", "0"],
            ["S006", "2023", "003", "6", "false", "1"],
            ["007", "2022", "001", "4", "false", "2"],
        ],
        "attendance": [
            [sid, day, status]
            for sid in STUDENT_IDS
            for day, status in zip(
                ATTENDANCE_DAYS,
                ["present", "late", "absent_sick", "absent_unexcused"],
                strict=True,
            )
        ],
        "grades": [
            ["007", "2023", "1", "math", "88", "2024-01-10"],
            ["007", "2023", "1", "chinese", "91.5", "2024-01-11"],
            ["S003", "2023", "1", "math", "42", "2024-01-10"],
            ["S004", "2022", "2", "math", "0", "2023-06-30"],
            ["S005", "2023", "1", "语文", "100", "2024-01-11"],
        ],
        "dropouts": [
            ["S003", "2023-09-06", "child_labor", ""],
            ["S004", "2023-03-01", "family_poverty", "2023-05-02"],
        ],
    }
    # The data's last day is the latest attendance day, after every other date above.
    rows["attendance"].append(["S002", "2024-01-12", "present"])
    return rows


def write_county(
    folder: Path,
    rows: dict[str, list[list[str]]] | None = None,
    headers: dict[str, list[str]] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write the seven tables as CSV files into `folder` and return it."""
    rows = clean_rows() if rows is None else rows
    headers = HEADERS if headers is None else headers
    folder.mkdir(parents=True, exist_ok=True)
    for table, header in headers.items():
        with open(folder / f"{table}.csv", "w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows[table])
    return folder


def count_rows(rows: dict[str, list[list[str]]]) -> int:
    return sum(len(r) for r in rows.values())
