"""Whom to contact and where: school names, a child's guardian and address, the visit list.

Contact details go to case workers whose scope covers the child, and to nobody else; they
are never logged and never in the audit log's text (the audit keeps which child was read).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from serving.auth import Principal
from serving.deps import NOT_FOUND, CurrentUser, Endpoint, Store
from serving.people import Contact, find_contacts, school_names
from serving.routes.students import to_schema
from serving.schemas import StudentScore

router = APIRouter(prefix="/v1", tags=["contacts"])


class School(BaseModel):
    county: str
    school_id: str
    name: str


class ContactOut(BaseModel):
    """Whom to see about a child and where; any part may be unknown (null)."""

    guardian: str | None
    father_migrant: bool | None
    mother_migrant: bool | None
    village: str | None
    address: str | None
    guardian_name: str | None
    guardian_phone: str | None
    as_of: str


class VisitListEntry(BaseModel):
    student: StudentScore
    school_name: str | None
    contact: ContactOut | None


class VisitList(BaseModel):
    """The children to visit in order, with whom to see and where (print it for the day)."""

    as_of: str | None
    villages: list[str]
    students: list[VisitListEntry]


async def case_worker(who: CurrentUser) -> Principal:
    """Only case workers see contact details; researchers get 403."""
    if who.is_researcher:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "contact details are for case workers")
    return who


CaseWorker = Annotated[Principal, Depends(case_worker)]


def _out(contact: Contact | None) -> ContactOut | None:
    if contact is None:
        return None
    fields = {k: v for k, v in contact.__dict__.items() if k in ContactOut.model_fields}
    return ContactOut(**{**fields, "as_of": contact.as_of.isoformat()})


@router.get("/schools", response_model=list[School])
def schools_in_scope(who: CurrentUser, store: Store) -> list[School]:
    """Names of the schools in your scope."""
    summary = store.scope_summary(who)
    # Every scope but `all` lies in one county, so (county, school) pairs are exact.
    ids, counties = set(summary.schools), set(summary.counties)
    names = school_names(store.engine)
    return [
        School(county=c, school_id=s, name=n)
        for (c, s), n in sorted(names.items())
        if s in ids and c in counties
    ]


@router.get("/students/{student_id}/contact", response_model=ContactOut)
def student_contact(
    student_id: str, who: CaseWorker, store: Store, endpoint: Endpoint
) -> ContactOut:
    """The child's guardian, village, address and guardian's phone (case workers in scope)."""
    row = store.student(who, student_id, endpoint)
    found = None if row is None else find_contacts(store.engine, [(row.county, student_id)])
    contact = _out((found or {}).get((row.county, student_id))) if row else None
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return contact


@router.get("/visit-list", response_model=VisitList)
def visit_list(
    who: CaseWorker,
    store: Store,
    endpoint: Endpoint,
    school_id: str | None = None,
    township: str | None = None,
    village: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> VisitList:
    """Ranked children in your scope (a school, a township, a village) with their contacts."""
    filters = {"school_id": school_id, "township": township}
    rows, _ = store.watchlist(who, endpoint, filters, limit=500)
    found = find_contacts(store.engine, [(r.county, r.student_id) for r in rows])
    names = school_names(store.engine)
    villages = sorted({c.village for c in found.values() if c.village})
    entries = []
    for r in rows:
        contact = found.get((r.county, r.student_id))
        if village and (contact is None or contact.village != village):
            continue
        entries.append(
            VisitListEntry(
                student=to_schema(r),
                school_name=names.get((r.county, r.school_id)),
                contact=_out(contact),
            )
        )
    as_of = rows[0].as_of.isoformat() if rows else None
    return VisitList(as_of=as_of, villages=villages, students=entries[:limit])
