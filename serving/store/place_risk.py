"""The school's and township's mean risk beside the student's: whose risk is it, the child's
or the place's?

For the latest published batch, per (county, school) and per (county, township): the mean
risk and the number of children it is taken over (children past compulsory-school age are
left out, as from the ranked list), and the share who left school in the 365 days before
the as-of date (`place_rates`, written by `score`; None for a batch scored without it).
Scoped like every read: a caller only gets figures of places wholly inside their scope, so
a school's case worker gets their school's figures and no township's, and a township's case
worker never gets another township's or county's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select, tuple_

from serving.auth import Scope
from serving.compulsory import PAST_AGE_TIER
from serving.models import Score
from serving.place_tables import place_rates as rates
from serving.store.batch_cache import for_latest_batch
from serving.store.scope import latest_published, scope_clause

LEVELS = {"school": Score.school_id, "township": Score.township}


@dataclass(frozen=True)
class PlaceFigure:
    """One school's or township's figures in the latest published batch."""

    county: str
    level: str
    place: str
    mean_risk: float
    n_students: int
    leaving_rate: float | None


def place_figures(
    engine: Engine, scope: Scope, level: str, places: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], PlaceFigure]:
    """Figures of the (county, place) pairs of `level` ("school" or "township") in scope."""
    wanted = sorted(set(places))
    if not wanted or (scope.kind == "school" and level == "township"):
        return {}
    with engine.connect() as conn:
        means = _scoped_means(conn, scope, level)
        rows = [(c, p, *means[(c, p)]) for c, p in wanted if (c, p) in means]
        found = sorted((c, p) for c, p, _, _ in rows)
        leaving = (
            dict(
                ((r.county, r.place), r.leaving_rate)
                for r in conn.execute(
                    select(rates.c.county, rates.c.place, rates.c.leaving_rate).where(
                        rates.c.batch_id == latest_published(),
                        rates.c.level == level,
                        tuple_(rates.c.county, rates.c.place).in_(found),
                    )
                )
            )
            if found
            else {}
        )
    return {
        (c, p): PlaceFigure(c, level, p, mean, n, leaving.get((c, p))) for c, p, mean, n in rows
    }


def _scoped_means(
    conn: Connection, scope: Scope, level: str
) -> dict[tuple[str, str], tuple[float, int]]:
    """(county, place) -> (mean risk, children) of `level` over the scope's rows of the latest
    published batch, children past compulsory-school age left out; once per batch and scope
    (one GROUP BY per batch, not one per card)."""

    def compute(batch_id: int) -> dict[tuple[str, str], tuple[float, int]]:
        column = LEVELS[level]
        where = [Score.batch_id == batch_id, Score.tier != PAST_AGE_TIER]
        clause = scope_clause(scope)
        if clause is not None:
            where.append(clause)
        return {
            (county, place): (float(mean), int(n))
            for county, place, mean, n in conn.execute(
                select(Score.county, column, func.avg(Score.risk), func.count())
                .where(*where)
                .group_by(Score.county, column)
            )
        }

    return for_latest_batch(conn, ("place_means", scope, level), compute) or {}
