"""A student's latest score, for callers whose scope covers the student."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from serving.deps import NOT_FOUND, AppMetrics, County, CurrentUser, Endpoint, Store, StudentId
from serving.routes.place_context import contexts
from serving.schemas import Problem, StudentScore
from serving.store import ScoreRow

router = APIRouter(prefix="/v1/students", tags=["students"])


def to_schema(row: ScoreRow) -> StudentScore:
    """A store row in the API's words."""
    return StudentScore(
        student_id=row.student_id,
        name=row.name,
        school_id=row.school_id,
        township=row.township,
        county=row.county,
        grade=row.grade,
        risk=row.risk,
        tier=row.tier,
        rank_in_school=row.rank_school,
        rank_in_county=row.rank_county,
        factors=row.factors,  # type: ignore[arg-type]
        as_of=row.as_of,
        model_version=row.model_version,
        left_school=row.left,
    )


@router.get(
    "/{student_id}",
    response_model=StudentScore,
    responses={404: {"model": Problem, "description": "Missing, or outside your scope."}},
)
def get_student(
    student_id: StudentId,
    who: CurrentUser,
    store: Store,
    metrics: AppMetrics,
    endpoint: Endpoint,
    county: County = None,
) -> StudentScore:
    """Latest score: risk, tier, ranks, top factors in plain words, as-of date, model version."""
    row = store.student(who, student_id, endpoint, county)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    metrics.scores_served.labels("student").inc()
    places = contexts(store, who, [row])
    out = to_schema(row)
    out.school_context = places.get(("school", row.county, row.school_id))
    out.township_context = places.get(("township", row.county, row.township))
    return out
