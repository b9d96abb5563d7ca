"""The validator on a corpus of broken counties, through the library and the real CLI.

Every case starts from the clean county of `county_files`, breaks one thing, and
checks that the report names the rule, file, row and column, and that
`dropout-risk validate` exits with the right code and says the same.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dropout_risk.cli import app
from dropout_risk.settings import get_settings
from features.errors import DataError
from features.validate import Problem, ValidationReport, load_tables, validate_folder
from tests.features.county_files import HEADERS, clean_rows, count_rows, write_county

Rows = dict[str, list[list[str]]]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DROPOUT_RISK_HOME, and a wide terminal so rich does not wrap the report."""
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "400")
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def run_cli(data_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", str(data_dir)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    return result.exit_code, output


def find(report: ValidationReport, table: str, rule: str) -> Problem:
    found = [p for p in report.problems if p.table == table and p.rule == rule]
    assert found, [(p.table, p.rule, p.column, p.message) for p in report.problems]
    return found[0]


# --- the corpus ----------------------------------------------------------------------------


def set_cell(table: str, index: int, column: str, value: str) -> Callable[[Rows], None]:
    def edit(rows: Rows) -> None:
        rows[table][index][HEADERS[table].index(column)] = value

    return edit


def repeat_row(table: str, index: int) -> Callable[[Rows], None]:
    def edit(rows: Rows) -> None:
        rows[table].append(list(rows[table][index]))

    return edit


def drop_column(table: str, column: str) -> Callable[[Rows, dict[str, list[str]]], None]:
    def edit(rows: Rows, headers: dict[str, list[str]]) -> None:
        at = headers[table].index(column)
        headers[table] = [h for h in headers[table] if h != column]
        rows[table] = [r[:at] + r[at + 1 :] for r in rows[table]]

    return edit


def add_column(table: str, column: str, value: str) -> Callable[[Rows, dict[str, list[str]]], None]:
    def edit(rows: Rows, headers: dict[str, list[str]]) -> None:
        headers[table] = [*headers[table], column]
        rows[table] = [[*r, value] for r in rows[table]]

    return edit


def header_only(table: str) -> Callable[[Rows], None]:
    def edit(rows: Rows) -> None:
        rows[table] = []

    return edit


def file_edit(fn: Callable[[Path], None]) -> Callable[[Path], None]:
    return fn


def as_gb18030(folder: Path) -> None:
    text = (folder / "schools.csv").read_text(encoding="utf-8")
    (folder / "schools.csv").write_bytes(text.encode("gb18030"))


def with_bom(folder: Path) -> None:
    for path in folder.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def to_parquet(folder: Path, tables: tuple[str, ...]) -> Callable[[Path], None]:
    def edit(_folder: Path) -> None:
        for name in tables:
            path = folder / f"{name}.csv"
            # Arrow's own type guessing gives int, bool and date columns; ids stay text.
            ids = {c: pa.string() for c in HEADERS[name] if c.endswith("_id")}
            data = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=ids))
            pq.write_table(data, folder / f"{name}.parquet")
            path.unlink()

    return edit


@dataclass(frozen=True)
class Case:
    """One broken county and what the validator must say about it."""

    id: str
    table: str
    rule: str
    column: str | None = None
    row: int | None = None
    exit_code: int = 0
    rows: Callable[[Rows], None] | None = None
    header: Callable[[Rows, dict[str, list[str]]], None] | None = None
    files: Callable[[Path], None] | None = None


