"""A student's risk across the stored scoring batches (the trend on the case workers' page)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from serving.deps import NOT_FOUND, County, CurrentUser, Endpoint, Store, StudentId
from serving.schemas import Problem, TrendPoint

router = APIRouter(prefix="/v1/students/{student_id}/history", tags=["students"])


@router.get(
    "",
    response_model=list[TrendPoint],
    responses={404: {"model": Problem, "description": "Missing, or outside your scope."}},
)
def student_history(
    student_id: StudentId, who: CurrentUser, store: Store, endpoint: Endpoint, county: County = None
) -> list[TrendPoint]:
    """The student's risk and tier in each stored batch, oldest first (in scope now)."""
    points = store.history(who, student_id, endpoint, county)
    if points is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return [
        TrendPoint(as_of=p.as_of, risk=p.risk, tier=p.tier, model_version=p.model_version)
        for p in points
    ]
