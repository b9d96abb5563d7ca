"""`reconcile`: the household register against the school register (四查三比对)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dropout_risk.commands.data import load_validated
from dropout_risk.console import console, err_console, fail
from dropout_risk.settings import get_settings


def reconcile(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the tables and residents.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Reconcile as of this date YYYY-MM-DD.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Also write one row per resident of school age to this .csv/.parquet."),
    ] = None,
    link_weight: Annotated[
        float, typer.Option(help="Match weight at or above which a pair is a link.")
    ] = 2.0,
    review_weight: Annotated[
        float, typer.Option(help="Lower end of the clerical-review band (below: no match).")
    ] = -6.0,
) -> None:
    """Find school-age children in the household register who are not in school."""
    from features.build import as_timestamp
    from features.errors import UserError
    from features.reconcile.linkage import Thresholds
    from features.reconcile.output import write_copy, write_outputs
    from features.reconcile.run import reconcile as run

    if out is not None and out.suffix not in (".csv", ".parquet"):
        fail(f"--out must name a .csv or .parquet file, not {out}.")
    if review_weight > link_weight:
        fail("--review-weight must not be above --link-weight.")
    try:
        when = as_timestamp(as_of)
    except UserError as exc:
        fail(str(exc))
    tables = load_validated(data_dir)
    try:
        with err_console.status("Reconciling") as status:
            result = run(
                tables,
                when,
                Thresholds(link=link_weight, review=review_weight),
                progress=lambda step: status.update(f"Reconciling: {step}"),
            )
        folder = get_settings().home / "reconcile" / f"{data_dir.resolve().name}-{when:%Y-%m-%d}"
        write_outputs(result, folder)
        if out is not None:
            write_copy(result, out)
    except UserError as exc:
        fail(str(exc))
    counts = result.residents["status"].value_counts()
    shown = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    console.print(
        f"{len(result.residents):,} residents of compulsory-school age in school year "
        f"{result.school_year}-{result.school_year + 1}: {shown}."
    )
    console.print(
        f"{len(result.unmatched_students):,} enrolled students match no resident; "
        f"{len(result.duplicates):,} residents are registered twice. Files in [green]{folder}[/]"
        + (f"; copy in [green]{out}[/]" if out else "")
        + "."
    )
    console.print(result.summary().to_string(index=False))


def register(app: typer.Typer) -> None:
    app.command()(reconcile)
