"""Commands of the train group: `train` and `evaluate` (see DESIGN.md's command line)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from dropout_risk.console import console, err_console, fail
from dropout_risk.settings import get_settings

if TYPE_CHECKING:
    from training.pipeline import Outcome


@contextlib.contextmanager
def steps(quiet: bool) -> Iterator:
    """A spinner naming the current step; library chatter goes to stderr so --json stays clean."""
    with contextlib.redirect_stdout(sys.stderr), err_console.status("Starting") as status:

        def say(message: str) -> None:
            status.update(message)
            if not quiet:
                err_console.log(message)

        yield say


def _summary(outcome: Outcome, as_json: bool, promote_hint: bool = False) -> None:
    """The short readable summary (or one JSON object on stdout)."""
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_json()) + "\n")
        return
    from rich.table import Table

    from training.baselines import NAMES

    ev = outcome.evaluation
    m = ev.model
    console.print(
        f"[bold]Model version {outcome.model_version}[/] (run {outcome.run_id}) - test set: "
        f"{int(m['rows']):,} rows (a student once per test snapshot), {int(m['positives']):,} left "
        f"({m['base_rate']:.1%}); visit capacity k = {ev.k:,}"
    )
    from training.candidates import FAMILY_NAMES

    if ev.selection is not None:
        folds = [c for c in ev.selection.columns if c != "mean"]
        chosen = Table("candidate", *folds, "mean", title=f"Validation {ev.spec.promote_metric}")
        for name, row in ev.selection.iterrows():
            mark = " (chosen)" if name == ev.chosen else ""
            chosen.add_row(f"{name}{mark}", *(f"{row[c]:.3f}" for c in [*folds, "mean"]))
        console.print(chosen)
    family = FAMILY_NAMES.get(ev.family, ev.family)
    table = Table("scorer", "ROC-AUC", "PR-AUC", "precision@k", "recall@k", "leavers reached")
    rows = [(f"{family} ({ev.chosen}), chosen", m)] + [
        (NAMES.get(n, FAMILY_NAMES.get(n, n)), b) for n, b in ev.baselines.items()
    ]
    for name, values in rows:
        table.add_row(
            name,
            f"{values['roc_auc']:.3f}",
            f"{values['pr_auc']:.3f}",
            f"{values['precision_at_k']:.1%}",
            f"{values['recall_at_k']:.1%}",
            f"{int(values['caught_at_k'])}",
        )
    console.print(table)
    console.print(f"Calibration: Brier {m['brier']:.4f}, ECE {m['ece']:.4f}")
    metric = ev.spec.promote_metric
    for name, margin in ev.margins(metric).items():
        if name not in ev.spec.must_beat:
            continue  # the other candidates: in the table above, chosen against on validation
        verdict = "[green]beats[/]" if margin > 0 else "[red]does not beat[/]"
        shown = NAMES.get(name, FAMILY_NAMES.get(name, name))
        console.print(f"The chosen model {verdict} {shown} by {margin:+.3f} {metric}.")
    if not ev.fairness.empty:
        flagged = ev.fairness[ev.fairness["disparity"]]
        groups = ", ".join(
            f"{a}={g}" for a, g in zip(flagged["attribute"], flagged["group"], strict=True)
        )
        console.print(
            f"Fairness: {len(flagged)} group(s) outside 0.8-1.25 of their reference"
            + (f": {groups}" if groups else "")
        )
    if outcome.promotion:
        console.print(f"Promotion: {outcome.promotion}")
    elif promote_hint:
        console.print("Not promoted: run with --promote to compare it with the champion.")
    console.print(f"Report: {outcome.report_path}")


def train(
    data_dir: Annotated[
        Path | None, typer.Argument(help="Folder with the seven tables (omit with --table).")
    ] = None,
    spec: Annotated[
        Path | None, typer.Option(help="Model spec YAML; default models/lightgbm.yaml.")
    ] = None,
    promote: Annotated[
        bool, typer.Option(help="Make this version the champion if it beats the current one.")
    ] = False,
    table: Annotated[
        Path | None, typer.Option(help="Train on a ready CSV/Parquet table instead of DATA_DIR.")
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="With --table: the 0/1 column saying who left.")
    ] = None,
    time_column: Annotated[
        str | None, typer.Option(help="With --table: snapshot date column for a temporal split.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="With --table: student id column (default student_id).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="With --table: registered model name (default: the file's stem), so a "
            "county's champion is never touched."
        ),
    ] = None,
    group_column: Annotated[
        list[str] | None, typer.Option(help="With --table: a fairness group column (repeatable).")
    ] = None,
    engine: Annotated[
        Literal["local", "dask"],
        typer.Option(help="local, or dask: indicators and LightGBM on a Dask cluster."),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address for --engine dask (default: a local 2-worker cluster)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """Train a model, evaluate it beside the baselines, log it to MLflow and register it."""
    from features.errors import UserError
    from training.pipeline import train_from_data, train_from_table
    from training.spec import default_spec_path, load_spec

    if (data_dir is None) == (table is None):
        fail("give either DATA_DIR or --table FILE (not both)")
    if table is not None and not label:
        fail("--table needs --label COLUMN (the 0/1 column saying who left)")
    if name is not None and table is None:
        fail("--name goes with --table (a county's model is named by DROPOUT_RISK_MODEL_NAME)")
    settings = get_settings()
    try:
        model_spec = load_spec(spec) if spec else None
        if table is not None:
            with steps(as_json) as say:
                outcome = train_from_table(
                    table,
                    model_spec,
                    label=label,  # type: ignore[arg-type]
                    tracking_uri=settings.tracking_uri,
                    artifact_dir=settings.artifact_dir,
                    time_column=time_column,
                    id_column=id_column,
                    group_columns=group_column or None,
                    promote=promote,
                    engine=engine,
                    scheduler=scheduler,
                    model_name=name,
                    progress=say,
                )
        elif engine == "dask":  # the workers read the ingested dataset; this process does not
            from dropout_risk.commands.train_cluster import train_on_cluster

            outcome = train_on_cluster(data_dir, model_spec, promote, scheduler, as_json)  # type: ignore[arg-type]
        else:
            from dropout_risk.commands.data import load_validated

            tables = load_validated(data_dir)  # type: ignore[arg-type]
            with steps(as_json) as say:
                outcome = train_from_data(
                    tables,
                    model_spec or load_spec(default_spec_path()),
                    tracking_uri=settings.tracking_uri,
                    artifact_dir=settings.artifact_dir,
                    promote=promote,
                    engine=engine,
                    scheduler=scheduler,
                    source=str(data_dir),
                    model_name=settings.model_name,
                    progress=say,
                    snapshot_progress=lambda done, total: say(
                        f"Built indicators for snapshot {done} of {total}"
                    ),
                )
    except UserError as exc:
        fail(str(exc))
    _summary(outcome, as_json, promote_hint=True)


def evaluate(
    model_version: Annotated[
        str | None,
        typer.Option(help="Registered version to evaluate; default the champion, else the latest."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Registered model name (default DROPOUT_RISK_MODEL_NAME, dropout-risk)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """Rebuild the metrics, plots, fairness audit and report of a registered model version."""
    from features.errors import UserError
    from training.pipeline import evaluate_version

    settings = get_settings()
    try:
        with steps(as_json) as say:
            outcome = evaluate_version(
                settings.tracking_uri,
                model_version,
                settings.artifact_dir,
                progress=say,
                model_name=name or settings.model_name,
            )
    except UserError as exc:
        fail(str(exc))
    _summary(outcome, as_json)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command()(train)
    app.command()(evaluate)
