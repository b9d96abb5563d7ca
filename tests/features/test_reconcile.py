"""`reconcile` on a hand-built county whose answer is worked out by hand, and on generated
counties against the generator's truth (two seeds; row order shuffled)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from features.reconcile.evaluate import out_of_school_quality
from features.reconcile.output import not_enrolled
from features.reconcile.run import reconcile
from features.synthetic import generate_county
from features.validate import load_tables
from tests.features.county_files import HEADERS, clean_rows, write_county
from tests.features.test_residents import RESIDENT_HEADER, with_check

AS_OF = pd.Timestamp("2023-10-15")  # school year 2023; ages counted on 2023-08-31
LI = with_check("44010220120501002")  # 李小红 (student 007), born 2012-05-01, F
S003 = with_check("44010220091030001")  # student S003 (no name), born 2009-10-30, M


def place(*row: str) -> list[str]:
    return [*row, "resident", "2023-06-01"]


# Hand-worked: what each register row must become.
RESIDENTS = {
    "李小红": (place(LI, "李小红", "F", "2012-05-01", "Lanxi", "Hongqi", "东坪村"), "enrolled"),
    # Same name as student 007, another birth date, no id: another child, never enrolled.
    "李小红2": (
        place("", "李小红", "F", "2013-08-20", "Lanxi", "Hongqi", "东坪村"),
        "not_enrolled",
    ),
    # Student S002 is 张伟 in the school register: no id on either side, one character apart.
    "张玮": (place("", "张玮", "M", "2014-02-11", "Lanxi", "Chengguan", ""), "enrolled"),
    # Student S003 (no name in the school register), linked by id, left school 2023-09-06.
    "王强": (place(S003, "王强", "M", "2009-10-30", "Lanxi", "Shanbei", "西沟村"), "left"),
    "陈静": (place("", "陈静", "F", "2013-03-03", "Lanxi", "Hongqi", "北坪村"), "not_enrolled"),
    "周明": (
        ["", "周明", "M", "2012-01-09", "Lanxi", "Hongqi", "", "moved_out", "2023-06-01"],
        "moved_out",
    ),
    "马芳": (place("", "马芳", "F", "1984-04-04", "Lanxi", "Hongqi", ""), None),  # an adult
    "刘洋": (place("", "刘洋", "M", "2019-02-02", "Lanxi", "Hongqi", ""), None),  # under six
}


def hand_county(folder: Path, residents: list[list[str]] | None = None) -> Path:
    rows = clean_rows()
    names = {"S002": "张伟", "S006": "赵磊", "S004": "马兰", "S005": "周玉"}
    ids = {"007": LI, "S003": S003}
    for row in rows["students"]:
        row[6] = names.get(row[0], row[6])
        row.append(ids.get(row[0], ""))
    write_county(folder, rows, {**HEADERS, "students": [*HEADERS["students"], "person_id"]})
    with open(folder / "residents.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESIDENT_HEADER)
        writer.writerows(residents or [row for row, _ in RESIDENTS.values()])
    return folder


def test_hand_worked_statuses(tmp_path: Path) -> None:
    tables = load_tables(hand_county(tmp_path / "county"))
    result = reconcile(tables, AS_OF)
    got = dict(zip(result.residents["name"] + result.residents["birth_date"].astype(str),
                   result.residents["status"], strict=True))  # fmt: skip
    want = {row[1] + row[3]: status for row, status in RESIDENTS.values() if status is not None}
    assert {k.replace(" 00:00:00", ""): v for k, v in got.items()} == want
    linked = result.residents.set_index("name")
    assert linked.loc["张玮", "student_id"] == "S002" and linked.loc["王强", "student_id"] == "S003"
    # Students enrolled in 2023 whom no resident matches (registered elsewhere): the other four.
    assert sorted(result.unmatched_students["student_id"]) == ["S004", "S005", "S006"]
    visit = not_enrolled(result.residents, township="Hongqi")
    assert list(visit.columns) == ["name", "township", "village", "age"]
    assert sorted(zip(visit["name"], visit["age"], strict=True)) == [("李小红", 10), ("陈静", 10)]


def test_a_child_enrolled_only_later_was_not_enrolled_then(tmp_path: Path) -> None:
    # In school year 2022 only 007 is enrolled; S002 and S003 start in 2023.
    result = reconcile(load_tables(hand_county(tmp_path / "county")), pd.Timestamp("2022-10-15"))
    status = result.residents.set_index("name")["status"]
    assert status["张玮"] == "not_enrolled" and status["王强"] == "not_enrolled"
    assert result.residents.set_index("name").loc["张玮", "student_id"] == "S002"
    assert (status["李小红"] == "enrolled").any()


def test_a_resident_registered_twice_is_listed(tmp_path: Path) -> None:
    # S006 is the same child as 007: a second registration, at a school in another township.
    folder = tmp_path / "county"
    hand_county(folder, [RESIDENTS["李小红"][0]])
    students = pd.read_csv(folder / "students.csv", dtype=str, keep_default_na=False)
    same = ["gender", "birth_date", "name", "person_id"]
    students.loc[students["student_id"] == "S006", same] = ["F", "2012-05-01", "李小红", LI]
    students.to_csv(folder / "students.csv", index=False)
    result = reconcile(load_tables(folder), AS_OF)
    assert result.duplicates["student_id"].tolist() == ["007;S006"]


@cache
def generated(root: str, seed: int) -> Path:
    folder = Path(root) / f"seed{seed}"
    generate_county(folder, students=1500, years=2, seed=seed, fmt="parquet")
    return folder


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("reconcile"))


@pytest.mark.parametrize("seed", [3, 4])
def test_precision_and_recall_of_the_out_of_school_list(root: str, seed: int) -> None:
    folder = generated(root, seed)
    tables = load_tables(folder)
    as_of = pd.Timestamp("2024-03-20")
    found = reconcile(tables, as_of)
    quality, expected = out_of_school_quality(tables, found, folder)
    assert quality.expected >= 10  # never-enrolled children and those who left
    assert quality.precision >= 0.9 and quality.recall >= 0.9, quality
    assert quality.review <= 0.02 * quality.residents
    # The linkage's links against the truth's, for children in school too.
    links = found.residents.dropna(subset=["student_id"])
    links = links.loc[links["status"] != "review"]
    truth = expected.residents.set_index("resident")["student_id"]
    right = (links["student_id"] == links["resident"].map(truth)).mean()
    assert right >= 0.99


def test_linkage_is_the_same_whatever_the_row_order(root: str, tmp_path: Path) -> None:
    folder = generated(root, 3)
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for path in folder.glob("*.parquet"):
        frame = pd.read_parquet(path)
        if path.stem in ("residents", "students"):
            frame = frame.sample(frac=1.0, random_state=7)
        frame.to_parquet(shuffled / path.name, index=False)
    as_of = pd.Timestamp("2024-03-20")

    def outcome(where: Path) -> pd.DataFrame:
        found = reconcile(load_tables(where), as_of).residents.drop(columns="resident")
        keys = ["person_id", "name", "birth_date", "gender", "township", "village", "status"]
        return found.sort_values(keys).reset_index(drop=True)

    pd.testing.assert_frame_equal(outcome(folder), outcome(shuffled))


def run_cli(*args: str, home: Path) -> tuple[int, str]:
    """The real command in its own process: library noise would reach the real streams."""
    result = subprocess.run(
        [sys.executable, "-m", "dropout_risk.cli", *args],
        capture_output=True,
        env={**os.environ, "DROPOUT_RISK_HOME": str(home), "COLUMNS": ""},
        timeout=300,
    )
    return result.returncode, (result.stdout + result.stderr).decode("utf-8")


def test_reconcile_command(tmp_path: Path) -> None:
    folder = hand_county(tmp_path / "county")
    out = tmp_path / "copy.csv"
    home = tmp_path / "home"
    code, output = run_cli("reconcile", str(folder), "--as-of", "2023-10-15", "--out", str(out),
                           home=home)  # fmt: skip
    assert code == 0, output
    assert LI not in output and S003 not in output  # ids are never printed
    for noise in ("Traceback", "WARNING", "Exception ignored"):
        assert noise not in output, output
    copy = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(copy.columns[:4]) == ["person_id", "status", "student_id", "match_weight"]
    assert len(copy) == 6
    summary = pd.read_csv(
        home / "reconcile" / "county-2023-10-15" / "summary.csv", encoding="utf-8-sig"
    ).set_index("township")
    assert summary.loc["Hongqi", "not_enrolled"] == 2
    no_register = write_county(tmp_path / "plain")
    code, output = run_cli("reconcile", str(no_register), "--as-of", "2023-10-15", home=home)
    assert code == 1 and "no residents table" in output and "Traceback" not in output
