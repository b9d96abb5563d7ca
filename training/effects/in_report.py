"""Did the visits work? The training report's section, from the data folder's `visits` table.

Training reads no score store, so the report uses the visits kept in the data folder
(`visits.csv`) and the term-start snapshots; `dropout-risk effects` adds the store's visits
and the published lists. The figures and words are `EffectsResult.summary`, the same the
page shows; a folder without visits gives no section, and one whose visits cannot carry an
estimate gives the one-line reason instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from features.contract import Tables
from features.errors import UserError

PLOT_FILE = "effects_by_tier.png"


def visit_effects(tables: Tables, horizon_days: int) -> dict[str, Any] | None:
    """The effects summary for the report, `{"none": why}` without an estimate, or None when
    the folder holds no visits."""
    visits = tables.visits
    if visits is None or visits.empty:
        return None
    from training.effects.report import estimate_effects

    counties = sorted(set(tables.schools["county"].astype(str)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DoubleML and LightGBM talk; the result speaks
            result = estimate_effects(tables, [visits], horizon_days=horizon_days)
    except UserError as exc:
        return {"none": str(exc)}
    return result.summary(counties)


def effects_plot(effects: dict[str, Any] | None, out_dir: Path) -> Path | None:
    """The estimate-by-tier plot of a report's effects summary, when it has an estimate."""
    if not effects or "att" not in effects:
        return None
    from training.effects.plot import plot_by_tier

    return plot_by_tier(effects, out_dir / PLOT_FILE)
