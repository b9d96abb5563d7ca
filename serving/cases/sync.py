"""`cases sync`: open and move cases from the data, idempotently.

Each fact (serving.cases.events) is applied at most once (its key is kept on the
transition it made) and only forward: a fact dated before the child's last move, or one
the rules refuse after a hand-made move, is skipped, so sync never undoes a person's work.
The facts are played against the ledger in memory, with the same rules as a hand-made
move, and the result is written in a few bulk statements in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from features.contract import Tables
from serving.cases.events import SyncRules, data_events, places
from serving.cases.ledger import Place, now
from serving.cases.models import Case, CaseTransition
from serving.cases.rules import ALLOWED, OUT_OF_SCHOOL, TransitionRefused, check_transition

Child = tuple[str, str]  # (county, student_id)


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
    """A child's latest episode as the sync sees it (id None: opened by this run)."""

    id: int | None
    episode: int
    state: str
    state_on: dt.date
    school_id: str
    plan: str | None = None
    dirty: bool = False
    moves: list[dict] = field(default_factory=list)
    place: Place | None = None


def _ledger_state(conn: Connection) -> tuple[dict[Child, _Latest], dict[Child, set[str]]]:
    """The latest episode of each child and every fact key already applied, per child."""
    latest: dict[Child, _Latest] = {}
    for r in conn.execute(
        select(
            Case.id, Case.county, Case.student_id, Case.episode, Case.state, Case.state_on,
            Case.school_id, Case.plan,
        ).order_by(Case.episode)
    ):  # fmt: skip
        latest[(r.county, r.student_id)] = _Latest(
            r.id, r.episode, r.state, r.state_on, r.school_id, r.plan
        )
    keys: dict[Child, set[str]] = defaultdict(set)
    for r in conn.execute(
        select(Case.county, Case.student_id, CaseTransition.source_key)
        .join(Case, Case.id == CaseTransition.case_id)
        .where(CaseTransition.source_key.is_not(None))
    ):
        keys[(r.county, r.student_id)].add(r.source_key)
    return latest, keys


def _places(tables: Tables, when: pd.Timestamp, ids: pd.Series) -> dict[str, Place]:
    where = places(tables, when)
    where = where.loc[where.index.intersection(pd.Index(ids.unique()))]
    out = {}
    for sid, county, township, school, village, grade, name in zip(
        where.index, where["county"], where["township"], where["school_id"], where["village"],
        where["grade"], where["name"], strict=True,
    ):  # fmt: skip
        out[str(sid)] = Place(
            str(county), str(township), str(school), village,
            None if pd.isna(grade) else int(grade), None if pd.isna(name) else str(name),
        )  # fmt: skip
    return out


def _wanted(to: str, current: _Latest | None) -> str | None:
    """What applying a fact means for the child's latest case: open, move, or nothing."""
    if current is None or current.state in ("closed", "exempt"):
        return "open" if to in ("suspected", "confirmed") else None
    if to == "confirmed" and current.state in OUT_OF_SCHOOL:
        return None  # already out of school
    return "move" if to in ALLOWED[current.state] else None


def _play(events: pd.DataFrame, where: dict[str, Place], latest: dict, keys: dict) -> tuple:
    """Apply the facts in memory; returns (new episodes, moved existing cases, report)."""
    report = SyncReport()
    opened: list[tuple[Child, _Latest]] = []
    for sid, on_ts, to, reason, plan, key in events.itertuples(index=False, name=None):
        place = where.get(str(sid))
        if place is None:
            report.skipped += 1
            continue
        child = (place.county, str(sid))
        if key in keys[child]:
            continue
        current = latest.get(child)
        on = on_ts.date()
        action = _wanted(to, current)
        # A fact dated before the child's last move is history someone already handled.
        if action is None or (current is not None and on < current.state_on):
            report.skipped += 1
            continue
        move = {"to_state": to, "on_date": on, "reason": reason or "", "source_key": key}
        if action == "open":
            fresh = _Latest(None, (current.episode if current else 0) + 1, to, on, place.school_id)
            fresh.place, fresh.moves = place, [{**move, "from_state": None, "plan": None}]
            latest[child] = fresh
            opened.append((child, fresh))
            report.opened += 1
        else:
            plan = None if pd.isna(plan) else plan
            try:
                check_transition(current.state, current.state_on, to, on, reason, plan)
            except TransitionRefused:
                report.skipped += 1
                continue
            current.moves.append({**move, "from_state": current.state, "plan": plan})
            current.state, current.state_on, current.dirty = to, on, True
            current.plan = plan if to == "returned" else current.plan
            report.moved += 0 if current.id is None else 1
        keys[child].add(key)
    report.moved += sum(len(c.moves) - 1 for _, c in opened)
    return opened, report


