"""`ingest --engine dask` on a split export: the local ingest's tables, report and quarantine,
checked piece by piece on the workers; the client never opens an attendance piece."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from features.engines.dask import dask_client
from features.ingest.run import Ingested, ingest_folder, read_tables
from features.synthetic.province import generate_province

GROUP = 100  # students per partition: several per county


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """The engines' own local cluster: two worker processes, one thread each."""
    with dask_client(None) as client:
        yield client


def _edit(path: Path, edit: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(edit(pq.read_table(path)), path)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three counties; bad rows in some pieces, and a student id repeated across pieces."""
    out = tmp_path_factory.mktemp("province") / "raw"
    generate_province(out, counties=3, students=200, years=1, seed=3)
    first_student = pq.read_table(out / "students" / "county001.parquet").slice(0, 1)
    # County 2 repeats county 1's first student: a duplicate only the join across pieces sees.
    _edit(out / "students" / "county002.parquet", lambda t: pa.concat_tables([t, first_student]))
    # County 3: a student born too early is set aside, and their attendance with them.
    born = pa.array([pd.Timestamp("1985-01-01").date()], pa.date32())
    _edit(
        out / "students" / "county003.parquet",
        lambda t: t.set_column(3, "birth_date", pc.if_else(
            pa.array([i == 5 for i in range(t.num_rows)]), born[0], t.column("birth_date"))),
    )  # fmt: skip

    def bad_attendance(t: pa.Table) -> pa.Table:
        status = t.column("status").cast(pa.string()).to_pylist()
        ids = t.column("student_id").cast(pa.string()).to_pylist()
        status[:3] = ["xx"] * 3
        ids[10] = "NOPE"
        t = t.set_column(0, "student_id", pa.array(ids))
        return t.set_column(2, "status", pa.array(status))

    _edit(out / "attendance" / "county001.parquet", bad_attendance)
    return out


@pytest.fixture(scope="module")
def both(
    province: Path, client: object, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Ingested, Ingested]:
    home = tmp_path_factory.mktemp("homes")
    local = ingest_folder(province, home / "local", home / "q-local", group_students=GROUP)
    on_cluster = ingest_folder(
        province, home / "dask", home / "q-dask", group_students=GROUP, client=client
    )
    return local, on_cluster


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def _counts(ingested: Ingested) -> list[tuple[object, ...]]:
    return sorted(
        (p.table, p.rule, p.column or "", p.count, p.decision, str(p.file))
        for p in ingested.report.problems
    )


@pytest.mark.slow
def test_same_tables_report_and_quarantine(both: tuple[Ingested, Ingested]) -> None:
    local, on_cluster = both
    assert local.folder is not None and on_cluster.folder is not None
    assert on_cluster.manifest["raw_hash"] == local.manifest["raw_hash"]
    assert on_cluster.manifest["partitions"] == local.manifest["partitions"] > 3
    a = read_tables(local.folder, local.manifest)
    b = read_tables(on_cluster.folder, on_cluster.manifest)
    for (name, x), (_, y) in zip(a.items(), b.items(), strict=True):
        pd.testing.assert_frame_equal(_sorted(x), _sorted(y), obj=name)
    for name in ("rows_in", "rows_kept", "rows_blanked"):
        assert getattr(on_cluster.report, name) == getattr(local.report, name)
    assert on_cluster.report.set_aside == local.report.set_aside > 0
    assert _counts(on_cluster) == _counts(local)
    rules = {(p.table, p.rule) for p in local.report.problems}
    assert {("attendance", "bad_code"), ("attendance", "unknown_reference")} <= rules
    # The quarantine: the same lines, each naming its piece and its row in it.
    assert local.report.quarantine_path and on_cluster.report.quarantine_path
    qa = pd.read_csv(local.report.quarantine_path, dtype=str)
    qb = pd.read_csv(on_cluster.report.quarantine_path, dtype=str)
    pd.testing.assert_frame_equal(_sorted(qa), _sorted(qb))
    assert qa["file"].str.endswith("attendance/county001.parquet").sum() == 4


@pytest.mark.slow
def test_a_student_repeated_across_pieces_is_caught(both: tuple[Ingested, Ingested]) -> None:
    _, on_cluster = both
    duplicate = [
        p for p in on_cluster.report.problems
        if p.table == "students" and p.rule == "duplicate_key"
    ]  # fmt: skip
    assert [p.count for p in duplicate] == [1]
    (row, text) = duplicate[0].examples[0]
    assert text.startswith("county002.parquet: student_id='C001-S0000001'")
    rows = pq.read_metadata(on_cluster.data_dir / "students" / "county002.parquet").num_rows
    assert row == rows + 1  # the last row of its piece (the header is row 1)
    assert on_cluster.report.rows_kept["students"] == on_cluster.report.rows_in["students"] - 2


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to watch file opens")
def test_the_client_never_opens_an_attendance_piece(
    province: Path, client: object, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.txt"
    scheduler = client.scheduler.address  # type: ignore[attr-defined]
    command = [
        "strace", "-f", "-e", "trace=open,openat,openat2", "-o", str(trace),
        sys.executable, "-m", "dropout_risk.cli", "ingest", str(province),
        "--engine", "dask", "--scheduler", scheduler, "--group-students", str(GROUP),
    ]  # fmt: skip
    env = {**os.environ, "DROPOUT_RISK_HOME": str(tmp_path / "home")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Ingested" in done.stdout
    opened = [line for line in trace.read_text().splitlines() if ".parquet" in line]
    raw = [line for line in opened if str(province) in line]
    assert not [line for line in raw if "/attendance/" in line or "/grades/" in line]
    assert any("export.json" in line for line in trace.read_text().splitlines())


@pytest.mark.slow
def test_without_export_file_the_same_export_date(
    province: Path, client: object, tmp_path: Path
) -> None:
    """No export.json: the latest date of any piece, found by the workers' scans."""
    raw = tmp_path / "raw"
    shutil.copytree(province, raw)
    (raw / "export.json").unlink()
    local = ingest_folder(raw, tmp_path / "local", group_students=GROUP)
    on_cluster = ingest_folder(raw, tmp_path / "dask", group_students=GROUP, client=client)
    assert on_cluster.report.export == local.report.export
    assert local.report.export is not None and local.report.export.source != "export.json"
    assert on_cluster.manifest["export_date"] == local.manifest["export_date"]
    assert _counts(on_cluster) == _counts(local)


def test_an_unreachable_scheduler_is_one_clean_line(province: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DROPOUT_RISK_HOME": str(tmp_path / "home"),
           "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}  # fmt: skip
    command = [sys.executable, "-m", "dropout_risk.cli", "ingest", str(province),
               "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "the Dask cluster failed" in done.stderr
    assert not (tmp_path / "home" / "ingested").exists() or not list(
        (tmp_path / "home" / "ingested").glob("*/manifest.json")
    )
