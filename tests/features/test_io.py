"""Reading one table file and typing its columns: encodings, spellings, Parquet types."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.contract import CONTRACT, Column
from features.io import FileProblem, find_table_files, read_table_file
from features.parse import parse_column, parse_table


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_utf8_bom_and_gb18030_are_read_as_text(tmp_path: Path) -> None:
    text = "school_id,name\n001,城关镇中心小学\n002,红旗初级中学\n"
    bom = read_table_file(write(tmp_path / "a.csv", "\ufeff" + text), "schools")
    gb = read_table_file(write(tmp_path / "b.csv", text, "gb18030"), "schools")
    assert bom.encoding == "utf8" and gb.encoding == "gb18030"
    for raw in (bom, gb):
        assert raw.data.column_names == ["school_id", "name"]
        assert raw.data.column("school_id").to_pylist() == ["001", "002"]
        assert raw.data.column("name").to_pylist() == ["城关镇中心小学", "红旗初级中学"]


def test_every_csv_column_is_read_as_text(tmp_path: Path) -> None:
    raw = read_table_file(write(tmp_path / "t.csv", "a,b,c\n007,1.50,2023-09-01\n,,\n"), "x")
    assert all(t == pa.dictionary(pa.int32(), pa.string()) for t in raw.data.schema.types)
    assert raw.data.to_pylist() == [
        {"a": "007", "b": "1.50", "c": "2023-09-01"},
        {"a": "", "b": "", "c": ""},
    ]


@pytest.mark.parametrize(
    ("content", "rule"),
    [(b"", "empty_file"), (b"\n\n", "empty_file"), (b"a,b\n\xff\xfe\xff,1\n", "unreadable_file")],
)
def test_unreadable_files_raise_file_problems(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(FileProblem) as caught:
        read_table_file(path, "t")
    assert caught.value.rule == rule and caught.value.path == path


def test_malformed_lines_are_skipped_with_their_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "a,b\n1,x\n2,y,extra\n3,z\n4\n5,w\n")
    raw = read_table_file(path, "t")
    assert raw.data.column("a").to_pylist() == ["1", "3", "5"]
    assert [(m.row, m.actual) for m in raw.malformed] == [(3, 3), (5, 1)]
    assert raw.row_numbers.tolist() == [2, 4, 6]


def test_quoted_newlines_stay_inside_a_value(tmp_path: Path) -> None:
    raw = read_table_file(write(tmp_path / "t.csv", 'a,b\n1,"two\nlines"\n2,x\n'), "t")
    assert raw.data.column("b").to_pylist() == ["two\nlines", "x"]


def test_find_table_files_sees_both_formats(tmp_path: Path) -> None:
    write(tmp_path / "schools.csv", "a\n1\n")
    assert find_table_files(tmp_path, "schools") == [tmp_path / "schools.csv"]
    pq.write_table(pa.table({"a": [1]}), tmp_path / "schools.parquet")
    assert len(find_table_files(tmp_path, "schools")) == 2


def parse(values: list[object], column: Column, type_: pa.DataType | None = None):
    result, bad = parse_column(pa.chunked_array([pa.array(values, type=type_)]), column)
    return pd.Series(result), bad.tolist()


def test_booleans_accept_the_county_spellings() -> None:
    column = Column("rural", "bool")
    values, bad = parse(
        ["true", " FALSE ", "1", "0", "yes", "No", "是", "否", "Y", "maybe", "", None], column
    )
    assert values.tolist()[:9] == [True, False, True, False, True, False, True, False, True]
    assert values.isna().tolist()[9:] == [True, True, True]
    assert bad == [False] * 9 + [True, False, False]


def test_dates_accept_iso_slashes_and_excel_midnight() -> None:
    column = Column("date", "date")
    values, bad = parse(
        ["2023-09-01", "2023/9/1", "2023.9.1", "2023年9月1日", "2023-09-01 00:00:00", "2023-02-30",
         "next week", ""],
        column,
    )  # fmt: skip
    assert values.dtype == "datetime64[ns]"
    assert (values[:5] == pd.Timestamp("2023-09-01")).all()
    assert values[5:].isna().all()
    assert bad == [False] * 5 + [True, True, False]


def test_numbers_and_whole_numbers() -> None:
    grade, bad = parse(["3", " 4 ", "5.0", "5.5", "x", "inf", ""], Column("grade", "int"))
    assert grade[:3].tolist() == [3, 4, 5]
    assert bad == [False, False, False, True, True, True, False]
    score, bad = parse(["88", "91.5", "1e2", "-"], Column("score", "float"))
    assert score[:3].tolist() == [88.0, 91.5, 100.0] and bad == [False, False, False, True]


def test_ids_are_taken_as_written() -> None:
    ids, bad = parse(["007", "7", " 007", "", None], Column("student_id", "id"))
    assert ids.tolist()[:3] == ["007", "7", " 007"]
    assert ids[3:].isna().all() and not any(bad)


def test_codes_match_ignoring_case_and_blanks_and_keep_unknowns() -> None:
    status = CONTRACT["attendance"].column("status")
    codes, _bad = parse(["present", " Late ", "ABSENT_SICK", "gone", ""], status)
    assert codes.tolist()[:4] == ["present", "late", "absent_sick", "gone"]
    assert pd.isna(codes[4])


def test_parquet_native_types() -> None:
    ints, _ = parse([7, 8, None], Column("student_id", "id"), pa.int64())
    assert ints.tolist()[:2] == ["7", "8"] and pd.isna(ints[2])
    flags, bad = parse([True, False, None], Column("rural", "bool"), pa.bool_())
    assert flags.tolist()[:2] == [True, False] and pd.isna(flags[2]) and not any(bad)
    days, bad = parse(
        [datetime.date(2023, 9, 1), datetime.date(3000, 1, 1), None],
        Column("date", "date"),
        pa.date32(),
    )
    assert days[0] == pd.Timestamp("2023-09-01") and days[1:].isna().all()
    assert bad == [False, True, False]  # year 3000 does not fit; a missing date is just missing
    stamps, _ = parse(
        [datetime.datetime(2023, 9, 1, 13, 5)],
        Column("date", "date"),
        pa.timestamp("us", tz="Asia/Shanghai"),
    )
    assert stamps[0] == pd.Timestamp("2023-09-01")  # 21:05 on the wall clock in Shanghai
    grade, bad = parse([3, 4.5, None], Column("grade", "int"), pa.float64())
    assert grade[0] == 3 and bad == [False, True, False]


def test_parse_table_fills_an_absent_optional_column() -> None:
    students = CONTRACT["students"]
    data = pa.table({c: ["x"] for c in students.required_columns})
    parsed = parse_table(data, students)
    assert list(parsed.frame.columns) == students.column_names
    assert parsed.frame["name"].isna().all()
    assert parsed.unparseable["birth_date"].tolist() == [True]
    assert parsed.unparseable["ethnic_minority"].tolist() == [True]
    assert isinstance(parsed.frame["student_id"].dtype, pd.CategoricalDtype)
    assert np.asarray(parsed.frame["student_id"].array.codes).tolist() == [0]
