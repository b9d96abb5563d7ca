"""Errors of the training library: each is a problem the user can fix."""

from __future__ import annotations

from features.errors import UserError


class SpecError(UserError):
    """A model spec is invalid; the message names the key."""


class TableError(UserError):
    """A training table cannot be used; the message names the file and column."""


class RegistryError(UserError):
    """The MLflow registry does not hold what was asked for (a version, a champion)."""
