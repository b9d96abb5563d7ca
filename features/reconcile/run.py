"""`reconcile`: link the household register to the school register and say who is where."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from features.contract import Tables
from features.errors import UserError

from .linkage import Thresholds, score_pairs
from .prepare import prepare
from .status import Reconciliation, choose_links, reconcile_statuses


def reconcile(
    tables: Tables,
    as_of: pd.Timestamp,
    thresholds: Thresholds | None = None,
    progress: Callable[[str], None] | None = None,
) -> Reconciliation:
    """Reconcile `tables` (which must hold residents) as of a date."""
    if tables.residents is None:
        raise UserError(
            "the data folder holds no residents table (residents.csv or residents.parquet): "
            "reconciliation needs the household register"
        )
    thresholds = thresholds or Thresholds()
    say = progress or (lambda _step: None)
    say("preparing names and ids")
    sides = prepare(tables, as_of)
    say(f"linking {len(sides.students):,} students to {len(sides.residents):,} residents")
    pairs = score_pairs(sides, floor=thresholds.review)
    say("applying the status rules")
    links = choose_links(sides, pairs, thresholds)
    return reconcile_statuses(tables, links, as_of, sides.school_year)
