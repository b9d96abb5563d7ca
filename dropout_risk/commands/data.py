"""Commands that read or write a data folder: generate, validate, features."""

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


def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the county's tables into.")],
    students: Annotated[
        int,
        typer.Option(
            min=10, help="Number of students in the county (with --counties: in each county)."
        ),
    ] = 5000,
    years: Annotated[int, typer.Option(min=1, max=12, help="School years of records.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    fmt: Annotated[
        Literal["csv", "parquet"], typer.Option("--format", help="File format of the tables.")
    ] = "csv",
    start_year: Annotated[
        int, typer.Option(min=1990, max=2090, help="First school year (September YEAR).")
    ] = 2022,
    calendar: Annotated[
        Literal["standard", "varied"],
        typer.Option(
            help="standard: one winter break for all schools; varied: schools keep "
            "three different winter breaks, and returns are recorded on the day, "
            "holidays included."
        ),
    ] = "standard",
    export_date: Annotated[
        str | None,
        typer.Option(
            help="Export the county on this day (YYYY-MM-DD): nothing dated after it, and "
            "an export.json. A day in the winter break gives a spring term that starts after it."
        ),
    ] = None,
    residents: Annotated[
        bool,
        typer.Option(
            "--residents/--no-residents",
            help="Also write the household register (residents, students.person_id) and "
            "what is true about it under truth/ (never read by the pipeline).",
        ),
    ] = True,
    visit_effect: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Simulate home visits at each term start that cut the chance of leaving by "
            "this share (0..1): visits.csv in the county, the true effect in --truth-dir.",
        ),
    ] = None,
    truth_dir: Annotated[
        Path | None,
        typer.Option(help="Where the visits' true effect goes (default OUT_DIR/truth)."),
    ] = None,
    counties: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Write a province of this many counties, --students each, one county at a "
            "time (memory of one county), as a split export: OUT_DIR/<table>/countyNNN.parquet "
            "and export.json, always Parquet (--format is ignored). Ids are prefixed by county "
            "(C001-...); no register or visits.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a realistic synthetic county (or a province of counties) in the input data contract."""
    from features.errors import UserError
    from features.synthetic import generate_county

    if counties is not None:
        _generate_province(out_dir, counties, students, years, seed, start_year, calendar,
                           export_date, visit_effect)  # fmt: skip
        return

    with progress() as bar:
        task = bar.add_task("Generating", total=100)

        def step(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=round(100 * fraction))

        try:
            summary = generate_county(
                out_dir,
                students=students,
                years=years,
                seed=seed,
                fmt=fmt,
                start_year=start_year,
                progress=step,
                calendar=calendar,
                export_date=export_date,
                residents=residents,
                visit_effect=visit_effect,
                truth_dir=truth_dir,
            )
        except UserError as exc:
            fail(str(exc))
    console.print(summary.describe())


def _generate_province(
    out_dir: Path,
    counties: int,
    students: int,
    years: int,
    seed: int,
    start_year: int,
    calendar: str,
    export_date: str | None,
    visit_effect: float | None,
) -> None:
    from features.errors import UserError
    from features.synthetic.province import generate_province

    if visit_effect is not None:
        fail("--counties writes no home visits; drop --visit-effect (or --counties).")
    with progress() as bar:
        task = bar.add_task("Generating", total=100)

        def step(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=round(100 * fraction))

        try:
            summary = generate_province(
                out_dir, counties, students, years, seed, start_year, calendar, export_date, step
            )
        except UserError as exc:
            fail(str(exc))
    console.print(summary.describe(), highlight=False)


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
    app.command()(generate)
    app.command()(validate)
    app.command()(features)
