"""A student is (county, student_id): scores, visits and the audit log keyed by county.

Existing rows are carried over: scores keep every row under the wider key; a visit or
audit row takes the county of its student in the newest batch that holds the id (the
lowest county name when that batch holds it twice; '' when no batch holds it); a
`township:X` or `school:X` user scope is pinned to X's one county in the latest published
batch (left as it is, matching nobody, when X is in no county or in several). Users get
`revoked_at` (`users remove`); batches get `ready_at` (every row written); scores get
`enrolled_since` (a visit is never dated before it).

Revision ID: 0002_county_key
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_county_key"
down_revision = "0001"
branch_labels = None
depends_on = None

_SCORE_INDEXES = {
    "ix_scores_batch_risk": ["batch_id", "risk"],
    "ix_scores_batch_county": ["batch_id", "county", "risk"],
    "ix_scores_batch_township": ["batch_id", "township", "risk"],
    "ix_scores_batch_school": ["batch_id", "school_id", "risk"],
}
_SCORE_COLUMNS = (
    "batch_id, county, student_id, name, school_id, township, grade, risk, tier, "
    "rank_school, rank_county, factors"
)
# The county of a student id in the newest batch that holds it.
_COUNTY_OF = (
    "(SELECT s.county FROM scores s WHERE s.student_id = {table}.student_id "
    "ORDER BY s.batch_id DESC, s.county LIMIT 1)"
)


def _scores_table(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column(
            "batch_id",
            sa.Integer,
            sa.ForeignKey("batches.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("county", sa.String(200), nullable=False),
        sa.Column("student_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("township", sa.String(200), nullable=False),
        sa.Column("grade", sa.SmallInteger, nullable=False),
        sa.Column("risk", sa.Float, nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("rank_school", sa.Integer, nullable=False),
        sa.Column("rank_county", sa.Integer, nullable=False),
        sa.Column("factors", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint(*key, name=f"pk_{name}"),
    )


def _rebuild_scores(key: tuple[str, ...], student_index: bool) -> None:
    """Copy `scores` into a table with primary key `key` and swap it in."""
    _scores_table("scores_rekeyed", key)
    op.execute(f"INSERT INTO scores_rekeyed ({_SCORE_COLUMNS}) SELECT {_SCORE_COLUMNS} FROM scores")
    op.drop_table("scores")
    op.rename_table("scores_rekeyed", "scores")
    for name, columns in _SCORE_INDEXES.items():
        op.create_index(name, "scores", columns)
    if student_index:
        op.create_index("ix_scores_batch_student", "scores", ["batch_id", "student_id"])


def _pin_user_scopes() -> None:
    conn = op.get_bind()
    latest = conn.execute(
        sa.text(
            "SELECT id FROM batches WHERE published_at IS NOT NULL "
            "ORDER BY published_at DESC, id DESC LIMIT 1"
        )
    ).scalar()
    if latest is None:
        return
    users = conn.execute(sa.text("SELECT id, scope FROM users")).all()
    for user_id, scope in users:
        kind, _, value = scope.partition(":")
        if kind not in ("township", "school") or "/" in value:
            continue
        column = "township" if kind == "township" else "school_id"
        counties = (
            conn.execute(
                sa.text(
                    f"SELECT DISTINCT county FROM scores WHERE batch_id = :b AND {column} = :v"
                ),
                {"b": latest, "v": value},
            )
            .scalars()
            .all()
        )
        if len(counties) == 1:
            conn.execute(
                sa.text("UPDATE users SET scope = :s WHERE id = :i"),
                {"s": f"{kind}:{counties[0]}/{value}", "i": user_id},
            )


def upgrade() -> None:
    _rebuild_scores(("batch_id", "county", "student_id"), student_index=True)
    op.add_column("scores", sa.Column("enrolled_since", sa.Date, nullable=True))
    for table in ("visits", "audit_log"):
        op.add_column(table, sa.Column("county", sa.String(200), nullable=True))
    op.execute(f"UPDATE visits SET county = COALESCE({_COUNTY_OF.format(table='visits')}, '')")
    op.execute(f"UPDATE audit_log SET county = {_COUNTY_OF.format(table='audit_log')}")
    with op.batch_alter_table("visits") as batch:
        batch.alter_column("county", existing_type=sa.String(200), nullable=False)
        batch.drop_index("ix_visits_student_id")
        batch.create_index("ix_visits_county_student", ["county", "student_id"])
    op.add_column("users", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("batches", sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE batches SET ready_at = published_at")
    _pin_user_scopes()


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("ready_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("visits") as batch:
        batch.drop_index("ix_visits_county_student")
        batch.drop_column("county")
        batch.create_index("ix_visits_student_id", ["student_id"])
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("county")
    # Fails (primary key) when a batch holds one id in two counties: such a store cannot go
    # back to a key without the county.
    op.drop_index("ix_scores_batch_student", "scores")
    _rebuild_scores(("batch_id", "student_id"), student_index=False)
