"""Training sets: indicators at several snapshot dates stacked, each row labelled with whether
the student left school within the horizon after its snapshot.

A snapshot whose label window [T, T + horizon) reaches past the export date is dropped and
said so: a student who leaves after the export would otherwise be counted as staying
(DESIGN.md, "As-of correctness").
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from features.build import Engine, as_timestamp, build_features, data_range
from features.contract import Tables
from features.errors import UserError
from features.indicators.population import left_within, school_year_start

DEFAULT_HORIZON_DAYS = 180
Rule = Literal["term_start", "monthly"]
# Term 1 starts on 1 September; term 2 after the winter break, taken as 1 March.
TERM_TWO_START = (3, 1)


@dataclass
class TrainingSet:
    """Stacked snapshots: ID_COLUMNS + indicators + "label" (int8), and what was left out."""

    frame: pd.DataFrame
    snapshots: list[pd.Timestamp]
    horizon_days: int
    dropped: list[tuple[pd.Timestamp, str]] = field(default_factory=list)


def snapshot_dates(
    tables: Tables, rule: Rule | Sequence[object] = "term_start"
) -> list[pd.Timestamp]:
    """Snapshot dates inside the data: every term start, every first of the month, or a list.

    A list is parsed and sorted as given (UserError for anything that is not a date); the
    rules keep only dates inside the data's range.
    """
    if not isinstance(rule, str):
        return sorted({as_timestamp(d) for d in rule})
    first, last = data_range(tables)
    if rule == "term_start":
        years = sorted(int(y) for y in tables.enrollments["school_year"].unique())
        dates = []
        for y in years:
            dates.append(school_year_start(y))
            dates.append(pd.Timestamp(year=y + 1, month=TERM_TWO_START[0], day=TERM_TWO_START[1]))
    elif rule == "monthly":
        dates = list(pd.date_range(first, last, freq="MS"))
    else:
        raise UserError(f"Unknown snapshot rule {rule!r}; use 'term_start', 'monthly' or dates.")
    return [d for d in dates if first <= d <= last]


def uncovered_reason(tables: Tables, as_of: pd.Timestamp, horizon_days: int) -> str | None:
    """Why a snapshot cannot be labelled, or None when its whole label window is in the data."""
    first, _ = data_range(tables)
    export = tables.export_date().date
    if as_of < first:
        return f"before the data's first school year ({first:%Y-%m-%d})"
    last_labelled = as_of + pd.Timedelta(days=horizon_days - 1)
    if last_labelled > export:
        return (
            f"label window {as_of:%Y-%m-%d} to {last_labelled:%Y-%m-%d} "
            f"runs past the export date {export:%Y-%m-%d}"
        )
    return None


def covered_snapshots(
    tables: Tables, snapshots: Rule | Sequence[object], horizon_days: int
) -> tuple[list[pd.Timestamp], list[tuple[pd.Timestamp, str]]]:
    """The snapshots whose label window is inside the data, and those dropped with why (each
    also warned). Raises UserError when none is left."""
    if horizon_days < 1:
        raise UserError(f"The horizon must be at least one day, not {horizon_days}.")
    kept: list[pd.Timestamp] = []
    dropped: list[tuple[pd.Timestamp, str]] = []
    for when in snapshot_dates(tables, snapshots):
        reason = uncovered_reason(tables, when, horizon_days)
        if reason is None:
            kept.append(when)
        else:
            dropped.append((when, reason))
    for when, reason in dropped:
        warnings.warn(f"snapshot {when:%Y-%m-%d} dropped: {reason}", stacklevel=3)
    if not kept:
        raise UserError(
            f"No snapshot has its {horizon_days}-day label window inside the data; "
            "choose earlier dates or a shorter horizon."
        )
    return kept, dropped


def build_training_set(
    tables: Tables,
    snapshots: Rule | Sequence[object],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TrainingSet:
    """Indicators at each covered snapshot with the label "left school in [T, T + horizon)".

    `progress(done, total)` is called after each snapshot. Raises UserError when no
    snapshot has a fully covered label window.
    """
    kept, dropped = covered_snapshots(tables, snapshots, horizon_days)
    with ExitStack() as stack:
        if engine == "dask" and scheduler is None:
            # One local cluster for all snapshots rather than one each.
            from features.engines.dask import dask_client

            scheduler = stack.enter_context(dask_client(None)).scheduler.address
        frames = []
        for i, when in enumerate(kept):
            frame = build_features(tables, when, engine=engine, scheduler=scheduler)
            frame["label"] = left_within(tables.dropouts, frame["student_id"], when, horizon_days)
            frames.append(frame)
            if progress is not None:
                progress(i + 1, len(kept))
    stacked = pd.concat(frames, ignore_index=True)
    return TrainingSet(stacked, kept, horizon_days, dropped)


@dataclass
class ClusterTrainingSet:
    """Stacked snapshots kept on the Dask workers: each snapshot's pieces (futures of frames,
    one per partition of schools that has students, each sorted by student_id, labelled);
    the client holds none of their rows."""

    pieces: dict[pd.Timestamp, list[Any]]
    meta: pd.DataFrame
    horizon_days: int
    dropped: list[tuple[pd.Timestamp, str]] = field(default_factory=list)

    @property
    def snapshots(self) -> list[pd.Timestamp]:
        return list(self.pieces)

    def frame(self, snapshots: Sequence[pd.Timestamp] | None = None) -> Any:
        """A dask DataFrame of the pieces of `snapshots` (all by default), in snapshot order."""
        import dask.dataframe as dd

        chosen = self.snapshots if snapshots is None else list(snapshots)
        parts = [piece for when in chosen for piece in self.pieces[when]]
        return dd.from_delayed(parts, meta=self.meta, verify_meta=False)


def stack_on_cluster(
    client: Any,
    folder: Path,
    manifest: dict[str, Any],
    snapshots: Rule | Sequence[object],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> ClusterTrainingSet:
    """`build_training_set` on the ingested dataset at `folder`, each snapshot's pieces
    built by the workers and left there (the same rows as the local set, in another order)."""
    from features.engines.dask_dataset import client_tables, scatter_shared, submit_snapshot

    kept, dropped = covered_snapshots(client_tables(folder, manifest), snapshots, horizon_days)
    common = scatter_shared(client, folder, manifest)
    pieces = {
        when: submit_snapshot(client, folder, manifest, common, when, horizon_days) for when in kept
    }
    # Pieces without rows are left out: lightgbm.dask cannot train on an empty block.
    for when, futures in pieces.items():
        sizes = client.gather(client.map(len, futures))
        pieces[when] = [f for f, n in zip(futures, sizes, strict=True) if n]
    first = next(f for futures in pieces.values() for f in futures)
    meta = client.submit(pd.DataFrame.head, first, 0).result()
    return ClusterTrainingSet(pieces, meta, horizon_days, dropped)
