"""Home visits: recorded and listed only for students in the caller's scope."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, status

from serving.deps import NOT_FOUND, County, CurrentUser, Endpoint, Store, StudentId
from serving.schemas import Invalid, Problem, VisitIn, VisitOut
from serving.store import VisitRow

router = APIRouter(prefix="/v1/students/{student_id}/visits", tags=["visits"])
_404 = {404: {"model": Problem, "description": "Missing, or outside your scope."}}
_WRITE = {
    **_404,
    403: {"model": Problem, "description": "Researchers do not record visits."},
    422: {
        "model": Invalid,
        "description": "A date in the future, or before the student's first enrollment.",
    },
}


def _out(v: VisitRow) -> VisitOut:
    return VisitOut(
        id=v.id,
        student_id=v.student_id,
        date=v.visited_on,
        visitor=v.visitor,
        outcome=v.outcome,  # type: ignore[arg-type]
        notes=v.notes,
        recorded_at=v.recorded_at,
        county=v.county,
    )


@router.post("", response_model=VisitOut, status_code=status.HTTP_201_CREATED, responses=_WRITE)
def record_visit(
    student_id: StudentId,
    visit: VisitIn,
    who: CurrentUser,
    store: Store,
    endpoint: Endpoint,
    county: County = None,
) -> VisitOut:
    """Record a home visit (case workers): date (not in the future), visitor, outcome, notes."""
    if who.is_researcher:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "visits are recorded by case workers")
    if visit.date > dt.date.today():
        raise HTTPException(422, "the visit date is in the future")
    row = store.add_visit(
        who, student_id, visit.date, visit.visitor, visit.outcome, visit.notes, endpoint, county
    )
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return _out(row)


@router.get("", response_model=list[VisitOut], responses=_404)
def list_visits(
    student_id: StudentId, who: CurrentUser, store: Store, endpoint: Endpoint, county: County = None
) -> list[VisitOut]:
    """The student's recorded visits, oldest first."""
    rows = store.visits(who, student_id, endpoint, county)
    if rows is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return [_out(v) for v in rows]
