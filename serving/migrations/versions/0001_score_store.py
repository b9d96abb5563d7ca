"""Score store: batches, scores, users, visits, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n_students", sa.Integer, nullable=False),
    )
    op.create_table(
        "scores",
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey("batches.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("student_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("township", sa.String(200), nullable=False),
        sa.Column("county", sa.String(200), nullable=False),
        sa.Column("grade", sa.SmallInteger, nullable=False),
        sa.Column("risk", sa.Float, nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("rank_school", sa.Integer, nullable=False),
        sa.Column("rank_county", sa.Integer, nullable=False),
        sa.Column("factors", sa.JSON, nullable=False),
    )
    op.create_index("ix_scores_batch_risk", "scores", ["batch_id", "risk"])
    op.create_index("ix_scores_batch_county", "scores", ["batch_id", "county", "risk"])
    op.create_index("ix_scores_batch_township", "scores", ["batch_id", "township", "risk"])
    op.create_index("ix_scores_batch_school", "scores", ["batch_id", "school_id", "risk"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(256), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_users_token_hash", "users", ["token_hash"], unique=True)
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("visitor", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_visits_student_id", "visits", ["student_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("endpoint", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_student_id", "audit_log", ["student_id"])


def downgrade() -> None:
    for table in ("audit_log", "visits", "users", "scores", "batches"):
        op.drop_table(table)
