"""What a home visit found: one list for the store, the API and the page."""

from __future__ import annotations

from typing import Literal

from features.contract import VISIT_OUTCOMES

OUTCOMES: tuple[str, ...] = VISIT_OUTCOMES  # one list: the visits table and the API
# Literal of a tuple is the Literal of its items: the API's enum is the contract's list.
Outcome = Literal[VISIT_OUTCOMES]  # type: ignore[valid-type]
