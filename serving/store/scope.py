"""Every scope rule in one place: which score rows a caller's jurisdiction covers.

A student is (county, student_id). `all` covers every row; `county:C` the rows of C;
`township:C/T` and `school:C/S` the rows of that township or school *in county C*. A
township or school scope without its county (only an old store can hold one) covers
nobody: failing closed beats showing two counties' children.
"""

from __future__ import annotations

import functools

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, select

from serving.auth import Scope
from serving.models import Batch, Score
from serving.store.rows import SCORE_COLUMNS

SCORE_SELECT = [getattr(Score, c) for c in SCORE_COLUMNS] + [Batch.as_of, Batch.model_version]


def latest_published():  # -> scalar subquery
    """The id of the batch published most recently."""
    return (
        select(Batch.id)
        .where(Batch.published_at.is_not(None))
        .order_by(Batch.published_at.desc(), Batch.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _rule(kind: str, pinned: bool, value, county) -> ColumnElement[bool] | None:  # noqa: ANN001
    if kind == "all":
        return None
    if kind == "county":
        return Score.county == value
    if not pinned:
        return false()
    column = Score.township if kind == "township" else Score.school_id
    return and_(Score.county == county, column == value)


def scope_clause(scope: Scope) -> ColumnElement[bool] | None:
    """The rows `scope` covers, as a SQL condition on `scores` (None: every row)."""
    return _rule(scope.kind, scope.pinned, scope.value, scope.county)


def scope_counties(scope: Scope) -> ColumnElement[bool] | None:
    """The whole counties a scope lies in (None for `all`): what `/v1/me` may count."""
    county = scope.home_county
    if scope.kind == "all":
        return None
    return Score.county == county if county is not None else false()


def _one_student_where(kind: str, pinned: bool, with_county: bool, latest: bool = True) -> list:
    """Latest published batch (or any published one), one id (`:student_id`), optionally one
    county (`:county`), and the scope (`:scope_value`, `:scope_county`)."""
    batch = Score.batch_id == latest_published() if latest else Batch.published_at.is_not(None)
    where = [batch, Score.student_id == bindparam("student_id")]
    if with_county:
        where.append(Score.county == bindparam("county"))
    rule = _rule(kind, pinned, bindparam("scope_value"), bindparam("scope_county"))
    if rule is not None:
        where.append(rule)
    return where


def student_params(scope: Scope, student_id: str, county: str | None) -> dict[str, str | None]:
    return {
        "student_id": student_id,
        "county": county,
        "scope_value": scope.value,
        "scope_county": scope.county,
    }


# The hot-path statements are built once per scope kind: building a select() costs more
# than running it on SQLite.
@functools.cache
def student_query(kind: str, pinned: bool, with_county: bool) -> Select:
    """At most two in-scope rows for one id: two means the id is ambiguous."""
    where = _one_student_where(kind, pinned, with_county)
    return (
        select(*SCORE_SELECT)
        .join(Batch, Batch.id == Score.batch_id)
        .where(*where)
        .order_by(Score.county)
        .limit(2)
    )


@functools.cache
def left_query(kind: str, pinned: bool, with_county: bool) -> Select:
    """A student no longer in the latest batch (left school, or moved on): their rows in the
    newest stored batch that held them, judged by the scope of the school they were at."""
    where = _one_student_where(kind, pinned, with_county, latest=False)
    return (
        select(*SCORE_SELECT)
        .join(Batch, Batch.id == Score.batch_id)
        .where(*where)
        .order_by(Batch.published_at.desc(), Batch.id.desc(), Score.county)
        .limit(2)
    )


@functools.cache
def locate_query(kind: str, pinned: bool, with_county: bool) -> Select:
    """The counties (at most two) of the in-scope students with one id."""
    where = _one_student_where(kind, pinned, with_county)
    return select(Score.county).where(*where).order_by(Score.county).limit(2)


def query_for(scope: Scope, county: str | None, build) -> Select:  # noqa: ANN001
    return build(scope.kind, scope.pinned, county is not None)
