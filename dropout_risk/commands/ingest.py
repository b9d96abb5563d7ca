"""`dropout-risk ingest`, and the one function through which every command opens a data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dropout_risk.console import console, err_console, fail
from dropout_risk.settings import get_settings


def run_ingest(
    data_dir: Path,
    group_students: int | None = None,
    force: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Ingest `data_dir` unless its dataset is up to date, saying which on stderr.

    Returns `features.ingest.run.Ingested`; stops with exit 1 when the folder does not exist.
    With `engine="dask"` the workers of `scheduler` (a local cluster of two when None) read,
    check and write the raw files; this process opens none of them.
    """
    if engine == "dask":
        from distributed import KilledWorker

        from features.engines.dask import dask_client
        from features.io import clean_text

        try:
            with dask_client(scheduler) as client:
                return _run_ingest(data_dir, group_students, force, client)
        except (OSError, TimeoutError, KilledWorker) as exc:  # no scheduler, or a worker lost
            fail(f"the Dask cluster failed ({type(exc).__name__}): {clean_text(exc)}")
    return _run_ingest(data_dir, group_students, force, None)


def _run_ingest(data_dir: Path, group_students: int | None, force: bool, client: object):
    from features.errors import DataError
    from features.ingest.run import ingest_folder

    settings = get_settings()
    try:
        with err_console.status(f"Opening {data_dir}") as status:
            ingested = ingest_folder(
                data_dir,
                settings.home,
                settings.quarantine_dir,
                group_students=group_students,
                force=force,
                say=lambda step: status.update(f"Ingesting {data_dir}: {step}"),
                client=client,
            )
    except DataError as exc:
        fail(str(exc))
    say = {
        "up to date": f"Using the ingested dataset of {data_dir} (raw files unchanged): "
        f"{ingested.folder}",
        "new": f"{data_dir} was not ingested yet: validating and ingesting it now.",
        "changed": f"{data_dir} changed since it was ingested: validated and ingested it again.",
        "layout": f"{data_dir} ingested again with {group_students or 0:,} students per partition.",
        "forced": f"{data_dir} validated and ingested again (--force).",
    }
    err_console.print(say[ingested.reason], highlight=False)
    return ingested


def open_dataset(data_dir: Path):  # -> features.ingest.run.Ingested
    """The ingested dataset of a data folder (ingested first when the raw files changed),
    without loading its tables; prints the report; exit 1 when the folder cannot be used."""
    from features.report import print_report

    ingested = run_ingest(data_dir)
    # The whole table when the folder was validated just now; one line when it was before.
    print_report(ingested.report, err_console, brief=ingested.reason == "up to date")
    if not ingested.report.usable:
        fail(f"{data_dir} cannot be used; fix the problems above and run again.")
    return ingested


def open_data(data_dir: Path, as_of: str | None = None):  # -> features.contract.Tables
    """The validated tables of a data folder, from its ingested dataset (ingested first when the
    raw files changed); prints the validation report; exit 1 when the folder cannot be used.

    Every command that reads a data folder starts here. With `as_of` (a valid date) only the
    attendance a snapshot at that date reads is loaded.
    """
    from features.build import as_timestamp
    from features.ingest.run import DamagedDataset, load_ingested

    when = None if as_of is None else as_timestamp(as_of)
    ingested = open_dataset(data_dir)
    try:
        return load_ingested(ingested, when)
    except DamagedDataset as exc:
        err_console.print(f"[yellow]warning:[/] {exc}; ingesting again.", highlight=False)
    return load_ingested(run_ingest(data_dir, force=True), when)


def ingest(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the tables to ingest.")],
    group_students: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Students per partition: a county's schools are cut into "
            "groups of about this many, whole schools each [default: the dataset's, "
            "else 25,000].",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Ingest again even if the files are unchanged.")
    ] = False,
    engine: Annotated[
        Literal["local", "dask"],
        typer.Option(
            help="local: this process validates and writes; dask: the workers do, one task "
            "per file or piece (cross-piece checks joined on the cluster)."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address; a local cluster of 2 workers when omitted."),
    ] = None,
) -> None:
    """Validate a data folder once into a partitioned Parquet dataset that later commands read."""
    from features.report import print_report

    if scheduler and engine != "dask":
        fail("--scheduler goes with --engine dask.")
    ingested = run_ingest(data_dir, group_students, force, engine, scheduler)
    print_report(ingested.report, err_console)
    if not ingested.report.usable:
        fail(f"{data_dir} cannot be used; fix the problems above and run again.")
    manifest = ingested.manifest
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    what = "Ingested" if ingested.ingested_now else "Up to date, nothing done:"
    console.print(
        f"{what} [green]{ingested.folder}[/]: {rows:,} rows in {len(manifest['tables'])} tables, "
        f"{manifest['partitions']} partitions of whole schools; export date "
        f"{manifest['export_date']}; raw hash {manifest['raw_hash'][:12]}.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command()(ingest)
