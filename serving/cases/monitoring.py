"""Monitoring, county → township → school (→ village), from the ledger and the latest batch.

Case counts come from the ledger alone: each case's state at a date is its last
transition dated on or before it. The finest rows are computed once and summed upwards,
so a county's numbers are the sum of its townships' and of its schools'.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Literal

from sqlalchemy import Connection, and_, case, func, select

from serving.auth import Principal
from serving.cases.models import Case, CaseTransition
from serving.cases.periods import Period, previous_end, term_start
from serving.cases.scope import case_scope
from serving.models import Batch, Score

Level = Literal["county", "township", "school", "village"]
LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "county": ("county",),
    "township": ("county", "township"),
    "school": ("county", "township", "school_id"),
    "village": ("county", "township", "school_id", "village"),
}
COUNTS = (
    "enrolled",
    "high_tier",
    "suspected",
    "confirmed",
    "persuading",
    "returned",
    "returned_this_term",
    "closed",
    "closed_this_term",
    "exempt",
    "overdue",
    "out_of_school",
    "out_of_school_before",
    "change",
)


@dataclass
class Unit:
    """One county, township, school or village and its counts."""

    county: str
    township: str | None = None
    school_id: str | None = None
    village: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def as_dict(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if k != "counts"}
        return {**out, **self.counts}


def _state_at(on: dt.date):  # -> subquery (case_id, state)
    ranked = select(
        CaseTransition.case_id,
        CaseTransition.to_state.label("state"),
        func.row_number()
        .over(
            partition_by=CaseTransition.case_id,
            order_by=(CaseTransition.on_date.desc(), CaseTransition.id.desc()),
        )
        .label("rn"),
    ).where(CaseTransition.on_date <= on)
    sub = ranked.subquery()
    return select(sub.c.case_id, sub.c.state).where(sub.c.rn == 1).subquery()


def _moved_since(to: str, start: dt.date, on: dt.date):  # -> subquery (case_id)
    return (
        select(CaseTransition.case_id)
        .where(
            CaseTransition.to_state == to,
            CaseTransition.on_date >= start,
            CaseTransition.on_date <= on,
        )
        .distinct()
        .subquery()
    )


def _case_counts(conn: Connection, who: Principal, on: dt.date, period: Period) -> list:
    now, before = _state_at(on), _state_at(previous_end(on, period))
    term = term_start(on)
    back, closed = _moved_since("returned", term, on), _moved_since("closed", term, on)
    out = now.c.state.in_(("confirmed", "persuading"))
    was_out = before.c.state.in_(("confirmed", "persuading"))
    open_now = now.c.state.in_(("suspected", "confirmed", "persuading", "returned"))

    def n(cond) -> object:  # noqa: ANN001
        return func.sum(case((cond, 1), else_=0))

    keys = (Case.county, Case.township, Case.school_id, Case.village)
    query = (
        select(
            *keys,
            *(
                n(now.c.state == s).label(s)
                for s in ("suspected", "confirmed", "persuading", "returned", "closed", "exempt")
            ),
            n(back.c.case_id.is_not(None)).label("returned_this_term"),
            n(closed.c.case_id.is_not(None)).label("closed_this_term"),
            n(and_(open_now, Case.next_visit_due < on)).label("overdue"),
            n(out).label("out_of_school"),
            n(was_out).label("out_of_school_before"),
        )
        .join(now, now.c.case_id == Case.id, isouter=True)
        .join(before, before.c.case_id == Case.id, isouter=True)
        .join(back, back.c.case_id == Case.id, isouter=True)
        .join(closed, closed.c.case_id == Case.id, isouter=True)
        .group_by(*keys)
    )
    clause = case_scope(who.scope)
    if clause is not None:
        query = query.where(clause)
    return conn.execute(query).all()


def _enrolled(conn: Connection, who: Principal) -> list:
    latest = (
        select(Batch.id)
        .where(Batch.published_at.is_not(None))
        .order_by(Batch.published_at.desc(), Batch.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            Score.county,
            Score.township,
            Score.school_id,
            func.count().label("enrolled"),
            func.sum(case((Score.tier == "high", 1), else_=0)).label("high_tier"),
        )
        .where(Score.batch_id == latest)
        .group_by(Score.county, Score.township, Score.school_id)
    )
    scope = who.scope
    if scope.column is not None:
        query = query.where(getattr(Score, scope.column) == scope.value)
        if scope.county is not None:
            query = query.where(Score.county == scope.county)
    return conn.execute(query).all()


def monitoring(
    conn: Connection,
    who: Principal,
    level: Level,
    on: dt.date,
    period: Period = "month",
    within: dict[str, str | None] | None = None,
) -> list[Unit]:
    """Counts per unit of `level` in the caller's scope (optionally within one county,
    township or school), at the end of day `on`; `change` is against the previous period."""
    keys = LEVEL_KEYS[level]
    units: dict[tuple, Unit] = {}

    def unit(row_keys: dict[str, object]) -> Unit | None:
        for k, v in (within or {}).items():
            if v is not None and row_keys.get(k) != v:
                return None
        key = tuple(row_keys.get(k) for k in keys)
        if key not in units:
            units[key] = Unit(**dict(zip(keys, key, strict=True)))  # type: ignore[arg-type]
        return units[key]

    for r in _case_counts(conn, who, on, period):
        got = unit(dict(r._mapping))
        if got is not None:
            for name in COUNTS[2:-1]:
                got.counts[name] += int(getattr(r, name) or 0)
    if level != "village":  # the latest batch knows schools, not villages
        for r in _enrolled(conn, who):
            got = unit(dict(r._mapping))
            if got is not None:
                got.counts["enrolled"] += int(r.enrolled)
                got.counts["high_tier"] += int(r.high_tier or 0)
    for u in units.values():
        u.counts["change"] = u.counts["out_of_school"] - u.counts["out_of_school_before"]
    return sorted(units.values(), key=lambda u: tuple(str(x) for x in asdict(u).values())[:4])


def totals(units: list[Unit]) -> dict[str, int]:
    """The sum of every count over the units."""
    out: dict[str, int] = defaultdict(int)
    for u in units:
        for k, v in u.counts.items():
            out[k] += v
    return {k: out[k] for k in COUNTS}
