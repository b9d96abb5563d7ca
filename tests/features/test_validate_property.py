"""Property: whatever frames land in a data folder, the validator answers with a report.

Hypothesis writes random tables (random column subsets of the contract plus
strangers, random strings, numbers, booleans, dates and missing values, as CSV
or Parquet, sometimes mixed with clean tables) and checks that `validate_folder`
returns a report instead of raising, that its promises hold (typed tables exactly
when usable, rows in = kept + set aside), and that the CLI never shows a traceback.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dropout_risk.cli import app
from dropout_risk.settings import get_settings
from features.contract import CONTRACT, TABLE_NAMES
from features.validate import validate_folder
from tests.features.county_files import clean_rows, write_county

IDS = ["007", "S002", "S003", "H1", "H2", "001", "002", "7", ""]
cells = st.one_of(
    st.none(),
    st.sampled_from(IDS),
    st.text(max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2300, 1, 1)),
    st.sampled_from(["present", "F", "primary", "parents", "是", "2023/9/1", "1", "true"]),
)


@st.composite
def random_table(draw: st.DrawFn, name: str) -> pd.DataFrame:
    contract = CONTRACT[name].column_names
    columns = draw(st.lists(st.sampled_from([*contract, "extra", "备注"]), max_size=9))
    n = draw(st.integers(min_value=0, max_value=6))
    data = {}
    for column in dict.fromkeys(columns):  # a header names each column once
        data[column] = draw(st.lists(cells, min_size=n, max_size=n))
    return pd.DataFrame(data, index=pd.RangeIndex(n))


@st.composite
def random_folder(draw: st.DrawFn) -> dict[str, tuple[str, pd.DataFrame | None]]:
    """Per table: 'clean', 'missing', or a random frame written as 'csv' or 'parquet'."""
    plan = {}
    for name in TABLE_NAMES:
        how = draw(st.sampled_from(["clean", "clean", "missing", "csv", "parquet"]))
        plan[name] = (how, draw(random_table(name)) if how in ("csv", "parquet") else None)
    return plan


def write_folder(folder: Path, plan: dict[str, tuple[str, pd.DataFrame | None]]) -> None:
    write_county(folder, clean_rows())
    for name, (how, frame) in plan.items():
        if how == "clean":
            continue
        (folder / f"{name}.csv").unlink()
        if frame is None:
            continue
        if how == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            # Mixed Python values: store each column as text, as a clerk's tool might.
            table = pa.table(
                {
                    c: pa.array([None if v is None else str(v) for v in frame[c]], pa.string())
                    for c in frame.columns
                }  # fmt: skip
            )
            pq.write_table(table, folder / f"{name}.parquet")


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DROPOUT_RISK_HOME", str(tmp_path_factory.mktemp("home")))
    get_settings.cache_clear()
    yield
    mp.undo()
    get_settings.cache_clear()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plan=random_folder())
def test_random_folders_get_a_report_never_an_exception(plan, cli_home) -> None:
    folder = Path(tempfile.mkdtemp(prefix="county-"))
    try:
        write_folder(folder, plan)
        report = validate_folder(folder, quarantine_dir=folder / "quarantine")
        assert (report.tables is not None) is report.usable
        # The files are well-formed, so a fatal "cannot read/check" would be a loader bug
        # that the validator's safety net hid.
        bugs = {"check_failed", "wrong_type", "unreadable_file", "unreadable_column"}
        assert not [p for p in report.problems if p.rule in bugs], report.problems
        for name, rows_in in report.rows_in.items():
            kept = report.rows_kept[name]
            assert 0 <= kept <= rows_in
        if report.set_aside:
            quarantine = pd.read_csv(report.quarantine_path, dtype=str, encoding="utf-8-sig")
            assert len(quarantine) == report.set_aside
            for name, rows_in in report.rows_in.items():
                aside = int((quarantine["table"] == name).sum())
                assert report.rows_kept[name] + aside == rows_in
        if report.tables is not None:
            for name, frame in report.tables.items():
                assert list(frame.columns) == CONTRACT[name].column_names

        result = CliRunner().invoke(app, ["validate", str(folder)])
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exception is None or isinstance(result.exception, SystemExit), output
        assert "Traceback" not in output
        assert result.exit_code == (0 if report.usable else 1), output
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["007", "S1", "S2", "S3"])),
            st.one_of(st.none(), st.dates(datetime.date(2020, 1, 1), datetime.date(2020, 1, 9))),
            st.sampled_from(["math", "语文", ""]),
        ),
        max_size=40,
    )
)
def test_fast_duplicate_key_agrees_with_pandas(rows) -> None:
    """The sort-based key check marks exactly what pandas' duplicated(keep="first") marks."""
    from features.schema import duplicated_after_first, key_codes

    frame = pd.DataFrame(rows, columns=["student_id", "date", "subject"])
    frame["student_id"] = frame["student_id"].astype("category")
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    codes, complete = key_codes(frame, ["student_id", "date", "subject"])
    assert complete.tolist() == frame[["student_id", "date"]].notna().all(axis=1).tolist()
    expected = frame[complete].duplicated(keep="first").to_numpy()
    assert duplicated_after_first(codes[complete]).tolist() == expected.tolist()
