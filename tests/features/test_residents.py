"""The household register (`residents`) and `students.person_id`: ids checked, nothing shown.

Ids here are worked by hand from GB 11643's published example 11010519491231002X
(area 110105, born 1949-12-31, sequence 002: a woman; check character X).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.reconcile.ids import check_character, parse_ids
from features.validate import ValidationReport, validate_folder
from tests.features.county_files import HEADERS, clean_rows, write_county

RESIDENT_HEADER = [
    "person_id", "name", "gender", "birth_date", "county", "township", "village", "status",
    "recorded_on",
]  # fmt: skip


def with_check(body: str) -> str:
    """Hand-check: sum of digit x weight mod 11 -> '10X98765432'."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def test_the_published_example_and_hand_worked_ids() -> None:
    assert check_character("11010519491231002") == "X"
    # 4*7+4*9+0*10+1*5+0*8+2*4+2*2+0*1+1*6+2*3+0*7+5*9+0*10+1*5+0*8+1*4+3*2 = 153;
    # 153 % 11 = 10 -> "10X98765432"[10] = "2"
    assert with_check("44010220120501013") == "440102201205010132"
    assert check_character("44010220120501013") == "2"


@pytest.mark.parametrize(
    ("raw", "normalized", "problem", "born", "female"),
    [
        ("11010519491231002X", "11010519491231002X", "", "1949-12-31", True),
        ("11010519491231002x", "11010519491231002X", "", "1949-12-31", True),  # lower-case x
        ("110105491231002", "11010519491231002X", "", "1949-12-31", True),  # 15-digit, upgraded
        ("440102201205010132", "440102201205010132", "", "2012-05-01", False),  # 3: odd, a man
        ("440102201205010137", None, "check", None, None),  # wrong check character
        ("11010519491231002", None, "length", None, None),  # 17: the check character missing
        ("1101051949123100XX", None, "characters", None, None),
        ("440102201213010139", None, "date", None, None),  # month 13
        ("", None, "", None, None),  # empty is allowed
    ],
)
def test_id_checker(raw: str, normalized: str | None, problem: str, born, female) -> None:
    if len(raw) == 18 and problem == "date":  # make the check character right: only the date is
        raw = with_check(raw[:17])
    parsed = parse_ids(pd.Series([raw]))
    got = parsed.normalized.iloc[0]
    assert (None if pd.isna(got) else got) == normalized
    assert parsed.problem[0] == problem
    if born is not None:
        assert parsed.birth_date[0] == np.datetime64(born)
        assert bool(parsed.female[0]) is female


