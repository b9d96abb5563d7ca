"""Casework: cases in the caller's scope, their history, moves, teams and visits.

A case outside the caller's scope answers 404 exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from serving.cases.ledger import Member
from serving.cases.rules import TransitionRefused
from serving.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseList,
    CaseVisitIn,
    ReturneeOut,
    StateName,
    TeamIn,
    TransitionIn,
)
from serving.cases.service import CaseService, NotAllowed
from serving.cases.views import CaseDetail
from serving.deps import CurrentUser, Endpoint
from serving.schemas import Invalid, Problem

router = APIRouter(prefix="/v1/cases", tags=["cases"])
CASE_NOT_FOUND = "case not found"
# A case id fits the database's 64-bit integer; anything larger is a 422, never a 500.
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_ERRORS = {
    404: {"model": Problem, "description": "Missing, or outside your scope."},
    403: {"model": Problem, "description": "Only county and township case workers move cases."},
    409: {"model": Problem, "description": "The rules refuse this move from the case's state."},
    422: {"model": Invalid, "description": "A field the move needs is missing or wrong."},
}


def _cases(request: Request) -> CaseService:
    return CaseService(request.app.state.store)


def _detail(found: CaseDetail | None) -> CaseDetailOut:
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, CASE_NOT_FOUND)
    return CaseDetailOut.model_validate(
        {
            "case": found.case.__dict__,
            "team": found.team,
            "transitions": found.transitions,
            "visits": found.visits,
        }
    )


def _guarded(call):  # noqa: ANN001, ANN202
    try:
        return call()
    except TransitionRefused as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except NotAllowed as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc


@router.get("", response_model=CaseList)
def list_cases(
    request: Request,
    who: CurrentUser,
    endpoint: Endpoint,
    state: StateName | None = None,
    school_id: str | None = None,
    township: str | None = None,
    county: str | None = None,
    student_id: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CaseList:
    """Cases in your scope, most recently moved first (filters: state, place, overdue)."""
    filters = {
        "state": state,
        "school_id": school_id,
        "township": township,
        "county": county,
        "student_id": student_id,
        "overdue": overdue,
    }
    rows, total = _cases(request).list(who, filters, dt.date.today(), limit, offset, endpoint)
    return CaseList.model_validate(
        {"total": total, "limit": limit, "offset": offset, "cases": [r.__dict__ for r in rows]}
    )


@router.get("/returnees", response_model=list[ReturneeOut])
def list_returnees(
    request: Request,
    who: CurrentUser,
    endpoint: Endpoint,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReturneeOut]:
    """Returned children whose case is not closed yet, highest current risk first."""
    rows = _cases(request).returnees(who, dt.date.today(), limit, endpoint)
    return [
        ReturneeOut.model_validate({"case": r.case.__dict__, "risk": r.risk, "tier": r.tier})
        for r in rows
    ]


@router.post("", response_model=CaseDetailOut, status_code=201, responses=_ERRORS)
def open_case(
    request: Request, body: CaseIn, who: CurrentUser, endpoint: Endpoint
) -> CaseDetailOut:
    """Open a case by hand for a child in your scope (a new episode once the last one closed)."""
    service = _cases(request)
    return _detail(
        _guarded(
            lambda: service.open(
                who,
                body.student_id,
                body.county,
                body.state,
                body.date,
                body.reason,
                dt.date.today(),
                endpoint,
            )
        )
    )


@router.get("/{case_id}", response_model=CaseDetailOut, responses=_ERRORS)
def get_case(
    request: Request, case_id: CaseId, who: CurrentUser, endpoint: Endpoint
) -> CaseDetailOut:
    """The case, its team and its whole history."""
    return _detail(_cases(request).get(who, case_id, dt.date.today(), endpoint))


@router.post("/{case_id}/transitions", response_model=CaseDetailOut, responses=_ERRORS)
def move_case(
    request: Request, case_id: CaseId, body: TransitionIn, who: CurrentUser, endpoint: Endpoint
) -> CaseDetailOut:
    """Move a case: {"to", "date", "reason", "plan"}."""
    service = _cases(request)
    return _detail(
        _guarded(
            lambda: service.move(
                who, case_id, body.to, body.date, body.reason, body.plan, dt.date.today(), endpoint
            )
        )
    )


@router.put("/{case_id}/team", response_model=CaseDetailOut, responses=_ERRORS)
def set_team(
    request: Request, case_id: CaseId, body: TeamIn, who: CurrentUser, endpoint: Endpoint
) -> CaseDetailOut:
    """Set the lead mentor, the N responsible persons and the next visit's due date."""
    members = [Member(m.name, m.role, m.phone) for m in body.members]
    service = _cases(request)
    return _detail(
        _guarded(
            lambda: service.set_team(
                who, case_id, body.lead, members, body.next_visit_due, dt.date.today(), endpoint
            )
        )
    )


@router.post("/{case_id}/visits", response_model=CaseDetailOut, status_code=201, responses=_ERRORS)
def record_visit(
    request: Request, case_id: CaseId, body: CaseVisitIn, who: CurrentUser, endpoint: Endpoint
) -> CaseDetailOut:
    """Record a team visit on the case (and, optionally, when the next one is due)."""
    service = _cases(request)
    return _detail(
        _guarded(
            lambda: service.add_visit(
                who,
                case_id,
                body.date,
                body.visitor,
                body.notes,
                body.next_visit_due,
                dt.date.today(),
                endpoint,
            )
        )
    )
