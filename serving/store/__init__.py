"""The score store: batches published atomically, scoped reads, users, visits, audit log.

One module per idea: `scope` (every scope rule), `places` (checking a scope's names),
`batches`, `users`, `reads`, `visits`, `auditing`; `core.ScoreStore` joins them. A student
is keyed by (county, student_id) everywhere.
"""

from serving.store.batches import KEEP_BATCHES
from serving.store.core import ScoreStore
from serving.store.places import Place, places_from_data
from serving.store.rows import (
    SCORE_COLUMNS,
    AmbiguousStudent,
    BatchInfo,
    HistoryPoint,
    ScopeSummary,
    ScoreRow,
    VisitRow,
)
from serving.store.users import UserInfo
from serving.store.visits import OUTCOMES

__all__ = [
    "KEEP_BATCHES",
    "OUTCOMES",
    "SCORE_COLUMNS",
    "AmbiguousStudent",
    "BatchInfo",
    "HistoryPoint",
    "Place",
    "ScopeSummary",
    "ScoreRow",
    "ScoreStore",
    "UserInfo",
    "VisitRow",
    "places_from_data",
]
