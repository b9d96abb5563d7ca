"""Sign-in on a phone: trade a one-time code for a session cookie; sign out."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from serving.deps import Store
from serving.signin import COOKIE, SESSION_TTL, ClientLimiter, end_session, redeem

router = APIRouter(prefix="/v1/session", tags=["session"])
WRONG_CODE = "this sign-in code is wrong, used or expired; ask for a new one"
TOO_MANY = "too many wrong sign-in codes from here; wait 15 minutes"


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)


class SessionOut(BaseModel):
    name: str
    expires_at: str


def _limiter(request: Request) -> ClientLimiter:
    state = request.app.state
    if not hasattr(state, "signin_limiter"):
        state.signin_limiter = ClientLimiter()
    return state.signin_limiter


@router.post("", response_model=SessionOut, responses={401: {}, 429: {}})
def sign_in(body: CodeIn, request: Request, response: Response, store: Store) -> SessionOut:
    """Trade a one-time code for a session cookie (HttpOnly, SameSite=Strict, expiring)."""
    limiter = _limiter(request)
    client = request.client.host if request.client else "unknown"
    if limiter.blocked(client):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, TOO_MANY)
    got = redeem(store.engine, body.code)
    if got is None:
        limiter.failed(client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_CODE)
    response.set_cookie(
        COOKIE,
        got.token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return SessionOut(name=got.user_name, expires_at=got.expires_at.isoformat())


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, store: Store) -> Response:
    """End this browser's session (the cookie stops working at once)."""
    token = request.cookies.get(COOKIE)
    if token:
        end_session(store.engine, token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
