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

from sqlalchemy import Engine, func, select, tuple_

from serving.auth import Scope
from serving.compulsory import PAST_AGE_TIER
from serving.models import Score
from serving.place_tables import place_rates as rates
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
    column = LEVELS[level]
    where = [
        Score.batch_id == latest_published(),
        Score.tier != PAST_AGE_TIER,
        # Plain IN lists use the (batch, school|township, risk) indexes; row values do not.
        column.in_(sorted({p for _, p in wanted})),
        Score.county.in_(sorted({c for c, _ in wanted})),
    ]
    clause = scope_clause(scope)
    if clause is not None:
        where.append(clause)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Score.county, column, func.avg(Score.risk), func.count())
            .where(*where)
            .group_by(Score.county, column)
        ).all()
        asked = set(wanted)  # the IN lists also match other pairs of the same names
        rows = [r for r in rows if (r[0], r[1]) in asked]
        found = {(r[0], r[1]) for r in rows}
        leaving = (
            dict(
                ((r.county, r.place), r.leaving_rate)
                for r in conn.execute(
                    select(rates.c.county, rates.c.place, rates.c.leaving_rate).where(
                        rates.c.batch_id == latest_published(),
                        rates.c.level == level,
                        tuple_(rates.c.county, rates.c.place).in_(sorted(found)),
                    )
                )
            )
            if found
            else {}
        )
    return {
        (c, p): PlaceFigure(c, level, p, float(mean), int(n), leaving.get((c, p)))
        for c, p, mean, n in rows
    }
