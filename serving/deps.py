"""Typed dependencies: the store, the model in service, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.auth import Principal
from serving.lifecycle import ModelLifecycle
from serving.metrics import Metrics
from serving.signin import COOKIE as SESSION_COOKIE
from serving.signin import session_user
from serving.store import ScoreStore

# Trivial dependencies are `async def` on purpose: a sync one costs a threadpool hop per
# request. `current_user` stays sync because a cache miss queries the store.
_bearer = HTTPBearer(
    auto_error=False, description="The token `dropout-risk users add` printed for you."
)
UNAUTHORIZED = "missing or invalid bearer token"
NOT_FOUND = "student not found"
AUDIT_DOWN = "the audit log cannot be written right now, so nothing is shown; try again"
AMBIGUOUS = "students of several counties in your scope have this id: add ?county=COUNTY"

StudentId = Annotated[str, Path(min_length=1, max_length=64, description="The student's id.")]
County = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="The student's county: needed only when the id is in several counties.",
    ),
]


async def get_store(request: Request) -> ScoreStore:
    return request.app.state.store


async def get_models(request: Request) -> ModelLifecycle:
    return request.app.state.models


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


Store = Annotated[ScoreStore, Depends(get_store)]
Models = Annotated[ModelLifecycle, Depends(get_models)]
AppMetrics = Annotated[Metrics, Depends(get_metrics)]


def current_user(
    store: Store,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller named by the bearer token, else by the page's session cookie; 401 (one body
    for missing and wrong) otherwise."""
    who = None if credentials is None else store.authenticate(credentials.credentials)
    if credentials is None and (session := request.cookies.get(SESSION_COOKIE)):
        who = session_user(store.engine, session)
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}
        )
    return who


CurrentUser = Annotated[Principal, Depends(current_user)]


async def researcher(who: CurrentUser) -> Principal:
    """Only researchers pass; case workers get 403."""
    if not who.is_researcher:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this endpoint is for researchers")
    return who


Researcher = Annotated[Principal, Depends(researcher)]


async def endpoint(request: Request) -> str:
    """`METHOD /route/{template}` for the audit log."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


Endpoint = Annotated[str, Depends(endpoint)]
