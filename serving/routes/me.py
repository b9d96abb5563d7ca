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

    The high tier is the one tier rule's (`training/tiers.py`): risk at or above the cut-off
    found at the spec's visit capacity on the model's test snapshot. A batch's high tier is
    therefore close to, not exactly, that capacity (more children above the bar on a worse
    day, fewer on a better one); the high-tier students in your scope are the first ones on
    your list.
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
