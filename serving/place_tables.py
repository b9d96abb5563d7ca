"""The `place_rates` table (migration 0005_place_rates): each batch's school and township
leaving rates, written by `score` beside the batch; dropped with the batch (cascade)."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()
batches = Table("batches", metadata, Column("id", Integer, primary_key=True))
place_rates = Table(
    "place_rates",
    metadata,
    Column("batch_id", ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True),
    Column("county", String(200), primary_key=True),
    Column("level", String(16), primary_key=True),  # "school" or "township"
    Column("place", String(200), primary_key=True),
    Column("enrolled", Integer, nullable=False),  # enrolled at some time in the 365 days
    Column("left", Integer, nullable=False),  # of whom left school in those 365 days
    Column("leaving_rate", Float, nullable=False),
)
