"""What a home visit found: one list for the store, the API and the page."""

from __future__ import annotations

from typing import Literal

from features.contract import VISIT_OUTCOMES

OUTCOMES: tuple[str, ...] = VISIT_OUTCOMES  # one list: the visits table and the API
Outcome = Literal[
    "stays_in_school",
    "agreed_to_return",
    "returned_to_class",
    "new_class",
    "vocational_school",
    "not_home",
    "parent_refused",
    "child_working_away",
    "moved_away",
    "left",
]