def _write(conn: Connection, opened: list, latest: dict) -> None:
    """Bulk-write new episodes, moves of existing cases, and every transition."""
    stamp = now()
    if opened:
        conn.execute(
            insert(Case),
            [
                {
                    "county": child[0], "student_id": child[1], "episode": c.episode,
                    "state": c.state, "state_on": c.state_on, "township": c.place.township,
                    "school_id": c.place.school_id, "village": c.place.village,
                    "grade": c.place.grade, "name": c.place.name, "plan": c.plan,
                    "opened_on": c.moves[0]["on_date"], "created_at": stamp,
                }
                for child, c in opened
            ],
        )  # fmt: skip
        ids = {
            (r.county, r.student_id, r.episode): r.id
            for r in conn.execute(
                select(Case.id, Case.county, Case.student_id, Case.episode).where(
                    Case.created_at == stamp
                )
            )
        }
        for child, c in opened:
            c.id = ids[(child[0], child[1], c.episode)]
    fresh = {id(c) for _, c in opened}
    moved = [c for c in latest.values() if c.dirty and id(c) not in fresh]
    if moved:
        conn.execute(
            update(Case)
            .where(Case.id == bindparam("cid"))
            .values(state=bindparam("st"), state_on=bindparam("on"), plan=bindparam("pl")),
            [{"cid": c.id, "st": c.state, "on": c.state_on, "pl": c.plan} for c in moved],
        )
    rows = [
        {**m, "case_id": c.id, "by_user_id": None, "recorded_at": stamp}
        for c in latest.values()
        for m in c.moves
    ]
    if rows:
        conn.execute(insert(CaseTransition), rows)


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
    if progress:
        progress(0, 3)
    with engine.begin() as conn:
        latest, keys = _ledger_state(conn)
        where = _places(tables, when, pd.concat([events["student_id"], _open_children(latest)]))
        opened, report = _play(events, where, latest, keys)
        if progress:
            progress(1, 3)
        _write(conn, opened, latest)
        report.relocated = _relocate(conn, latest, where)
        rows = conn.execute(select(Case.state, func.count()).group_by(Case.state)).all()
    report.by_state = {s: int(n) for s, n in rows}
    if progress:
        progress(3, 3)
    return report


def _open_children(latest: dict[Child, _Latest]) -> pd.Series:
    return pd.Series(
        [sid for (_, sid), c in latest.items() if c.state not in ("closed", "exempt")],
        dtype=object,
    )


def _relocate(conn: Connection, latest: dict[Child, _Latest], where: dict[str, Place]) -> int:
    """Open cases follow a child who enrolled at another school of the same county."""
    changes = []
    for (county, sid), case in latest.items():
        place = where.get(sid)
        if case.state in ("closed", "exempt") or place is None or place.county != county:
            continue
        if place.school_id != case.school_id:
            changes.append(
                {"cid": case.id, "tw": place.township, "sc": place.school_id, "gr": place.grade}
            )
            case.school_id = place.school_id
    if changes:
        conn.execute(
            update(Case)
            .where(Case.id == bindparam("cid"))
            .values(township=bindparam("tw"), school_id=bindparam("sc"), grade=bindparam("gr")),
            changes,
        )
    return len(changes)
