"""Who is calling: name, scope, their share of the visit capacity, and the places in scope."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import CurrentUser, Models, Store
from serving.schemas import Capacity, Me

router = APIRouter(prefix="/v1", tags=["students"])
DEFAULT_HORIZON_DAYS = 180


@router.get("/me", response_model=Me)
def me(who: CurrentUser, store: Store, models: Models) -> Me:
    """Your name and scope; how many of the batch's planned visits fall in your scope.

    The batch's high tier is exactly the visit capacity of the model's spec (a count, or a
    share of everyone scored), taken by overall rank; the high-tier students in your scope
    are therefore your share of that capacity, and they are the first ones on your list.
    """
    summary = store.scope_summary(who)
    horizon = models.current.scorer.meta.get("horizon_days", DEFAULT_HORIZON_DAYS)
    return Me(
        name=who.name,
        role=who.role,
        scope=str(who.scope),
        as_of=summary.as_of,
        horizon_days=int(horizon),
        capacity=Capacity(
            batch=summary.tiers_in_batch.get("high", 0),
            scope=summary.tiers_in_scope.get("high", 0),
        ),
        tiers=summary.tiers_in_scope,
        schools=summary.schools,
        townships=summary.townships,
        counties=summary.counties,
    )
