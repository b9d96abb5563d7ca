"""The latest visit date of each student on a page of the watchlist."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from serving.deps import County, CurrentUser, Endpoint, Store

router = APIRouter(prefix="/v1/visits", tags=["visits"])


@router.get("/latest", response_model=dict[str, dt.date])
def latest_visits(
    who: CurrentUser,
    store: Store,
    endpoint: Endpoint,
    student_id: Annotated[list[str], Query(max_length=500, description="Repeat for each id.")],
    county: County = None,
) -> dict[str, dt.date]:
    """The date of the latest visit of each listed student in your scope who has one (an id
    found in two counties of your scope is left out unless `county` says which)."""
    return store.last_visits(who, student_id, endpoint, county)
