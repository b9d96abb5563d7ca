"""The ledger's tables (SQLAlchemy 2 ORM); migration 0003_casework creates them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from serving.models import Base


class Case(Base):
    """One child's episode out of (or perhaps out of) school; a new departure after a closed
    case is a new episode. Location is the child's last school, updated after a transfer."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[str] = mapped_column(String(64))
    episode: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    state_on: Mapped[dt.date] = mapped_column(Date)
    township: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[str] = mapped_column(String(64))
    village: Mapped[str | None] = mapped_column(String(200))
    grade: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(200))
    """Shown to case workers in scope so they know whom to visit; never logged."""
    plan: Mapped[str | None] = mapped_column(String(32))
    lead_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    next_visit_due: Mapped[dt.date | None] = mapped_column(Date)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("county", "student_id", "episode", name="uq_cases_child_episode"),
        Index("ix_cases_place", "county", "township", "school_id", "state"),
        Index("ix_cases_child", "county", "student_id"),
    )


class CaseTransition(Base):
    """A move of a case from one state to another (`from_state` None: the case opened)."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str | None] = mapped_column(String(32))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None: made by `cases sync` from the data."""
    source_key: Mapped[str | None] = mapped_column(String(128))
    """For sync: the data fact behind it (e.g. `dropout:2024-03-02`), so a rerun adds nothing."""
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CaseMember(Base):
    """One of the "N" responsible persons; replaced members keep their row (`until` set)."""

    __tablename__ = "case_team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CaseVisit(Base):
    """A visit recorded on a case (the team's home visits while the case is open)."""

    __tablename__ = "case_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
