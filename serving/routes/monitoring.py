"""Monitoring county → township → school (→ village) in the caller's scope, and its report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from serving.cases.monitoring import totals
from serving.cases.periods import period_label
from serving.cases.reporting import export_for, monitoring_for
from serving.cases.schemas import MonitoringOut
from serving.deps import CurrentUser, Endpoint, Store

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Place = Annotated[str | None, Query(max_length=200)]


@router.get("", response_model=MonitoringOut)
def get_monitoring(
    who: CurrentUser,
    store: Store,
    level: Literal["county", "township", "school", "village"] = "county",
    on: dt.date | None = None,
    period: Literal["month", "quarter"] = "month",
    county: Place = None,
    township: Place = None,
    school_id: Place = None,
) -> MonitoringOut:
    """Counts per unit in your scope at the end of day `on` (default today); drill down with
    `county`, `township`, `school_id`; `change` is against the previous month or quarter."""
    day = on or dt.date.today()
    within = {"county": county, "township": township, "school_id": school_id}
    units = monitoring_for(store, who, level, day, period, within)
    return MonitoringOut(
        level=level,
        on=day,
        period=period,
        units=[u.as_dict() for u in units],  # type: ignore[misc]
        total=totals(units),
    )


@router.get("/export", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_report(
    who: CurrentUser,
    store: Store,
    endpoint: Endpoint,
    period: Literal["month", "quarter"] = "month",
    on: dt.date | None = None,
    lang: Literal["zh", "en"] = "zh",
    county: Place = None,
    township: Place = None,
    school_id: Place = None,
) -> Response:
    """The school's monthly (period=month) or the county's quarterly report as .xlsx."""
    day = on or dt.date.today()
    within = {"county": county, "township": township, "school_id": school_id}
    data = export_for(store, who, period, day, lang, within, endpoint)
    name = f"dropout-report-{period_label(day, period)}-{lang}.xlsx"
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
