"""Commands of the serve group: score, publish, serve; see DESIGN.md's command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from dropout_risk.console import console, err_console, fail, progress
from dropout_risk.settings import get_settings


def _open_store():  # -> serving.store.ScoreStore
    from serving.store import ScoreStore

    try:
        return ScoreStore.open(get_settings().database_url)
    except Exception as exc:  # a wrong URL or a server that is down: say which
        fail(f"cannot open the score store {get_settings().database_url}: {exc}")


def _store_place_rates(store, batch: int, tables, as_of: dt.date) -> None:  # noqa: ANN001
    """The batch's school and township leaving rates (issue 12 item 5)."""
    from serving.place_rates import leaving_rates, store_rates

    rates = leaving_rates(tables.enrollments, tables.dropouts, tables.schools, as_of)
    store_rates(store.engine, batch, rates)


def score(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the seven tables.")],
    as_of: Annotated[
        dt.datetime, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Score date (YYYY-MM-DD).")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Also write the batch to this .csv or .parquet file.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model URI or folder; default the registry's champion.")
    ] = None,
    no_publish: Annotated[
        bool,
        typer.Option(
            "--no-publish",
            help="Prepare the batch without putting it in service; `dropout-risk publish` later.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(help="Publish even if the batch in service is as of a later date."),
    ] = False,
) -> None:
    """Score everyone in school at AS_OF with the champion and publish the batch atomically.

    One run at a time per score store; a batch as of an earlier date than the one in
    service is refused unless --force.
    """
    from dropout_risk.commands.data import load_validated
    from features.build import build_features
    from features.errors import UserError
    from serving.people import record_people
    from serving.scoring import first_enrollment, publish, score_frame, write_out
    from training.scorer import RiskScorer

    settings = get_settings()
    uri = model or f"models:/{settings.model_name}@{settings.champion_alias}"
    try:
        scorer = RiskScorer.load(uri, settings.tracking_uri)
    except UserError as exc:
        fail(f"cannot load the model {uri}: {exc}")
    tables = load_validated(data_dir)
    store = _open_store()
    try:
        with store.run_lock(), progress() as bar:
            task = bar.add_task("indicators", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            features = build_features(tables, as_of.date(), progress=step)
            bar.update(task, description="scoring", completed=0, total=None)
            names = None
            if "name" in tables.students.columns:
                names = tables.students.set_index("student_id")["name"]
            frame = score_frame(scorer, features, names)
            frame["enrolled_since"] = frame["student_id"].map(first_enrollment(tables.enrollments))
            bar.update(task, description="publishing", completed=0, total=len(frame))
            record_people(store.engine, tables, features)  # names and contacts, before the batch
            batch = publish(store, frame, progress=lambda n: bar.advance(task, n), in_service=False)
            # The leaving rates go in before the batch is in service: readers never see it without.
            _store_place_rates(store, batch, tables, as_of.date())
            if not no_publish:
                try:
                    store.publish(batch, force=force)
                except BaseException:
                    store.discard(batch)  # the old batch stays in service
                    raise
        serving_now = store.latest_batch()
        synced = _sync_cases(store, tables, as_of.date())  # after the bar: one live display
        if out is not None:
            write_out(frame, out)
    except UserError as exc:
        fail(str(exc))
    finally:
        store.close()
    counts = frame["tier"].value_counts()
    if no_publish:
        shown = f"batch {serving_now.id} (as of {serving_now.as_of})" if serving_now else "no batch"
        status = (
            f"Batch {batch} is prepared, NOT in service: case workers still see {shown}. "
            f"Put it in service with `dropout-risk publish {batch}`."
        )
    else:
        status = f"Batch {batch} is in service now: case workers see it from their next request."
    console.print(
        f"Scored {len(frame):,} students as of {as_of:%Y-%m-%d} with model "
        f"{scorer.model_version}: {counts.get('high', 0):,} high, "
        f"{counts.get('medium', 0):,} medium. {status}" + (f" Written to {out}." if out else "")
    )
    console.print(synced)
    if counts.get("past_age", 0):
        console.print(
            f"{counts['past_age']:,} students are past compulsory-school age (16 by 31 August "
            "before the school year): listed apart, not ranked."
        )


def publish_batch(
    batch: Annotated[int, typer.Argument(help="The batch id `score --no-publish` printed.")],
    force: Annotated[
        bool, typer.Option(help="Publish even if the batch in service is as of a later date.")
    ] = False,
) -> None:
    """Put a prepared batch in service, atomically; case workers see it on their next request."""
    from features.errors import UserError

    store = _open_store()
    try:
        info = store.publish(batch, force=force)
    except UserError as exc:
        fail(str(exc))
    finally:
        store.close()
    console.print(
        f"Batch {info.id} (as of {info.as_of}, model {info.model_version}, "
        f"{info.n_students:,} students) is in service now: case workers see it from their "
        "next request."
    )


def _sync_cases(store, tables, as_of: dt.date) -> str:  # noqa: ANN001
    """The casework step of `score`: the ledger follows the data scored."""
    from dropout_risk.commands.cases import describe, run_sync

    settings = get_settings()
    report = run_sync(store, tables, as_of, settings.cases_absent_days, settings.cases_close_days)
    return describe(report)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (and the case workers' page) with the champion model."""
    import uvicorn

    from serving.db import upgrade
    from serving.lifecycle import ModelLifecycle, ModelUnavailable
    from serving.logs import configure_logging

    settings = get_settings()
    configure_logging()
    try:
        upgrade(settings.database_url)  # once here, so workers never race to migrate
    except Exception as exc:
        fail(f"cannot open the score store {settings.database_url}: {exc}")
    # Check there is a model to serve before starting workers, so a missing one is one message.
    lifecycle = ModelLifecycle(
        settings.tracking_uri,
        settings.model_cache_dir,
        settings.model_name,
        settings.champion_alias,
        poll_seconds=0,
    )
    try:
        served = lifecycle.start(poll=False)
    except ModelUnavailable as exc:
        fail(str(exc))
    err_console.print(
        f"Serving model {served.version} ({served.source}) on http://{host}:{port}/ "
        f"with {workers} worker(s); OpenAPI at http://{host}:{port}/docs"
    )
    uvicorn.run(
        "serving.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
    app.command()(score)
    app.command()(serve)
    app.command("publish")(publish_batch)
