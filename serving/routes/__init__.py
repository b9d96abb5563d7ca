"""One router per resource; `ROUTERS` is what the app factory mounts (the page adds its own)."""

from __future__ import annotations

from fastapi import APIRouter

from serving.routes import (
    cases,
    effects,
    health,
    history,
    last_visits,
    me,
    model,
    monitoring,
    not_enrolled,
    people,
    score,
    session,
    students,
    visits,
    watchlist,
)

ROUTERS: list[APIRouter] = [
    health.router,
    model.router,
    students.router,
    visits.router,
    watchlist.router,
    score.router,
    history.router,
    last_visits.router,
    me.router,
    cases.router,
    monitoring.router,
    people.router,
    session.router,
    not_enrolled.router,
    effects.router,
]
