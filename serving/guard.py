"""The first thing every request meets: a body cap, a refusal of NUL bytes, and headers.

Pure ASGI, outermost, so a too-large body is answered 413 before any byte of it is read
or parsed, with or without a token; a NUL byte in the path or query (PostgreSQL cannot
store one) is 422; and every response carries `nosniff`, a CSP, no referrer and, for
anything but static files, `Cache-Control: no-store` (JSON carries children's names).
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 2 * 1024 * 1024
"""`/v1/score`: up to 10,000 indicator rows."""
MAX_SMALL_BODY_BYTES = 64 * 1024
"""Every other endpoint (a visit is well under 10 kB)."""
_LARGE = ("/v1/score",)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
]
_NO_STORE = (b"cache-control", b"no-store")


class _TooLarge(HTTPException):
    """Raised from `receive` once a body without a length passes the cap: the framework
    answers it (413) where it reads the body, or `Guard` does."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"the request body is over {cap:,} bytes")


def body_cap(path: str) -> int:
    return MAX_BODY_BYTES if path in _LARGE else MAX_SMALL_BODY_BYTES


async def _answer(send: Send, status: int, detail: str | list[dict[str, object]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        _NO_STORE,
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Caps bodies, refuses NUL bytes in the URL, and sets the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cap = body_cap(path)
        query = scope.get("query_string", b"")
        where = "path" if "\x00" in path else "query" if b"%00" in query or b"\x00" in query else ""
        if where:  # shaped like every other 422 (FastAPI's validation errors)
            error = {"loc": [where], "msg": "holds a NUL character", "type": "nul_character"}
            await _answer(send, 422, [error])
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > cap):
                await _answer(send, 413, f"the request body is over {cap:,} bytes")
                return
        static = path.startswith("/static/")
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _TooLarge(cap)
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if not static and b"cache-control" not in present:
                    headers.append(_NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, capped_receive, with_headers)
        except _TooLarge:
            if not started:
                await _answer(send, 413, f"the request body is over {cap:,} bytes")
