"""On-demand scoring of indicator rows with the model in service (researchers)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from serving import inference
from serving.deps import AppMetrics, Models, Researcher
from serving.schemas import Invalid, Problem, ScoreRequest, ScoreResponse

router = APIRouter(prefix="/v1/score", tags=["model"])


@router.post(
    "", response_model=ScoreResponse, responses={403: {"model": Problem}, 422: {"model": Invalid}}
)
def score(
    body: ScoreRequest, models: Models, metrics: AppMetrics, _who: Researcher
) -> ScoreResponse:
    """Calibrated risk, tier and top factors for each indicator row, by the model in service."""
    served = models.current  # one model for the whole request, even if a swap happens meanwhile
    try:
        scores = inference.score(served, body.rows, k=body.top_k)
    except inference.RowError as exc:
        raise HTTPException(422, str(exc)) from None
    metrics.scores_served.labels("score").inc(len(scores))
    return ScoreResponse(model_version=served.version, scores=scores)  # type: ignore[arg-type]
