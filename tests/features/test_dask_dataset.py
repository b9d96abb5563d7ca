"""The Dask engine over an ingested dataset: workers read their partitions, the client never
opens attendance, and the indicators equal the local engine's bit for bit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from features.build import build_features
from features.contract import Tables
from features.engines.dask import dask_client
from features.engines.dask_dataset import run_dask_dataset, scatter_shared
from features.indicators.population import roster
from features.ingest.run import ingest_folder, read_tables
from features.training_set import build_training_set
from tests.features.multi_county import two_counties

GROUP = 120  # several partitions per county, cut between its schools


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of the engines' own local cluster (two worker processes, one thread each)."""
    with dask_client(None) as client:
        yield client.scheduler.address


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_counties(tmp_path_factory.mktemp("province") / "raw", seeds=(7, 8))


@pytest.fixture(scope="module")
def home(province: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where the province is ingested once for the module's tests."""
    home = tmp_path_factory.mktemp("home")
    ingest_folder(province, home, group_students=GROUP)
    return home


@pytest.mark.slow
def test_same_indicators_as_the_local_engine(province: Path, scheduler: str, home: Path):
    ingested = ingest_folder(province, home)
    assert not ingested.ingested_now
    assert ingested.folder is not None and ingested.manifest["partitions"] >= 6
    tables = read_tables(ingested.folder, ingested.manifest)
    # Children moving up to a junior school in another partition: their earlier records are
    # read from there, so some task reads more than its own partition.
    from distributed import Client, Future

    from features.engines.dataset_plan import plan_tasks

    when = pd.Timestamp("2024-03-04")
    with Client(scheduler) as client:
        common = scatter_shared(client, ingested.folder, ingested.manifest)
        planned = plan_tasks(client, ingested.folder, ingested.manifest, common, when)
        # The client plans with files and futures: each partition's roster stays on a worker,
        # and together they are the local roster, row for row.
        assert all(isinstance(r, Future) for _, r in planned)
        assert not [v for t, _ in planned for v in vars(t).values() if isinstance(v, pd.DataFrame)]
        pieces = client.gather([r for _, r in planned])
    assert len(pieces) > 2  # two counties, one cut between its schools at least
    whole = pd.concat(pieces, ignore_index=True).sort_values(["school_id", "student_id"])
    pd.testing.assert_frame_equal(
        whole.reset_index(drop=True), roster(tables, when), check_categorical=False
    )
    assert any(len({Path(f).parent for f in t.folders["grades"]}) > 1 for t, _ in planned)
    for as_of in ("2022-10-10", "2024-03-04"):
        local = build_features(tables, as_of, chunk_students=150)
        on_cluster = run_dask_dataset(
            ingested.folder, ingested.manifest, pd.Timestamp(as_of), scheduler=scheduler
        )
        pd.testing.assert_frame_equal(local, on_cluster)


SNAPSHOTS = ["2022-10-10", "2023-03-01"]


def _expected(tables: Tables, what: str) -> pd.DataFrame:
    if what == "as_of":
        return build_features(tables, "2024-03-04")
    return build_training_set(tables, SNAPSHOTS, 120).frame


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to watch file opens")
@pytest.mark.parametrize(
    ("what", "args"),
    [
        ("as_of", ["--as-of", "2024-03-04"]),
        ("training_set", ["--snapshots", ",".join(SNAPSHOTS), "--horizon", "120"]),
    ],
)
def test_the_client_never_opens_attendance(
    province: Path, scheduler: str, home: Path, tmp_path: Path, what: str, args: list[str]
) -> None:
    """`features --engine dask` under strace: every file its process (all threads) opens;
    the file it writes, merged from the workers' pieces, is the local engine's."""
    ingested = ingest_folder(province, home)
    assert ingested.folder is not None
    out, trace = tmp_path / "features.parquet", tmp_path / "trace.txt"
    command = [
        "strace", "-f", "-e", "trace=open,openat,openat2", "-o", str(trace),
        sys.executable, "-m", "dropout_risk.cli", "features", str(province), *args,
        "--out", str(out), "--engine", "dask", "--scheduler", scheduler,
    ]  # fmt: skip
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Using the ingested dataset" in done.stderr
    opened = [line for line in trace.read_text().splitlines() if ".parquet" in line]
    attendance = str(ingested.folder / "tables" / "attendance")
    assert any("/tables/enrollments/" in line for line in opened)  # the trace does see Arrow
    assert not [line for line in opened if attendance in line]
    assert not [line for line in opened if "/tables/grades/" in line]
    assert not [line for line in opened if "/tables/households/" in line]
    assert "attendance.csv" not in trace.read_text()  # unchanged raw files are not even hashed
    expected = _expected(read_tables(ingested.folder, ingested.manifest), what)
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected)
    assert not list(tmp_path.glob(".features.parquet*"))  # the pieces are removed
    if what == "training_set":
        assert f"{int(expected['label'].sum()):,} left within 120 days" in done.stdout


@pytest.mark.slow
def test_training_set_from_the_workers(province: Path, scheduler: str, home: Path) -> None:
    """Snapshots built and labelled by the workers and kept there: the local set's rows."""
    from distributed import Client

    from features.engines.dataset_plan import client_tables
    from features.training_set import stack_on_cluster

    ingested = ingest_folder(province, home)
    assert ingested.folder is not None
    dates = SNAPSHOTS
    local = build_training_set(read_tables(ingested.folder, ingested.manifest), dates, 120)
    held = client_tables(ingested.folder, ingested.manifest)
    assert held.attendance.empty and held.grades.empty and held.students.empty
    with Client(scheduler) as client:
        on_cluster = stack_on_cluster(client, ingested.folder, ingested.manifest, dates, 120)
        assert on_cluster.frame().npartitions >= 2 * 4  # a piece per snapshot and partition
        frame = on_cluster.frame().compute()
    assert on_cluster.snapshots == local.snapshots
    frame = frame.sort_values(["as_of", "student_id"], ignore_index=True)
    pd.testing.assert_frame_equal(frame, local.frame)
    assert frame["label"].sum() > 0


@pytest.mark.slow
def test_a_damaged_dataset_is_one_line(province: Path, scheduler: str, tmp_path: Path) -> None:
    """A partition file gone under the home: the workers' error becomes one line, exit 1."""
    home = tmp_path / "home"
    ingested = ingest_folder(province, home, group_students=GROUP)
    assert ingested.folder is not None
    next((ingested.folder / "tables" / "attendance").rglob("*.parquet")).unlink()
    command = [
        sys.executable, "-m", "dropout_risk.cli", "features", str(province), "--as-of",
        "2024-03-04", "--out", str(tmp_path / "f.parquet"), "--engine", "dask", "--scheduler",
        scheduler,
    ]  # fmt: skip
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert "the ingested dataset is damaged" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.parquet*")) and not list(tmp_path.glob(".f.parquet*"))
