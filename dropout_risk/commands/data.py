"""Commands that read or write a data folder: generate, validate, features."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dropout_risk.console import console, err_console, fail
from dropout_risk.settings import get_settings


def load_validated(data_dir: Path):  # -> features.contract.Tables
    """Validate a data folder, print the summary, and return its tables or stop with exit 1.

    Every command that reads a data folder starts here.
    """
    from features.errors import DataError
    from features.validate import print_report, validate_folder

    settings = get_settings()
    try:
        report = validate_folder(data_dir, quarantine_dir=settings.quarantine_dir)
    except DataError as exc:
        fail(str(exc))
    print_report(report, err_console)
    if not report.usable:
        fail(f"{data_dir} cannot be used; fix the problems above and run again.")
    return report.tables


def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the county's tables into.")],
    students: Annotated[int, typer.Option(min=10, help="Number of students in the county.")] = 5000,
    years: Annotated[int, typer.Option(min=1, max=12, help="School years of records.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    fmt: Annotated[
        Literal["csv", "parquet"], typer.Option("--format", help="File format of the tables.")
    ] = "csv",
) -> None:
    """Write a realistic synthetic county in the input data contract."""
    from features.synthetic import generate_county

    summary = generate_county(out_dir, students=students, years=years, seed=seed, fmt=fmt)
    console.print(summary.describe())


def validate(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the seven tables.")],
) -> None:
    """Check a data folder against the contract; exit 1 if it cannot be used."""
    tables = load_validated(data_dir)
    rows = sum(len(frame) for _, frame in tables.items())
    console.print(f"[green]{data_dir}[/] is usable: {rows:,} rows in 7 tables.")


def register(app: typer.Typer) -> None:
    app.command()(generate)
    app.command()(validate)
