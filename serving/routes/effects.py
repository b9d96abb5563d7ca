"""The last `dropout-risk effects` run in plain words: did the visits work? (read-only).

Aggregates only (an effect, its interval, counts): no child's record, so any signed-in
user may read it. The command writes it; the server never estimates anything itself.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, status

from dropout_risk.settings import get_settings
from serving.deps import CurrentUser
from serving.schemas import Problem

router = APIRouter(prefix="/v1/effects", tags=["effects"])


@router.get("", responses={404: {"model": Problem}})
def latest_effects(_who: CurrentUser) -> dict[str, Any]:
    """The latest estimate of the visits' effect, with its interval, counts and summary."""
    path = get_settings().home / "effects" / "latest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "no estimate yet: run `dropout-risk effects DATA_DIR`"
        ) from exc
