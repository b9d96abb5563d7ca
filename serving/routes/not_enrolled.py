"""Children of school age in the household register who are in no school: a list to visit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from serving.deps import CurrentUser
from serving.reconciled import visit_list

router = APIRouter(prefix="/v1/not-enrolled", tags=["reconciliation"])


class Child(BaseModel):
    name: str | None
    county: str | None
    township: str | None
    village: str | None
    age: int | None


class NotEnrolled(BaseModel):
    total: int
    limit: int
    offset: int
    as_of: dt.date | None
    children: list[Child]


@router.get("", response_model=NotEnrolled)
def not_enrolled(
    who: CurrentUser,
    request: Request,
    township: str | None = None,
    county: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotEnrolled:
    """Not-enrolled children of your scope from the latest reconciliation (name, village, age)."""
    rows = visit_list(request.app.state.home, who.scope, township=township, county=county)
    page = rows.iloc[offset : offset + limit]
    as_of = rows["as_of"].max() if len(rows) else None

    def text(value: object) -> str | None:
        return None if value is None or value != value else str(value)

    return NotEnrolled(
        total=len(rows),
        limit=limit,
        offset=offset,
        as_of=None if as_of is None else as_of.date(),
        children=[
            Child(
                name=text(r.name),
                county=text(r.county),
                township=text(r.township),
                village=text(r.village),
                age=None if r.age != r.age else int(r.age),
            )
            for r in page.itertuples(index=False)
        ],
    )
