"""Each batch's school and township leaving rates (the year before its as-of date).

Revision ID: 0005_place_rates
Revises: 0004_contact_signin
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_place_rates"
down_revision = "0004_contact_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place_rates",
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey("batches.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("county", sa.String(200), primary_key=True),
        sa.Column("level", sa.String(16), primary_key=True),
        sa.Column("place", sa.String(200), primary_key=True),
        sa.Column("enrolled", sa.Integer, nullable=False),
        sa.Column("left", sa.Integer, nullable=False),
        sa.Column("leaving_rate", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("place_rates")
