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

from sqlalchemy import Connection, case, func, select

from serving.auth import Principal
from serving.cases.models import Case, CaseTransition
from serving.cases.periods import Period, previous_end, term_start
from serving.cases.scope import case_scope
from serving.models import Score
from serving.store.batch_cache import for_latest_batch
from serving.store.scope import scope_clause

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


_PLACE = ("county", "township", "school_id", "village")
_STATES = ("suspected", "confirmed", "persuading", "returned", "closed", "exempt")
_OPEN = ("suspected", "confirmed", "persuading", "returned")
_OUT = ("confirmed", "persuading")


def _case_counts(
    conn: Connection, who: Principal, on: dt.date, period: Period
) -> dict[tuple, dict[str, int]]:
    """Case counts per (county, township, school_id, village), replaying each case's
    transitions up to `on` and up to the end of the previous period."""
    clause = case_scope(who.scope)
    cases = select(Case.id, *(getattr(Case, k) for k in _PLACE), Case.next_visit_due)
    moves = (
        select(CaseTransition.case_id, CaseTransition.to_state, CaseTransition.on_date)
        .join(Case, Case.id == CaseTransition.case_id)
        .where(CaseTransition.on_date <= on)
        .order_by(CaseTransition.case_id, CaseTransition.on_date, CaseTransition.id)
    )
    if clause is not None:
        cases, moves = cases.where(clause), moves.where(clause)
    before, term = previous_end(on, period), term_start(on)
    now: dict[int, str] = {}
    then: dict[int, str] = {}
    back: set[int] = set()
    closed: set[int] = set()
    for case_id, to, day in conn.execute(moves):
        now[case_id] = to  # ordered by date: the last one wins
        if day <= before:
            then[case_id] = to
        if day >= term and to == "returned":
            back.add(case_id)
        if day >= term and to == "closed":
            closed.add(case_id)
    out: dict[tuple, dict[str, int]] = {}
    for case_id, county, township, school, village, due in conn.execute(cases):
        counts = out.setdefault((county, township, school, village), dict.fromkeys(COUNTS, 0))
        state = now.get(case_id)
        if state is None:
            continue  # opened after `on`
        counts[state] += 1
        counts["returned_this_term"] += case_id in back
        counts["closed_this_term"] += case_id in closed
        counts["overdue"] += state in _OPEN and due is not None and due < on
        counts["out_of_school"] += state in _OUT
        counts["out_of_school_before"] += then.get(case_id) in _OUT
    return out


def _enrolled(conn: Connection, who: Principal) -> list:
    """Enrolled and high-tier counts of the latest batch: they change only with a new batch."""
    key = ("monitoring_enrolled", str(who.scope))
    return for_latest_batch(conn, key, lambda batch: _enrolled_query(conn, who, batch)) or []


def _enrolled_query(conn: Connection, who: Principal, latest: int) -> list:
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
    # The score store's own scope rule: a scope without its county sees nothing.
    clause = scope_clause(who.scope)
    return conn.execute(query if clause is None else query.where(clause)).all()


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

    for place, counts in _case_counts(conn, who, on, period).items():
        got = unit(dict(zip(_PLACE, place, strict=True)))
        if got is not None:
            for name in COUNTS[2:-1]:
                got.counts[name] += counts[name]
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
