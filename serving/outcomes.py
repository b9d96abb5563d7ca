"""What a home visit found: one list for the store, the API and the page."""

from __future__ import annotations

from typing import Literal

OUTCOMES: tuple[str, ...] = (
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
)
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
