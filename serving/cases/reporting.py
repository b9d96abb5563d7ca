"""Monitoring and its spreadsheet for a caller: scoped, and audited for the cases listed."""

from __future__ import annotations

import datetime as dt

from serving.auth import Principal
from serving.cases.export import LEVEL_SHEETS, report_xlsx
from serving.cases.monitoring import Level, Unit, monitoring
from serving.cases.periods import Period
from serving.cases.report_words import Lang
from serving.cases.rules import OPEN_STATES
from serving.cases.views import list_cases
from serving.store import ScoreStore

_ALL = 1_000_000


def monitoring_for(
    store: ScoreStore,
    who: Principal,
    level: Level,
    on: dt.date,
    period: Period,
    within: dict[str, str | None],
) -> list[Unit]:
    """Counts per unit in the caller's scope (no student is named, so nothing to audit)."""
    with store.engine.connect() as conn:
        return monitoring(conn, who, level, on, period, within)


def export_for(
    store: ScoreStore,
    who: Principal,
    period: Period,
    on: dt.date,
    lang: Lang,
    within: dict[str, str | None],
    endpoint: str,
) -> bytes:
    """The month's (schools) or quarter's (townships and schools) report as .xlsx bytes."""
    with store.engine.begin() as conn:
        by_level = {
            lv: monitoring(conn, who, lv, on, period, within) for lv in LEVEL_SHEETS[period]
        }
        rows, _ = list_cases(conn, who, within, on, _ALL, 0)
        open_rows = [r for r in rows if r.state in OPEN_STATES]
        store._audit(conn, who, [(r.county, r.student_id) for r in open_rows], endpoint, "list")
    return report_xlsx(period, on, by_level, open_rows, lang)
