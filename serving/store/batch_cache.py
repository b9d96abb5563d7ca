"""Figures that change only with a new published batch, computed once per batch.

A published batch never changes, so a figure over it (a scope's counts for monitoring, a
scope's school and township means for the card) is computed on the first request after the
batch is published and read from here by the next ones. Keyed by the store's URL, the batch
and its publication time (a batch id could come back after a prune), and the caller's key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from serving.models import Batch
from serving.store.scope import latest_published

T = TypeVar("T")
_VALUES: dict[tuple[Hashable, ...], Any] = {}
_LOCK = threading.Lock()
_MAX = 1024  # a few hundred scopes per batch at most; cleared whole when it fills


def for_latest_batch(
    conn: Connection, key: tuple[Hashable, ...], compute: Callable[[int], T]
) -> T | None:
    """`compute(batch_id)` for the latest published batch, once per batch and `key`; None
    when no batch is published."""
    latest = conn.execute(
        select(Batch.id, Batch.published_at).where(Batch.id == latest_published())
    ).first()
    if latest is None:
        return None
    url = conn.engine.url.render_as_string(hide_password=True)
    full = (url, int(latest.id), latest.published_at, *key)
    with _LOCK:
        if full in _VALUES:
            return _VALUES[full]
    value = compute(int(latest.id))
    with _LOCK:
        if len(_VALUES) >= _MAX:
            _VALUES.clear()
        _VALUES[full] = value
    return value
