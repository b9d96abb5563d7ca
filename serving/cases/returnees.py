"""Returnees: children back in school whose case is not closed yet, with their current risk.

A returnee keeps a mentor and is watched until the case closes; the latest published
batch says how likely the child is to leave again (`left_before` is one of its indicators).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from serving.auth import Principal
from serving.cases.models import Case
from serving.cases.views import CaseRow, case_query, to_row
from serving.models import Batch, Score


@dataclass(frozen=True)
class Returnee:
    """A returned case and the child's latest score (None when not in the latest batch)."""

    case: CaseRow
    risk: float | None
    tier: str | None


def returnees(conn: Connection, who: Principal, today: dt.date, limit: int) -> list[Returnee]:
    """Returned cases in scope, highest current risk first (unscored children last)."""
    latest = (
        select(Batch.id)
        .where(Batch.published_at.is_not(None))
        .order_by(Batch.published_at.desc(), Batch.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        case_query(who)
        .add_columns(Score.risk, Score.tier)
        .outerjoin(
            Score,
            and_(
                Score.batch_id == latest,
                Score.county == Case.county,
                Score.student_id == Case.student_id,
            ),
        )
        .where(Case.state == "returned")
        .order_by(Score.risk.desc().nulls_last(), Case.id)
        .limit(limit)
    )
    out = []
    for r in conn.execute(query):
        values = dict(r._mapping)
        risk, tier = values.pop("risk"), values.pop("tier")
        out.append(Returnee(to_row(values, today), risk, tier))
    return out
