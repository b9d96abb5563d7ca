"""Bearer tokens and jurisdiction scopes.

A token is shown once when the user is created; the store keeps only its SHA-256.
Tokens are 256 random bits, so a plain hash cannot be brute-forced and a lookup
by hash needs no per-user salt.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from features.errors import UserError

Role = Literal["caseworker", "researcher"]
ROLES: tuple[Role, ...] = ("caseworker", "researcher")
ScopeKind = Literal["all", "county", "township", "school"]
TOKEN_PREFIX = "drk_"


class ScopeError(UserError):
    """A scope string that is not `all`, `county:X`, `township:X` or `school:X`."""


@dataclass(frozen=True)
class Scope:
    """The jurisdiction a user may see: everything, or one county, township or school.

    Township names (城关镇) and school ids (0101) repeat across counties, so a township or
    school scope names its county: `township:COUNTY/TOWNSHIP`, `school:COUNTY/SCHOOL_ID`.
    `users add` pins a bare name to its one county; a stored scope without its county
    (left by an old version that could not pin it) matches nobody.
    """

    kind: ScopeKind
    value: str | None = None
    county: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Read `all`, `county:X`, `township:[COUNTY/]X` or `school:[COUNTY/]ID`."""
        text = text.strip()
        if text == "all":
            return cls("all")
        kind, sep, value = text.partition(":")
        value = value.strip()
        county = None
        if kind in ("township", "school") and "/" in value:
            county, _, value = (part.strip() for part in value.partition("/"))
            if not county:
                value = ""
        if not sep or kind not in ("county", "township", "school") or not value:
            raise ScopeError(
                f"scope {text!r} is not one of all, county:NAME, township:COUNTY/NAME, "
                "school:COUNTY/ID (or township:NAME, school:ID when the name is in one county)"
            )
        return cls(kind, value, county)  # type: ignore[arg-type]

    @property
    def column(self) -> str | None:
        """The score column this scope filters on (None: no filter)."""
        return {"all": None, "county": "county", "township": "township", "school": "school_id"}[
            self.kind
        ]

    @property
    def pinned(self) -> bool:
        """Whether the scope names one place unambiguously (a township or school with its
        county; `all` and `county:X` always do)."""
        return self.kind in ("all", "county") or self.county is not None

    @property
    def home_county(self) -> str | None:
        """The one county this scope lies in (None for `all`)."""
        return self.value if self.kind == "county" else self.county

    def __str__(self) -> str:
        if self.kind == "all":
            return "all"
        return f"{self.kind}:{self.county + '/' if self.county else ''}{self.value}"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    user_id: int
    name: str
    role: Role
    scope: Scope

    @property
    def is_researcher(self) -> bool:
        return self.role == "researcher"


def new_token() -> str:
    """A fresh bearer token (URL-safe, 256 bits of randomness)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex SHA-256 the store keeps in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_role(text: str) -> Role:
    """Check a role name."""
    if text not in ROLES:
        raise UserError(f"role {text!r} is not one of {', '.join(ROLES)}")
    return text  # type: ignore[return-value]
