"""Helpers for the ledger tests: users of each scope, and a store with a published batch."""

from __future__ import annotations

import datetime as dt

from serving.auth import Principal, Scope
from serving.cases.service import CaseService
from serving.store import ScoreStore
from serving.store.places import Place

TODAY = dt.date(2025, 3, 10)
EP = "POST /v1/cases"


def who(
    store: ScoreStore, scope: str, role: str = "caseworker", name: str | None = None
) -> Principal:
    """A signed-in user of `scope` (the token is authenticated as the server would)."""
    parsed = Scope.parse(scope)
    token = store.add_user(name or f"{role}-{scope}", role, parsed, _places(parsed))  # type: ignore[arg-type]
    found = store.authenticate(token)
    assert found is not None
    return found


def _places(scope: Scope) -> list[Place] | None:
    """The one place a pinned scope names, so a user can be made before any batch."""
    if scope.kind == "all" or not scope.pinned:  # a bare name: the latest batch pins it
        return None
    county = scope.home_county or ""
    township = scope.value if scope.kind == "township" else "-"
    school = scope.value if scope.kind == "school" else "-"
    return [Place(county, township or "-", school or "-")]


def open_one(cases: CaseService, user: Principal, student_id: str, state: str = "suspected"):
    """Open a case by hand on 2025-03-01 and return its detail."""
    detail = cases.open(user, student_id, None, state, dt.date(2025, 3, 1), "reported", TODAY, EP)
    assert detail is not None
    return detail