def write_with_residents(folder: Path, residents: list[list[str]], person_ids: list[str]) -> Path:
    rows = clean_rows()
    headers = {**HEADERS, "students": [*HEADERS["students"], "person_id"]}
    for row, pid in zip(rows["students"], person_ids, strict=True):
        row.append(pid)
    write_county(folder, rows, headers)
    with open(folder / "residents.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESIDENT_HEADER)
        writer.writerows(residents)
    return folder


GOOD = with_check("44010220120501002")  # 李小红, 2012-05-01, F (2: even)
LEGACY = "110105491231002"  # GB 11643's example person (1949-12-31, F), 15-digit form
BAD_CHECK = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
OTHER_DAY = with_check("44010220140211003")  # says 2014-02-11, M; row says 2012-05-01 F


def resident(pid: str, name: str = "李小红", born: str = "2012-05-01", sex: str = "F") -> list:
    return [pid, name, sex, born, "Lanxi", "Chengguan", "东坪村", "resident", "2023-12-01"]


@pytest.fixture
def report(tmp_path: Path) -> ValidationReport:
    residents = [
        resident(GOOD),
        resident(LEGACY, name="王五", born="1949-12-31"),
        resident(BAD_CHECK, name="赵六"),
        resident(OTHER_DAY, name="钱七"),
        resident("", name="孙八"),
        ["", "", "M", "2015-01-01", "Lanxi", "Chengguan", "", "resident", "2023-12-01"],
    ]
    students = [GOOD, "", BAD_CHECK.lower(), "", LEGACY.replace("0", "O", 1), ""]
    folder = write_with_residents(tmp_path / "county", residents, students)
    return validate_folder(folder, quarantine_dir=tmp_path / "quarantine")


def problems(report: ValidationReport, table: str) -> dict[str, object]:
    return {p.rule: p for p in report.problems if p.table == table}


def test_residents_are_checked_per_row_and_column(report: ValidationReport) -> None:
    found = problems(report, "residents")
    bad = found["bad_person_id"]
    assert (bad.column, bad.count, bad.decision) == ("person_id", 1, "blanked")
    assert [row for row, _ in bad.examples] == [4]  # spreadsheet row: the header is row 1
    disagree = found["person_id_disagrees"]
    assert (disagree.count, disagree.decision, disagree.examples[0][0]) == (1, "warning", 5)
    missing = found["missing_value"]
    assert (missing.column, missing.examples[0][0], missing.decision) == ("name", 7, "set aside")
    assert report.usable
    residents = report.tables.residents
    # Nothing lost silently: 6 rows in, the nameless one set aside, the rest kept.
    assert len(residents) == 5 and report.rows_in["residents"] == 6
    assert residents["person_id"].iloc[0] == GOOD
    assert residents["person_id"].iloc[1] == "11010519491231002X"  # 15 digits, upgraded
    assert pd.isna(residents["person_id"].iloc[2])  # the wrong check character, blanked


def test_student_person_ids_are_checked_and_normalised(report: ValidationReport) -> None:
    found = problems(report, "students")
    assert found["bad_person_id"].count == 2  # the wrong check character, the letter O
    students = report.tables.students
    assert students["person_id"].iloc[0] == GOOD
    assert students["person_id"].isna().sum() == 5


def test_ids_never_reach_the_report_or_the_quarantine(report: ValidationReport) -> None:
    shown = " ".join(
        f"{p.message} {p.examples}" for p in report.problems if p.table in ("students", "residents")
    )
    quarantine = report.quarantine_path.read_text(encoding="utf-8-sig")
    for pid in (GOOD, LEGACY, BAD_CHECK, OTHER_DAY, GOOD[:17]):
        assert pid not in shown
        assert pid.lower() not in quarantine and pid not in quarantine
    assert "(hidden)" in quarantine


def test_a_folder_without_residents_is_fine(tmp_path: Path) -> None:
    found = validate_folder(write_county(tmp_path / "county"))
    assert found.usable and found.tables.residents is None
    assert "residents" not in dict(found.tables.items())


def test_the_generated_register_is_noisy_the_way_registers_are(tmp_path: Path) -> None:
    from features.synthetic import generate_county

    generate_county(tmp_path, students=3000, years=2, seed=5)
    students = pd.read_csv(tmp_path / "students.csv", dtype=str)
    residents = pd.read_csv(tmp_path / "residents.csv", dtype=str)
    truth = pd.read_csv(tmp_path / "truth" / "residents.csv", dtype=str, keep_default_na=False)
    assert len(truth) == len(residents) == 30_000
    kinds = truth["kind"].value_counts()
    assert kinds["never_enrolled"] >= 3 and kinds["moved_out"] > 20 and kinds["adult"] > 20_000
    linked = truth.loc[truth["student_id"] != ""].merge(students, on="student_id")
    pair = residents.loc[linked["row"].astype(int)].reset_index(drop=True)
    # Most children of the school register are in the register; migrants are not.
    assert 0.9 < len(linked) / len(students) < 0.99
    differ = (pair["name"] != linked["name"]) & linked["name"].notna()
    assert 0.03 < differ.mean() < 0.12
    assert 0 < (pair["birth_date"] != linked["birth_date"]).mean() < 0.05
    assert 0.15 < students["person_id"].isna().mean() < 0.3
    ids = residents["person_id"].dropna()
    assert ids.is_unique and (ids.str.len() == 15).sum() > 1000
    assert parse_ids(ids).problem.tolist().count("") == len(ids)  # the register's ids are valid
