"""Helpers for the ledger tests: users of each scope, and a store with a published batch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from serving.auth import Principal, Scope
from serving.cases.models import Case
from serving.cases.service import CaseService
from serving.store import ScoreStore
from serving.store.places import Place

TODAY = dt.date(2025, 3, 10)
EP = "POST /v1/cases"


def who(
    store: ScoreStore, scope: str, role: str = "caseworker", name: str | None = None
) -> Principal:
    """A signed-in user of `scope` (the token is authenticated as the server would)."""
    places = None
    if not store.places_in_latest():  # no batch yet: check the scope against the ledger's places
        with store.engine.connect() as conn:
            rows = conn.execute(select(Case.county, Case.township, Case.school_id).distinct())
            places = [Place(*r) for r in rows]
    token = store.add_user(name or f"{role}-{scope}", role, Scope.parse(scope), places)  # type: ignore[arg-type]
    found = store.authenticate(token)
    assert found is not None
    return found


def open_one(cases: CaseService, user: Principal, student_id: str, state: str = "suspected"):
    """Open a case by hand on 2025-03-01 and return its detail."""
    detail = cases.open(user, student_id, None, state, dt.date(2025, 3, 1), "reported", TODAY, EP)
    assert detail is not None
    return detail
