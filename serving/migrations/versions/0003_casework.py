"""Casework ledger: cases, their transitions, "1 + N" teams and visits; keyed by
(county, student_id). Only adds tables: every existing row is kept.

Revision ID: 0003_casework
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_casework"
down_revision = "0002_county_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("county", sa.String(200), nullable=False),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_on", sa.Date, nullable=False),
        sa.Column("township", sa.String(200), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("village", sa.String(200), nullable=True),
        sa.Column("grade", sa.Integer, nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("plan", sa.String(32), nullable=True),
        sa.Column("lead_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("next_visit_due", sa.Date, nullable=True),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("county", "student_id", "episode", name="uq_cases_child_episode"),
    )
    op.create_index("ix_cases_place", "cases", ["county", "township", "school_id", "state"])
    op.create_index("ix_cases_child", "cases", ["county", "student_id"])
    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("plan", sa.String(32), nullable=True),
        sa.Column("by_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("source_key", sa.String(128), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_transitions_case_id", "case_transitions", ["case_id"])
    op.create_table(
        "case_team",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("by_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_index("ix_case_team_case_id", "case_team", ["case_id"])
    op.create_table(
        "case_visits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("visitor", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_visits_case_id", "case_visits", ["case_id"])


def downgrade() -> None:
    for table in ("case_visits", "case_team", "case_transitions", "cases"):
        op.drop_table(table)
