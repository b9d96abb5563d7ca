"""The champion's card and the researchers' reload button."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from serving.deps import Models, Researcher
from serving.schemas import ModelCard, Problem, ReloadResult

router = APIRouter(prefix="/v1/model", tags=["model"])
_WINDOW_KEYS = ("train_snapshots", "validation_snapshots", "test_snapshots", "horizon_days")


def _card_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """The card's headline fields from what training stored with the model."""
    window = meta.get("training_window") or {k: meta[k] for k in _WINDOW_KEYS if k in meta}
    return {
        "training_window": window or None,
        "metrics": meta.get("test_metrics") or meta.get("metrics") or {},
        "spec": meta.get("spec_name") or meta.get("spec"),
        "tier_thresholds": meta.get("tier_thresholds"),
        "family": meta.get("family", "lightgbm"),
        "candidate": meta.get("candidate"),
        "margins": meta.get("margins"),
    }


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
        **_card_fields(meta),
        details=meta,
    )


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses={403: {"model": Problem}, 503: {"model": Problem}},
)
def reload_model(models: Models, _who: Researcher) -> ReloadResult:
    """Check the champion alias now and swap in its version if it moved (researchers)."""
    from training.errors import RegistryError

    try:
        changed = models.check()
    except RegistryError as exc:  # the registry cannot say: never read as "nothing moved"
        raise HTTPException(503, str(exc)) from None
    return ReloadResult(changed=changed, model_version=models.current.version)
