"""The sign-in tables as `serving.signin` reads and writes them (migration 0004_contact_signin
creates them; `users` is the score store's own table, named here for joins)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200)),
    Column("role", String(16)),
    Column("scope", String(256)),
    Column("revoked_at", DateTime(timezone=True)),  # `users remove`: no code, no session
)
codes = Table(
    "signin_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slot", String(8), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("issued_by", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("failures", Integer, nullable=False, default=0),
)
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
