"""Errors that mean "the input is wrong", as opposed to a bug in this program.

The command line prints these as one clear message and exits non-zero; it never
shows a traceback for them. Training and serving subclass `UserError` for theirs.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad input, a missing file, a bad option."""


class DataError(UserError):
    """A data folder cannot be used; the message names the file, and row and column if known."""
