"""A caller's jurisdiction over cases: the same scopes as scores, read on the case's place."""

from __future__ import annotations

from sqlalchemy import and_, false

from serving.auth import Principal, Scope
from serving.cases.models import Case

MOVERS = ("all", "county", "township")


def case_scope(scope: Scope):  # -> SQL boolean or None
    """The WHERE clause limiting cases to `scope` (None: everything)."""
    column = scope.column
    if column is None:
        return None
    if not scope.pinned:  # a township or school without its county: fail closed, like scores
        return false()
    clause = getattr(Case, column) == scope.value
    return clause if scope.county is None else and_(clause, Case.county == scope.county)


def may_move(who: Principal) -> bool:
    """County and township case workers move cases and assign teams; schools read and visit."""
    return who.role == "caseworker" and who.scope.kind in MOVERS
