"""Which transitions a case may make, and what each needs (DESIGN.md, "Casework")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

State = Literal["suspected", "confirmed", "persuading", "returned", "closed", "exempt"]
STATES: tuple[State, ...] = ("suspected", "confirmed", "persuading", "returned", "closed", "exempt")
OPEN_STATES: tuple[State, ...] = ("suspected", "confirmed", "persuading", "returned")
OUT_OF_SCHOOL: tuple[State, ...] = ("confirmed", "persuading")
PLANS = ("original_class", "new_class", "vocational_school", "home_delivery", "special_school")
EXEMPT_REASONS = ("moved_out", "deceased", "medical_deferral", "aged_out")
TEAM_ROLES = ("school", "township", "village", "department", "family")
STATE_WORDS: dict[str, tuple[str, str]] = {
    "suspected": ("suspected", "疑似辍学"),
    "confirmed": ("out of school", "辍学"),
    "persuading": ("being persuaded back", "劝返中"),
    "returned": ("returned", "已复学"),
    "closed": ("closed", "销号"),
    "exempt": ("exempt", "不计辍学"),
}

# A closed or exempt case never moves again: a new departure is a new episode.
ALLOWED: dict[str, tuple[State, ...]] = {
    "suspected": ("confirmed", "persuading", "returned", "closed", "exempt"),
    "confirmed": ("persuading", "returned", "exempt"),
    "persuading": ("confirmed", "returned", "exempt"),
    "returned": ("confirmed", "closed", "exempt"),
    "closed": (),
    "exempt": (),
}


class TransitionRefused(Exception):
    """A transition the rules refuse; `status` is 409 (wrong state) or 422 (missing field)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def check_transition(
    current: str,
    last_on: dt.date,
    to: str,
    on: dt.date,
    reason: str | None,
    plan: str | None,
) -> None:
    """Raise TransitionRefused unless `current` → `to` on `on` makes sense."""
    if to not in STATES:
        raise TransitionRefused(f"state {to!r} is not one of {', '.join(STATES)}", 422)
    if current in ("closed", "exempt"):
        raise TransitionRefused(
            f"the case is {current}: a child who leaves again needs a new episode (open a new case)"
        )
    if to == current:
        raise TransitionRefused(f"the case is already {current}")
    if to not in ALLOWED[current]:
        allowed = ", ".join(ALLOWED[current])
        raise TransitionRefused(f"a {current} case can move to {allowed}, not to {to}")
    if on < last_on:
        raise TransitionRefused(
            f"date {on} is before the case's last move ({last_on}); history is never rewritten"
        )
    if to == "exempt" and reason not in EXEMPT_REASONS:
        raise TransitionRefused(f"exempt needs a reason, one of {', '.join(EXEMPT_REASONS)}", 422)
    if to == "returned" and plan not in PLANS:
        raise TransitionRefused(f"returned needs a plan, one of {', '.join(PLANS)}", 422)
    if to == "closed" and current == "suspected" and not (reason or "").strip():
        raise TransitionRefused("closing a suspected case needs a reason (why it is not one)", 422)


def check_opening(state: str, reason: str | None) -> None:
    """A case opens as suspected or confirmed, with a reason."""
    if state not in ("suspected", "confirmed"):
        raise TransitionRefused(f"a case opens as suspected or confirmed, not {state}", 422)
    if not (reason or "").strip():
        raise TransitionRefused("opening a case needs a reason", 422)


def check_not_future(on: dt.date, today: dt.date) -> None:
    """A move or visit is recorded after it happened (a day of slack for time zones)."""
    if on > today + dt.timedelta(days=1):
        raise TransitionRefused(f"date {on} is in the future", 422)
