"""Contacts and school names for the case workers' page; one-time sign-in codes and sessions.

Revision ID: 0004_contact_signin
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_contact_signin"
down_revision = "0003_casework"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("county", sa.String(200), primary_key=True),
        sa.Column("school_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("township", sa.String(200), nullable=False),
    )
    op.create_table(
        "contacts",
        sa.Column("county", sa.String(200), primary_key=True),
        sa.Column("student_id", sa.String(64), primary_key=True),
        sa.Column("guardian", sa.String(16), nullable=True),
        sa.Column("father_migrant", sa.Boolean, nullable=True),
        sa.Column("mother_migrant", sa.Boolean, nullable=True),
        sa.Column("village", sa.String(200), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("guardian_name", sa.String(200), nullable=True),
        sa.Column("guardian_phone", sa.String(40), nullable=True),
        sa.Column("as_of", sa.Date, nullable=False),
    )
    op.create_table(
        "signin_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slot", sa.String(8), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user", "sessions")
    for table in ("sessions", "signin_codes", "contacts", "schools"):
        op.drop_table(table)
