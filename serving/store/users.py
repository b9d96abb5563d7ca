"""Users: created with a scope checked against the places that exist, revoked at once."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from features.errors import UserError
from serving.auth import Principal, Role, Scope, hash_token, new_token
from serving.models import Score, User
from serving.store.places import Place, resolve_scope
from serving.store.rows import now
from serving.store.scope import latest_published


@dataclass(frozen=True)
class UserInfo:
    """A user as `users list` shows them (never the token)."""

    name: str
    role: str
    scope: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class Users:
    """Creating, listing, revoking and authenticating users."""

    engine: Engine

    def places_in_latest(self) -> list[Place]:
        """The schools of the latest published batch, as places (empty before the first)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Score.county, Score.township, Score.school_id)
                .where(Score.batch_id == latest_published())
                .distinct()
            ).all()
        return [Place(*r) for r in rows]

    def add_user(
        self, name: str, role: Role, scope: Scope, places: list[Place] | None = None
    ) -> str:
        """Create a user and return their token; the token itself is never stored.

        The scope is checked against `places` (a data folder's schools) or else the latest
        batch, and a township or school is pinned to its county; with neither, only `all`
        can be given.
        """
        source = "the data folder's schools table"
        if places is None:
            places, source = self.places_in_latest(), "the latest scoring batch"
        if scope.kind != "all" and not places:
            raise UserError(
                "no batch has been published yet, so the scope cannot be checked: "
                "give --data FOLDER (the data folder whose schools table names the places)"
            )
        scope = resolve_scope(scope, places, source)
        token = new_token()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(User).values(
                        name=name,
                        role=role,
                        scope=str(scope),
                        token_hash=hash_token(token),
                        created_at=now(),
                    )
                )
        except IntegrityError as exc:
            raise UserError(f"a user named {name!r} already exists (or was removed)") from exc
        return token

    def remove_user(self, name: str) -> None:
        """Revoke a user's token from the next request on; their audit rows are kept."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(User)
                .where(User.name == name, User.revoked_at.is_(None))
                .values(revoked_at=now(), token_hash="revoked:" + secrets.token_hex(24))
            ).rowcount
        if done != 1:
            raise UserError(f"there is no active user named {name!r} (see `users list`)")

    def users(self) -> list[UserInfo]:
        """Every user, oldest first, removed ones included."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(User.name, User.role, User.scope, User.created_at, User.revoked_at).order_by(
                    User.id
                )
            ).all()
        return [UserInfo(*r) for r in rows]

    def authenticate(self, token: str) -> Principal | None:
        """The active user a token belongs to, or None. Not cached: a removed user is refused
        from the next request on (one indexed lookup per request)."""
        if not token or len(token) > 256:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(User.id, User.name, User.role, User.scope).where(
                    User.token_hash == hash_token(token), User.revoked_at.is_(None)
                )
            ).first()
        return (
            None if row is None else Principal(row.id, row.name, row.role, Scope.parse(row.scope))
        )
