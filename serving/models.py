"""The score store's tables (SQLAlchemy 2 ORM); the migrations in `migrations/` create them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the score store."""


class Batch(Base):
    """One scoring run: as-of date, model version, and when it was published (None: not yet)."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ready_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When every row was written (`score --no-publish`); None while a run still writes, or
    for a run that died: only those are pruned, and only by the holder of the run lock."""
    n_students: Mapped[int] = mapped_column(Integer, default=0)


class Score(Base):
    """One student's score in one batch; readers only see rows of the latest published batch.

    A student is (county, student_id): ids are unique within one county's data only.
    """

    __tablename__ = "scores"

    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    county: Mapped[str] = mapped_column(String(200), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    school_id: Mapped[str] = mapped_column(String(64))
    township: Mapped[str] = mapped_column(String(200))
    grade: Mapped[int] = mapped_column(SmallInteger)
    risk: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(16))
    rank_school: Mapped[int] = mapped_column(Integer)
    rank_county: Mapped[int] = mapped_column(Integer)
    enrolled_since: Mapped[dt.date | None] = mapped_column(Date)
    """The start of the student's first school year on record (no visit is dated earlier)."""
    factors: Mapped[list] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_scores_batch_risk", "batch_id", "risk"),
        Index("ix_scores_batch_county", "batch_id", "county", "risk"),
        Index("ix_scores_batch_township", "batch_id", "township", "risk"),
        Index("ix_scores_batch_school", "batch_id", "school_id", "risk"),
        Index("ix_scores_batch_student", "batch_id", "student_id"),
    )


class User(Base):
    """A person who calls the API; only the SHA-256 of their token is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(256))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When `users remove` revoked the token (the row stays for the audit log)."""


class Visit(Base):
    """A home visit to a student (county, student_id), recorded by a case worker."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[str] = mapped_column(String(64))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_visits_county_student", "county", "student_id"),)


class AuditEntry(Base):
    """Who read or wrote which student's record, when, and through which endpoint."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    county: Mapped[str | None] = mapped_column(String(200))
    """The student's county; None for a `not_found` id the caller gave without one."""
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    endpoint: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    """read (a record was shown), list (shown in a watchlist), write, or not_found."""
