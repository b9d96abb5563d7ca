"""Commands that read a data folder: validate, features."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dropout_risk.console import console, err_console, fail, progress
from dropout_risk.settings import get_settings


def run_validation(data_dir: Path):  # -> features.validate.ValidationReport
    """Validate a data folder with a spinner on stderr; stop with exit 1 if it is not a folder."""
    from features.errors import DataError
    from features.validate import validate_folder

    settings = get_settings()
    try:
        with err_console.status(f"Validating {data_dir}") as status:
            return validate_folder(
                data_dir,
                quarantine_dir=settings.quarantine_dir,
                progress=lambda step: status.update(f"Validating {data_dir}: {step}"),
            )
    except DataError as exc:
        fail(str(exc))


def load_validated(data_dir: Path, as_of: str | None = None):  # -> features.contract.Tables
    """Validate a data folder, print the summary, and return its tables or stop with exit 1.

    Every command that reads a data folder starts here; the tables come from the folder's
    ingested dataset (`dropout-risk ingest`), ingested first when the raw files changed;
    with `as_of`, only what a snapshot at that date reads.
    """
    from dropout_risk.commands.ingest import open_data

    return open_data(data_dir, as_of)


def validate(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the seven tables.")],
    fmt: Annotated[
        Literal["text", "json"],
        typer.Option("--format", help="text for people (on stderr), json for machines (stdout)."),
    ] = "text",
) -> None:
    """Check a data folder against the contract; exit 1 if it cannot be used."""
    if fmt == "json":
        import json

        from features.report import report_dict

        report = run_validation(data_dir)
        typer.echo(json.dumps(report_dict(report), ensure_ascii=False, indent=2))
        raise typer.Exit(0 if report.usable else 1)
    tables = load_validated(data_dir)
    rows = sum(len(frame) for _, frame in tables.items())
    console.print(f"[green]{data_dir}[/] is usable: {rows:,} rows in {len(tables.items())} tables.")


def features(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the seven tables.")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Snapshot date YYYY-MM-DD: one row per student.")
    ] = None,
    snapshots: Annotated[
        str | None,
        typer.Option(
            help="Write a training set instead: comma-separated dates, 'term_start' or 'monthly'."
        ),
    ] = None,
    horizon: Annotated[
        int, typer.Option(min=1, help="Label: left school within this many days of a snapshot.")
    ] = 180,
    engine: Annotated[
        Literal["local", "dask"], typer.Option(help="local (this machine) or dask (a cluster).")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address; a local cluster of 2 workers when omitted."),
    ] = None,
) -> None:
    """Build per-student indicators as of a date (or a labelled training set) into Parquet."""
    import warnings

    from features.build import as_timestamp, build_features
    from features.errors import UserError
    from features.training_set import build_training_set

    if (as_of is None) == (snapshots is None):
        fail("Give either --as-of DATE (one snapshot) or --snapshots DATES (a training set).")
    if out.suffix != ".parquet":
        fail(f"--out must name a .parquet file, not {out}.")
    rule = (snapshots or "").strip()
    dates = [] if rule in ("term_start", "monthly") else [as_of] if as_of else rule.split(",")
    try:  # a mistyped date is reported before the folder is read
        for date in dates:
            as_timestamp(date)
    except UserError as exc:
        fail(str(exc))
    if engine == "dask":  # the workers read the dataset and write the pieces, not this process
        _features_on_cluster(data_dir, as_of, rule, dates, horizon, out, scheduler)
        return
    tables = load_validated(data_dir, as_of if snapshots is None else None)
    try:
        with progress() as bar:
            task = bar.add_task("Building indicators", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if snapshots is None:
                frame = build_features(tables, as_of, progress=advance)
                what = f"{len(frame):,} students as of {as_of}"
            else:
                chosen = rule if rule in ("term_start", "monthly") else dates
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # dropped snapshots are reported below
                    result = build_training_set(tables, chosen, horizon, progress=advance)
                frame = result.frame
                _say_dropped(result.dropped)
                kept = ", ".join(f"{d:%Y-%m-%d}" for d in result.snapshots)
                what = (
                    f"{len(frame):,} rows from {len(result.snapshots)} snapshots ({kept}), "
                    f"{int(frame['label'].sum()):,} left within {horizon} days"
                )
    except UserError as exc:
        fail(str(exc))
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out, index=False)
    console.print(f"Wrote [green]{out}[/]: {what}.")


def _say_dropped(dropped: list) -> None:
    for when, reason in dropped:
        err_console.print(f"[yellow]snapshot {when:%Y-%m-%d} dropped:[/] {reason}")


def _features_on_cluster(
    data_dir: Path,
    as_of: str | None,
    rule: str,
    dates: list[str],
    horizon: int,
    out: Path,
    scheduler: str | None,
) -> None:
    """`features --engine dask`: the workers write their pieces beside `out`, and this
    process merges them into `out` batch by batch, holding only the roster."""
    import warnings

    from dropout_risk.commands.ingest import open_dataset
    from features.build import as_timestamp
    from features.engines.dask_dataset import client_tables, write_dask_dataset
    from features.errors import UserError
    from features.training_set import covered_snapshots

    dataset = open_dataset(data_dir)
    try:
        if as_of is not None:
            when, horizon_days = [as_timestamp(as_of)], None
        else:
            chosen = rule if rule in ("term_start", "monthly") else dates
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dropped snapshots are reported below
                tables = client_tables(dataset.folder, dataset.manifest)
                when, dropped = covered_snapshots(tables, chosen, horizon)
            _say_dropped(dropped)
            horizon_days = horizon
        out.parent.mkdir(parents=True, exist_ok=True)
        with progress() as bar:
            task = bar.add_task("Building indicators", total=None)
            rows = write_dask_dataset(
                dataset.folder,
                dataset.manifest,
                when,
                out,
                horizon_days=horizon_days,
                scheduler=scheduler,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except UserError as exc:
        fail(str(exc))
    if as_of is not None:
        what = f"{rows:,} students as of {as_of}"
    else:
        import pyarrow.parquet as pq

        left = pq.read_table(out, columns=["label"]).column("label").to_numpy().sum()
        kept = ", ".join(f"{d:%Y-%m-%d}" for d in when)
        what = (
            f"{rows:,} rows from {len(when)} snapshots ({kept}), "
            f"{int(left):,} left within {horizon} days"
        )
    console.print(f"Wrote [green]{out}[/]: {what}.")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(features)
