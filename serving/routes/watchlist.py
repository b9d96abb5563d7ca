"""The ranked list of students in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from serving.deps import AppMetrics, CurrentUser, Endpoint, Store
from serving.routes.place_context import contexts
from serving.routes.students import to_schema
from serving.schemas import Tier, Watchlist

router = APIRouter(prefix="/v1/watchlist", tags=["students"])


@router.get("", response_model=Watchlist)
def watchlist(
    who: CurrentUser,
    store: Store,
    metrics: AppMetrics,
    endpoint: Endpoint,
    school_id: str | None = None,
    township: str | None = None,
    county: str | None = None,
    tier: Tier | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Watchlist:
    """Students in your scope, highest risk first; filters outside your scope match nobody."""
    filters = {"school_id": school_id, "township": township, "county": county, "tier": tier}
    rows, total = store.watchlist(who, endpoint, filters, limit=limit, offset=offset)
    metrics.scores_served.labels("watchlist").inc(len(rows))
    batch = store.latest_batch() if not rows else None
    return Watchlist(
        total=total,
        limit=limit,
        offset=offset,
        as_of=rows[0].as_of if rows else (batch.as_of if batch else None),
        students=[to_schema(r) for r in rows],
        places=list(contexts(store, who, rows).values()),
    )