def _unlink(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def _both_formats(folder: Path) -> None:
    pq.write_table(pacsv.read_csv(folder / "schools.csv"), folder / "schools.parquet")


def _malformed(folder: Path) -> None:
    with open(folder / "grades.csv", "a", encoding="utf-8") as handle:
        handle.write("S002,2023,1,math\n")  # two fields short


# Attendance rows: six students x four days, student-major, then one more for S002.
ATT_S002_DAY2 = 1 * 4 + 1

CASES = [
    Case("missing-file", "schools", "missing_file", exit_code=1, files=_unlink("schools.csv")),
    Case("missing-column", "students", "missing_column", "gender", exit_code=1,
         header=drop_column("students", "gender")),
    Case("text-in-score", "grades", "unparseable", "score", row=3,
         rows=set_cell("grades", 1, "score", "ninety")),
    Case("bad-code", "attendance", "bad_code", "status", row=2 + ATT_S002_DAY2,
         rows=set_cell("attendance", ATT_S002_DAY2, "status", "gone_fishing")),
    Case("score-out-of-range", "grades", "out_of_range", "score", row=4,
         rows=set_cell("grades", 2, "score", "120")),
    Case("grade-out-of-range", "enrollments", "out_of_range", "grade", row=3,
         rows=set_cell("enrollments", 1, "grade", "10")),
    Case("future-date", "grades", "date_after_export", "exam_date", row=2,
         rows=set_cell("grades", 0, "exam_date", "2099-01-10")),
    Case("absurd-date", "households", "date_before_1990", "recorded_on", row=2,
         rows=set_cell("households", 0, "recorded_on", "1900-01-01")),
    Case("duplicate-enrollment", "enrollments", "duplicate_key", "student_id+school_year",
         row=9, rows=repeat_row("enrollments", 0)),
    Case("duplicate-attendance", "attendance", "duplicate_key", "student_id+date",
         row=27, rows=repeat_row("attendance", 3)),
    Case("enrollment-unknown-school", "enrollments", "unknown_reference", "school_id", row=4,
         rows=set_cell("enrollments", 2, "school_id", "999")),
    Case("enrollment-unknown-student", "enrollments", "unknown_reference", "student_id",
         row=5, rows=set_cell("enrollments", 3, "student_id", "S999")),
    Case("student-unknown-household", "students", "unknown_reference", "household_id",
         row=6, rows=set_cell("students", 4, "household_id", "H9")),
    Case("attendance-unknown-student", "attendance", "unknown_reference", "student_id",
         row=2, rows=set_cell("attendance", 0, "student_id", "S999")),
    Case("returned-before-left", "dropouts", "returned_before_left", "returned_on", row=3,
         rows=set_cell("dropouts", 1, "returned_on", "2023-02-01")),
    Case("unparseable-boolean", "enrollments", "unparseable", "boarding", row=6,
         rows=set_cell("enrollments", 4, "boarding", "maybe")),
    Case("missing-required-value", "students", "missing_value", "gender", row=3,
         rows=set_cell("students", 1, "gender", " ")),
    Case("empty-file", "attendance", "empty_file", exit_code=1,
         files=_write("attendance.csv", b"")),
    Case("header-only-attendance", "attendance", "no_rows", rows=header_only("attendance")),
    Case("header-only-households", "households", "no_rows", rows=header_only("households")),
    Case("implausible-age", "enrollments", "implausible_age", "student_id", row=2,
         rows=set_cell("students", 0, "birth_date", "2022-01-01")),
    Case("header-only-schools", "schools", "no_rows", exit_code=1,
         rows=header_only("schools")),
    Case("no-usable-students", "students", "no_usable_rows", exit_code=1,
         rows=lambda rows: [r.__setitem__(2, "X") for r in rows["students"]]),
    Case("column-twice", "grades", "duplicate_column", "score", exit_code=1,
         header=add_column("grades", "score", "50")),
    Case("csv-and-parquet", "schools", "ambiguous_file", exit_code=1, files=_both_formats),
    Case("undecodable-file", "schools", "unreadable_file", exit_code=1,
         files=_write("schools.csv", b"school_id,name\n1,\xff\xfe\xff\n")),
    Case("damaged-parquet", "grades", "unreadable_file", exit_code=1,
         files=lambda f: (_unlink("grades.csv")(f), _write("grades.parquet", b"PAR1junk")(f))),
    Case("malformed-line", "grades", "malformed_row", row=7, files=_malformed),
]  # fmt: skip


def build(folder: Path, case: Case) -> Path:
    rows, headers = clean_rows(), dict(HEADERS)
    if case.rows:
        case.rows(rows)
    if case.header:
        case.header(rows, headers)
    write_county(folder, rows, headers)
    if case.files:
        case.files(folder)
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_is_named_and_exits_right(case: Case, tmp_path: Path, home: Path) -> None:
    folder = build(tmp_path / "county", case)
    report = validate_folder(folder, quarantine_dir=home / "quarantine")
    problem = find(report, case.table, case.rule)
    assert problem.column == case.column
    assert problem.file is not None and problem.file.stem == case.table
    if case.row is not None:
        assert problem.count >= 1
        assert case.row in [row for row, _ in problem.examples], problem.examples
    assert report.usable is (case.exit_code == 0)
    assert (report.tables is not None) is report.usable
    if problem.set_aside:
        assert report.set_aside >= 1 and report.quarantine_path is not None
    if problem.count and not problem.set_aside:  # a warning: reported, nothing removed
        assert report.set_aside == 0 and report.tables is not None

    code, output = run_cli(folder)
    assert code == case.exit_code, output
    assert case.rule in output
    where = f"{problem.file.name}:{case.row}" if case.row is not None else problem.file.name
    assert where in output
    if case.column and "+" not in case.column:
        assert case.column in output
    if report.set_aside:
        assert "warning" in output and "set aside" in output and "quarantine" in output
    if case.exit_code:
        assert "cannot be used" in output


def test_clean_county_is_clean_through_the_cli(tmp_path: Path, home: Path) -> None:
    folder = write_county(tmp_path / "county")
    code, output = run_cli(folder)
    assert code == 0, output
    assert "No problems found" in output
    assert f"{count_rows(clean_rows()):,} rows in 7 tables" in output
    assert not (home / "quarantine").exists()


def test_missing_folder_is_a_clear_error(tmp_path: Path, home: Path) -> None:
    with pytest.raises(DataError, match="no such data folder"):
        validate_folder(tmp_path / "nowhere")
    code, output = run_cli(tmp_path / "nowhere")
    assert code == 1 and "no such data folder" in output


def test_gb18030_file_loads_with_chinese_names(tmp_path: Path, home: Path) -> None:
    folder = write_county(tmp_path / "county")
    as_gb18030(folder)
    with pytest.raises(UnicodeDecodeError):
        (folder / "schools.csv").read_text(encoding="utf-8")
    report = validate_folder(folder)
    assert report.clean, report.problems
    assert "城关镇中心小学" in set(report.tables.schools["name"])
    assert run_cli(folder)[0] == 0


def test_utf8_bom_loads(tmp_path: Path, home: Path) -> None:
    folder = write_county(tmp_path / "county")
    with_bom(folder)
    tables = load_tables(folder)
    assert list(tables.schools.columns)[0] == "school_id"
    assert set(tables.schools["school_id"]) == {"001", "002", "003"}
    assert run_cli(folder)[0] == 0


def test_mixed_line_endings_and_a_trailing_empty_column_load_like_the_clean_county(
    tmp_path: Path,
) -> None:
    clean = load_tables(write_county(tmp_path / "clean"))
    folder = write_county(tmp_path / "county")
    for i, path in enumerate(sorted(folder.glob("*.csv"))):
        lines = path.read_bytes().splitlines()
        if i % 2:  # Excel's trailing separator: one more, empty, column on every line
            lines = [line + b"," for line in lines]
        ends = [b"\r\n", b"\n", b"\r"]
        path.write_bytes(b"".join(line + ends[(i + j) % 3] for j, line in enumerate(lines)))
    # grades (given a trailing separator above): keep it on the data lines, not the header.
    grades = (folder / "grades.csv").read_bytes().splitlines()
    assert all(line.endswith(b",") for line in grades)
    (folder / "grades.csv").write_bytes(b"\n".join([grades[0][:-1], *grades[1:]]))
    report = validate_folder(folder)
    assert report.clean, [(p.table, p.rule, p.message) for p in report.problems]
    for name, frame in clean.items():
        pd.testing.assert_frame_equal(getattr(report.tables, name), frame, check_exact=True)


def test_ids_keep_leading_zeros(tmp_path: Path) -> None:
    tables = load_tables(write_county(tmp_path / "county"))
    assert "007" in set(tables.students["student_id"])
    assert set(tables.enrollments["school_id"]) == {"001", "002", "003"}
    assert tables.students["student_id"].dtype == pd.StringDtype("pyarrow")


def test_parquet_county_loads_like_the_csv_one(tmp_path: Path, home: Path) -> None:
    csv_tables = load_tables(write_county(tmp_path / "csv"))
    folder = write_county(tmp_path / "pq")
    to_parquet(folder, ("households", "enrollments", "attendance", "grades", "dropouts"))(folder)
    schools = pa.table({c: pa.array([r[i] for r in clean_rows()["schools"]])
                        for i, c in enumerate(HEADERS["schools"])})  # fmt: skip
    pq.write_table(schools, folder / "schools.parquet")
    (folder / "schools.csv").unlink()
    report = validate_folder(folder)
    assert report.clean, [(p.table, p.rule, p.column, p.examples) for p in report.problems]
    pq_tables = report.tables
    for name, frame in csv_tables.items():
        other = getattr(pq_tables, name)
        pd.testing.assert_frame_equal(other, frame, check_exact=True)
    # The Parquet files really hold typed columns, not text.
    assert pa.types.is_date32(pq.read_schema(folder / "grades.parquet").field("exam_date").type)
    enrollments = pq.read_schema(folder / "enrollments.parquet")
    assert pa.types.is_integer(enrollments.field("grade").type)
    assert pa.types.is_boolean(enrollments.field("boarding").type)
    assert run_cli(folder)[0] == 0


def test_extra_columns_are_ignored(tmp_path: Path, home: Path) -> None:
    rows, headers = clean_rows(), dict(HEADERS)
    add_column("students", "remarks", "likes football")(rows, headers)
    add_column("attendance", "teacher", "Wang")(rows, headers)
    report = validate_folder(write_county(tmp_path / "county", rows, headers))
    assert report.clean, report.problems
    assert "remarks" not in report.tables.students.columns
    assert list(report.tables.attendance.columns) == ["student_id", "date", "status"]


def test_optional_name_column_may_be_absent(tmp_path: Path) -> None:
    rows, headers = clean_rows(), dict(HEADERS)
    drop_column("students", "name")(rows, headers)
    tables = load_tables(write_county(tmp_path / "county", rows, headers))
    assert tables.students["name"].isna().all()


def test_load_tables_raises_naming_the_problem(tmp_path: Path) -> None:
    folder = build(tmp_path / "county", CASES[1])  # students without gender
    with pytest.raises(DataError, match=r"students\.csv: missing_column gender"):
        load_tables(folder)


def test_awkward_spellings_are_read(tmp_path: Path) -> None:
    tables = load_tables(write_county(tmp_path / "county"))
    schools = tables.schools.set_index("school_id")
    assert schools.loc["003", "rural"] and not schools.loc["003", "boarding"]  # 1 / 0
    households = tables.households
    h3 = households[households["household_id"] == "H3"].iloc[0]
    assert h3["registered_poor"] and h3["father_migrant"] and not h3["mother_migrant"]  # 是 / yes
    assert h3["recorded_on"] == pd.Timestamp("2021-06-01")  # 2021/6/1
    assert (tables.attendance["date"] == pd.Timestamp("2023-09-07")).sum() == 6  # 2023/9/7


# --- quarantine ----------------------------------------------------------------------------


def test_quarantine_holds_every_set_aside_row_and_counts_add_up(tmp_path: Path, home: Path) -> None:
    rows = clean_rows()
    written = {name: len(r) for name, r in rows.items()}
    set_cell("grades", 1, "score", "ninety")(rows)  # grades row 3
    set_cell("grades", 2, "score", "-5")(rows)  # grades row 4
    repeat_row("attendance", 3)(rows)  # attendance row 27
    set_cell("attendance", 0, "student_id", "S999")(rows)  # attendance row 2
    set_cell("dropouts", 1, "reason", "bored")(rows)  # dropouts row 3
    set_cell("students", 4, "household_id", "H9")(rows)  # students row 6: S005, cascades
    written["attendance"] += 1
    folder = write_county(tmp_path / "county", rows)

    report = validate_folder(folder, quarantine_dir=home / "quarantine")
    assert report.usable and report.quarantine_path is not None
    assert report.quarantine_path.parent == home / "quarantine"
    quarantine = pd.read_csv(report.quarantine_path, dtype=str, encoding="utf-8-sig")
    assert list(quarantine.columns) == [
        "table",
        "file",
        "row",
        "column",
        "value",
        "rule",
        "decision",
        "reason",
        "values",
    ]
    assert set(quarantine["decision"]) == {"set aside"}
    found = {
        (t, int(r), rule) for t, r, rule in quarantine[["table", "row", "rule"]].itertuples(False)
    }
    s005_rows = [2 + i for i, r in enumerate(rows["attendance"]) if r[0] == "S005"]
    expected = {
        ("grades", 3, "unparseable"),
        ("grades", 4, "out_of_range"),
        ("attendance", 27, "duplicate_key"),
        ("attendance", 2, "unknown_reference"),
        ("dropouts", 3, "bad_code"),
        ("students", 6, "unknown_reference"),
        ("enrollments", 6, "unknown_reference"),  # S005's enrollment, once S005 is set aside
        ("grades", 6, "unknown_reference"),  # S005's grade
        *{("attendance", r, "unknown_reference") for r in s005_rows},
    }
    assert found == expected
    assert len(quarantine) == report.set_aside == len(expected)
    # Counts add up: rows in = rows kept + rows set aside, table by table.
    for name, n in written.items():
        aside = int((quarantine["table"] == name).sum())
        assert report.rows_in[name] == n
        assert report.rows_kept[name] + aside == n, name
        assert len(getattr(report.tables, name)) == n - aside
    # Each line carries the raw row and a reason naming the column.
    score = quarantine[(quarantine["table"] == "grades") & (quarantine["row"] == "3")].iloc[0]
    assert json.loads(score["values"])["score"] == "ninety"
    assert score["column"] == "score" and score["reason"].startswith("score: not a number")
    assert score["value"] == "ninety"
    assert str(folder / "grades.csv") == score["file"]
    # The typed tables hold none of the set-aside rows.
    assert "S999" not in set(report.tables.attendance["student_id"])
    assert "S005" not in set(report.tables.students["student_id"])


def test_problem_counts_and_examples_for_many_bad_rows(tmp_path: Path) -> None:
    rows = clean_rows()
    for i in range(len(rows["attendance"])):
        rows["attendance"][i][2] = "PRESENT " if i % 2 else "absent"
    report = validate_folder(write_county(tmp_path / "county", rows))
    problem = find(report, "attendance", "bad_code")
    assert problem.count == (len(rows["attendance"]) + 1) // 2
    assert len(problem.examples) == 5
    assert problem.examples[0] == (2, "status='absent'")
    # Codes are matched ignoring case and surrounding blanks.
    assert set(report.tables.attendance["status"]) == {"present"}


@pytest.mark.skipif(
    importlib.util.find_spec("features.synthetic") is None, reason="no synthetic county yet"
)
def test_generated_parquet_county_is_clean(tmp_path: Path, home: Path) -> None:
    from features.synthetic import generate_county

    folder = tmp_path / "county"
    # Without the household register, whose ids carry deliberate noise (test_synthetic).
    generate_county(folder, students=150, years=1, seed=3, fmt="parquet", residents=False)
    report = validate_folder(folder, quarantine_dir=home / "quarantine")
    assert report.clean, [(p.table, p.rule, p.column, p.examples) for p in report.problems]
    assert report.export_date == report.tables.export_date().date
    assert report.export_date >= report.tables.attendance["date"].max()
    assert run_cli(folder)[0] == 0
