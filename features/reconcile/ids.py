"""Resident identity numbers (GB 11643-1999): check, upgrade 15 -> 18, read birth date and sex.

An 18-character id is a 6-digit area code, the birth date YYYYMMDD, a 3-digit sequence whose
last digit is odd for men and even for women, and a check character computed from the first
17 digits (ISO 7064 MOD 11-2: weights 2^(17-i) mod 11; 10 is written `X`). A 15-digit legacy
id has a 2-digit year (19YY) and no check character; it is upgraded by inserting "19" and
appending the check character.

Everything here works on whole columns (numpy), because a county register holds a million
ids. Ids are personal data: no function here prints or logs one, and problems are described
without their value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import TEXT_DTYPE

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARACTERS = np.array(list("10X98765432"))
PROBLEMS = {
    "length": "not 18 characters (nor a 15-digit legacy number)",
    "characters": "holds something other than digits (and a final X)",
    "check": "check character does not match the first 17 digits (GB 11643)",
    "date": "the birth date inside the id is not a date",
}


@dataclass(frozen=True)
class ParsedIds:
    """Per input value: the 18-character id (NA when unusable), why not, and what it says."""

    normalized: pd.Series
    problem: np.ndarray
    """A key of PROBLEMS, or "" (fine or empty)."""
    birth_date: np.ndarray
    """datetime64[ns]; NaT where the id is unusable."""
    female: np.ndarray
    """bool; meaningful only where `normalized` is present."""


def check_character(body: str) -> str:
    """The GB 11643 check character of 17 digits."""
    return str(check_characters(np.array([body]))[0])


def check_characters(bodies: np.ndarray) -> np.ndarray:
    """Check characters of an array of 17-digit strings."""
    if len(bodies) == 0:
        return np.array([], dtype="<U1")
    digits = _digits(bodies.astype("<U17"), 17)
    return CHECK_CHARACTERS[(digits @ WEIGHTS) % 11]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) integer digits of fixed-width ASCII strings (callers checked they are digits)."""
    raw = np.frombuffer(values.astype(f"S{width}").tobytes(), dtype=np.uint8)
    return raw.reshape(len(values), width).astype(np.int64) - 48


def parse_ids(values: pd.Series) -> ParsedIds:
    """Check and normalise a column of ids; empty cells are fine and stay empty."""
    n = len(values)
    text = pd.Series(values, dtype=object).where(pd.Series(values).notna(), "")
    text = text.astype(str).str.strip().str.upper().to_numpy(dtype=object)
    present = text != ""
    length = np.fromiter((len(t) for t in text), dtype=np.int64, count=n)
    problem = np.full(n, "", dtype=object)
    problem[present & (length != 18) & (length != 15)] = "length"
    body = np.array([t[:17] if len(t) == 18 else t for t in text], dtype=object)
    digits_only = pd.Series(body, dtype=object).str.fullmatch(r"\d+").fillna(False).to_numpy()
    last_ok = np.array([len(t) != 18 or t[17] in "0123456789X" for t in text])
    problem[(problem == "") & present & ~(digits_only & last_ok)] = "characters"

    candidates = (problem == "") & present
    full = np.full(n, "", dtype=object)
    legacy = candidates & (length == 15)
    modern = candidates & (length == 18)
    full[modern] = text[modern]
    if legacy.any():
        upgraded = np.array([t[:6] + "19" + t[6:] for t in text[legacy]], dtype="<U17")
        full[legacy] = np.char.add(upgraded, check_characters(upgraded)).astype(object)
    if modern.any():
        bodies = np.array([t[:17] for t in text[modern]], dtype="<U17")
        given = np.array([t[17] for t in text[modern]])
        wrong = check_characters(bodies) != given
        problem[np.flatnonzero(modern)[wrong]] = "check"
    usable = candidates & (problem == "")
    born = pd.to_datetime(
        pd.Series([t[6:14] for t in full], dtype=object).where(usable),
        format="%Y%m%d",
        errors="coerce",
    ).to_numpy(dtype="datetime64[ns]")
    problem[usable & np.isnat(born)] = "date"
    usable &= problem == ""
    born[~usable] = np.datetime64("NaT")
    female = np.array([len(t) == 18 and int(t[16]) % 2 == 0 for t in full], dtype=bool)
    normalized = pd.Series(np.where(usable, full, None), dtype=TEXT_DTYPE)
    return ParsedIds(normalized, problem, born, female & usable)


def normalize_ids(values: pd.Series) -> pd.Series:
    """The 18-character form of each usable id (15-digit ones upgraded); NA otherwise."""
    return parse_ids(values).normalized.set_axis(values.index)
