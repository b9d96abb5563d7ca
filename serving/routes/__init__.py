"""One router per resource; `ROUTERS` is what the app factory mounts (the page adds its own)."""

from __future__ import annotations

from fastapi import APIRouter

from serving.routes import (
    effects,
    health,
    history,
    last_visits,
    me,
    model,
    score,
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
    effects.router,
]
