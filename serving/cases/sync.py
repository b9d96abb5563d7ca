"""`cases sync`: open and move cases from the data, idempotently.

Each fact (serving.cases.events) is applied at most once (its key is kept on the
transition it made) and only forward: a fact dated before the case's last move, or one
the rules refuse after a hand-made move, is skipped, so sync never undoes a person's work.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from features.contract import Tables
from serving.cases import ledger
from serving.cases.events import SyncRules, data_events, places
from serving.cases.ledger import Place
from serving.cases.models import Case, CaseTransition
from serving.cases.rules import ALLOWED, OUT_OF_SCHOOL, TransitionRefused


@dataclass
class SyncReport:
    """What a sync did: cases opened, transitions made, facts skipped, places updated."""

    opened: int = 0
    moved: int = 0
    skipped: int = 0
    relocated: int = 0
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return self.opened + self.moved + self.relocated


@dataclass
class _Latest:
    id: int
    state: str
    state_on: dt.date
    school_id: str


def _ledger_state(conn: Connection) -> tuple[dict, dict]:
    """The latest episode of each child and every fact key already applied, per child."""
    latest: dict[tuple[str, str], _Latest] = {}
    for r in conn.execute(
        select(
            Case.id, Case.county, Case.student_id, Case.state, Case.state_on, Case.school_id
        ).order_by(Case.episode)
    ):
        latest[(r.county, r.student_id)] = _Latest(r.id, r.state, r.state_on, r.school_id)
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in conn.execute(
        select(Case.county, Case.student_id, CaseTransition.source_key)
        .join(Case, Case.id == CaseTransition.case_id)
        .where(CaseTransition.source_key.is_not(None))
    ):
        keys[(r.county, r.student_id)].add(r.source_key)
    return latest, keys


def _place(row: pd.Series) -> Place:
    grade = None if pd.isna(row["grade"]) else int(row["grade"])
    name = None if pd.isna(row["name"]) else str(row["name"])
    return Place(
        str(row["county"]), str(row["township"]), str(row["school_id"]), row["village"], grade, name
    )


def _wanted(to: str, current: _Latest | None) -> str | None:
    """What applying a fact means for the child's latest case: open, move, or nothing."""
    if current is None or current.state in ("closed", "exempt"):
        return "open" if to in ("suspected", "confirmed") else None
    if to == "confirmed" and current.state in OUT_OF_SCHOOL:
        return None  # already out of school
    return "move" if to in ALLOWED[current.state] else None


def sync_cases(
    engine: Engine,
    tables: Tables,
    as_of: dt.date,
    rules: SyncRules | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Bring the ledger up to what the data says as of `as_of`, in one transaction."""
    rules = rules or SyncRules()
    when = pd.Timestamp(as_of)
    events = data_events(tables, when, rules)
    where = places(tables, when)
    report = SyncReport()
    with engine.begin() as conn:
        latest, keys = _ledger_state(conn)
        total = len(events)
        for i, ev in enumerate(events.itertuples(index=False)):
            if progress and i % 1000 == 0:
                progress(i, total)
            if ev.student_id not in where.index:
                report.skipped += 1
                continue
            place = _place(where.loc[ev.student_id])
            child = (place.county, str(ev.student_id))
            if ev.key in keys[child]:
                continue
            current = latest.get(child)
            on = ev.on.date()
            action = _wanted(ev.to, current)
            # A fact dated before the child's last move is history someone already handled.
            if action is None or (current is not None and on < current.state_on):
                report.skipped += 1
                continue
            try:
                if action == "open":
                    case_id = ledger.open_case(
                        conn, child[1], place, ev.to, on, ev.reason, None, ev.key
                    )
                    latest[child] = _Latest(case_id, ev.to, on, place.school_id)
                    report.opened += 1
                else:
                    assert current is not None
                    plan = None if pd.isna(ev.plan) else ev.plan
                    ledger.move_case(conn, current.id, ev.to, on, ev.reason, plan, None, ev.key)
                    current.state, current.state_on = ev.to, on
                    report.moved += 1
            except TransitionRefused:
                report.skipped += 1
                continue
            keys[child].add(ev.key)
        report.relocated = _relocate(conn, latest, where)
        if progress:
            progress(total, total)
    report.by_state = _count_states(engine)
    return report


def _relocate(conn: Connection, latest: dict, where: pd.DataFrame) -> int:
    """Open cases follow a child who enrolled at another school of the same county."""
    moved = 0
    for (county, sid), case in latest.items():
        if case.state in ("closed", "exempt") or sid not in where.index:
            continue
        row = where.loc[sid]
        if row["county"] != county or row["school_id"] == case.school_id:
            continue
        conn.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(township=row["township"], school_id=row["school_id"], grade=int(row["grade"]))
        )
        case.school_id = row["school_id"]
        moved += 1
    return moved


def _count_states(engine: Engine) -> dict[str, int]:
    from sqlalchemy import func

    with engine.connect() as conn:
        rows = conn.execute(select(Case.state, func.count()).group_by(Case.state)).all()
    return {s: int(n) for s, n in rows}
