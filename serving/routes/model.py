"""The champion's card and the researchers' reload button."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import Models, Researcher
from serving.schemas import ModelCard, Problem, ReloadResult

router = APIRouter(prefix="/v1/model", tags=["model"])
_CARD_KEYS = ("training_window", "metrics", "spec", "tier_thresholds")


@router.get("", response_model=ModelCard, responses={403: {"model": Problem}})
def model_card(models: Models, _who: Researcher) -> ModelCard:
    """The model in service: version, training window, metrics, features (researchers)."""
    served = models.current
    meta = served.scorer.meta
    return ModelCard(
        name=models.model_name,
        version=served.version,
        source=served.source,
        loaded_at=served.loaded_at,
        features=served.scorer.features,
        categorical=served.scorer.categorical,
        **{k: meta[k] for k in _CARD_KEYS if meta.get(k) is not None},
        details={k: v for k, v in meta.items() if k not in _CARD_KEYS},
    )


@router.post("/reload", response_model=ReloadResult, responses={403: {"model": Problem}})
def reload_model(models: Models, _who: Researcher) -> ReloadResult:
    """Check the champion alias now and swap in its version if it moved (researchers)."""
    changed = models.check()
    return ReloadResult(changed=changed, model_version=models.current.version)
