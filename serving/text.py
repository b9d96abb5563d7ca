"""Text the store can hold: no NUL character, no lone surrogate (UTF-8 cannot encode one)."""

from __future__ import annotations


def clean_text(value: str) -> str:
    """`value` unchanged, or ValueError (a 422 in the API) naming what is wrong, not the text."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (not valid Unicode text)") from None
    return value
