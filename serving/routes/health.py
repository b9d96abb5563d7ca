"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from serving.deps import AppMetrics, CurrentUser, Models, Store
from serving.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz(models: Models, store: Store) -> Health:
    """Liveness: the model version in service and the as-of date of the published batch."""
    served = models.current
    batch = store.latest_batch()
    return Health(
        status="ok",
        model_version=served.version,
        model_source=served.source,
        batch_as_of=batch.as_of if batch else None,
    )


@router.get("/metrics", response_class=Response)
def metrics(metrics: AppMetrics, _who: CurrentUser) -> Response:
    """Prometheus metrics (any valid token): latency by route, scores served, model version."""
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
