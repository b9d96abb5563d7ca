"""`dropout-risk generate`: a synthetic county, or a province of counties, with known truths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import typer

from dropout_risk.console import console, fail, progress

T = TypeVar("T")


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
    from features.synthetic import generate_county
    from features.synthetic.province import generate_province

    if counties is not None:
        if visit_effect is not None:
            fail("--counties writes no home visits; drop --visit-effect (or --counties).")
        summary = _with_progress(
            lambda step: generate_province(
                out_dir, counties, students, years, seed, start_year, calendar, export_date, step
            )
        )
        console.print(summary.describe(), highlight=False)
        return
    summary = _with_progress(
        lambda step: generate_county(
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
    )
    console.print(summary.describe())


def _with_progress(make: Callable[[Callable[[str, float], None]], T]) -> T:
    """`make(step)` under a progress bar that `step(stage, fraction)` moves; a `UserError`
    (a bad option value) ends the command with its one line."""
    from features.errors import UserError

    with progress() as bar:
        task = bar.add_task("Generating", total=100)

        def step(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=round(100 * fraction))

        try:
            return make(step)
        except UserError as exc:
            fail(str(exc))


def register(app: typer.Typer) -> None:
    """Add this command to the CLI."""
    app.command()(generate)
