"""Sign-in on a phone: a one-time short code that becomes an expiring session cookie.

An administrator (`dropout-risk users code NAME`) issues a code of 8 characters from an
alphabet without look-alikes. Its first two characters pick the code (a *slot*, unique among
live codes), the other six are the secret; only a hash is kept. A code is single-use, lives
a few minutes, and dies after a few wrong guesses against its slot; each client is also
limited in wrong guesses over a window. A good code becomes a session: a random token in an
HttpOnly, SameSite=Strict cookie, kept as a hash, expiring, and revocable
(`dropout-risk users signout NAME`). The long bearer token stays for API clients.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from features.errors import UserError
from serving.auth import Principal, Scope, hash_token
from serving.session_tables import codes, sessions, users

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH, SLOT_LENGTH = 8, 2
CODE_TTL = dt.timedelta(minutes=10)
SESSION_TTL = dt.timedelta(hours=12)
MAX_FAILURES_PER_CODE = 5
CLIENT_FAILURES, CLIENT_WINDOW_S = 10, 15 * 60
COOKIE = "drk_session"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def normalize(code: str) -> str:
    """What the person typed, as the code: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def pretty(code: str) -> str:
    """The code as it is read out: 7K3M-9QP2."""
    return f"{code[:4]}-{code[4:]}"


def _user_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            select(users.c.id).where(users.c.name == name, users.c.revoked_at.is_(None))
        ).scalar()
    if found is None:
        raise UserError(f"no user named {name!r} (dropout-risk users add creates one)")
    return int(found)


def issue_code(engine: Engine, name: str, issued_by: str) -> str:
    """A fresh single-use code for user `name`; the user's older unused codes stop working."""
    user_id = _user_id(engine, name)
    now = _now()
    with engine.begin() as conn:
        conn.execute(
            update(codes)
            .where(codes.c.user_id == user_id, codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        live = set(
            conn.execute(
                select(codes.c.slot).where(codes.c.used_at.is_(None), codes.c.expires_at > now)
            ).scalars()
        )
        for _ in range(100):
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code[:SLOT_LENGTH] not in live:
                break
        else:  # 961 slots: only a flood of codes in ten minutes gets here
            raise UserError("too many sign-in codes are live at once; try again in a few minutes")
        conn.execute(
            insert(codes).values(
                slot=code[:SLOT_LENGTH],
                code_hash=hash_token(code),
                user_id=user_id,
                issued_by=issued_by,
                expires_at=now + CODE_TTL,
                failures=0,
            )
        )
    return code


class ClientLimiter:
    """Wrong guesses per client (address) over a sliding window, in this process."""

    def __init__(self, limit: int = CLIENT_FAILURES, window_s: float = CLIENT_WINDOW_S) -> None:
        self.limit, self.window_s = limit, window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        with self._lock:
            recent = self._recent(client)
            return len(recent) >= self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(time.monotonic())
            if len(self._seen) > 100_000:
                self._seen.clear()  # memory stays bounded under a flood of addresses

    def _recent(self, client: str) -> deque[float]:
        recent = self._seen.setdefault(client, deque())
        while recent and time.monotonic() - recent[0] > self.window_s:
            recent.popleft()
        return recent


@dataclass(frozen=True)
class Redeemed:
    """A new session: the cookie's value (shown once) and who it belongs to."""

    token: str
    user_name: str
    expires_at: dt.datetime


def redeem(engine: Engine, typed: str) -> Redeemed | None:
    """Trade a code for a session; None for a wrong, used, expired or exhausted code.

    A wrong secret in a live slot counts against that code: after MAX_FAILURES_PER_CODE
    it is void even for the right secret.
    """
    code = normalize(typed)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    now = _now()
    with engine.begin() as conn:
        row = conn.execute(
            select(codes)
            .where(codes.c.slot == code[:SLOT_LENGTH], codes.c.used_at.is_(None))
            .order_by(codes.c.id.desc())
        ).first()
        if row is None or _aware(row.expires_at) <= now:
            return None
        good = secrets.compare_digest(row.code_hash, hash_token(code))
        if not good or row.failures >= MAX_FAILURES_PER_CODE:
            failures = row.failures + (0 if good else 1)
            values: dict = {"failures": failures}
            if failures >= MAX_FAILURES_PER_CODE:
                values["used_at"] = now  # void: the holder asks for a new code
            conn.execute(update(codes).where(codes.c.id == row.id).values(**values))
            return None
        # Single use even under a race: only the request that flips used_at wins.
        won = conn.execute(
            update(codes).where(codes.c.id == row.id, codes.c.used_at.is_(None)).values(used_at=now)
        ).rowcount
        if won != 1:
            return None
        token = secrets.token_urlsafe(32)
        expires = now + SESSION_TTL
        conn.execute(
            insert(sessions).values(
                token_hash=hash_token(token),
                user_id=row.user_id,
                created_at=now,
                expires_at=expires,
            )
        )
        name = conn.execute(select(users.c.name).where(users.c.id == row.user_id)).scalar_one()
    return Redeemed(token, name, expires)


def session_user(engine: Engine, token: str) -> Principal | None:
    """The user of a live (unexpired, unrevoked) session, or None."""
    query = (
        select(users.c.id, users.c.name, users.c.role, users.c.scope, sessions.c.expires_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(
            sessions.c.token_hash == hash_token(token),
            sessions.c.revoked_at.is_(None),
            users.c.revoked_at.is_(None),
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or _aware(row.expires_at) <= _now():
        return None
    return Principal(row.id, row.name, row.role, Scope.parse(row.scope))


def end_session(engine: Engine, token: str) -> None:
    """Revoke one session (signing out on the phone)."""
    with engine.begin() as conn:
        conn.execute(
            update(sessions)
            .where(sessions.c.token_hash == hash_token(token), sessions.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )


def sign_out_everywhere(engine: Engine, name: str) -> int:
    """Revoke every session and unused code of user `name`; returns sessions revoked."""
    user_id = _user_id(engine, name)
    now = _now()
    with engine.begin() as conn:
        conn.execute(
            update(codes)
            .where(codes.c.user_id == user_id, codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        return conn.execute(
            update(sessions)
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
