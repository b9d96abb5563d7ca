"""The school's and township's figures for the students a response shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from serving.auth import Principal
from serving.schemas import PlaceContext
from serving.store import ScoreRow, ScoreStore
from serving.store.place_risk import PlaceFigure, place_figures


def _schema(figure: PlaceFigure) -> PlaceContext:
    return PlaceContext(**asdict(figure))


def contexts(
    store: ScoreStore, who: Principal, rows: Sequence[ScoreRow]
) -> dict[tuple[str, str, str], PlaceContext]:
    """(level, county, place) -> figures, for the schools and townships of `rows` in scope."""
    out: dict[tuple[str, str, str], PlaceContext] = {}
    for level, attr in (("school", "school_id"), ("township", "township")):
        wanted = {(r.county, getattr(r, attr)) for r in rows}
        figures = place_figures(store.engine, who.scope, level, wanted)
        for (county, place), figure in figures.items():
            out[(level, county, place)] = _schema(figure)
    return out
