"""The children: who they are, when they started school, and the hidden traits behind risk.

Households have one to three children who start grade 1 a few years apart. The
county's children are every child who is in grades 1-9 in the first school year or
starts grade 1 during the years generated. Hidden traits (ability, engagement, an
unobserved propensity) drive grades, absence and leaving; only their effects are written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.contract import DISABILITIES

from .households import Households
from .names import given_names, surname_choices

_DISABILITY_P = np.array([0.9875, 0.003, 0.001, 0.0015, 0.0045, 0.001, 0.0005])
INTELLECTUAL = DISABILITIES.index("intellectual")
MULTIPLE = DISABILITIES.index("multiple")


@dataclass
class Students:
    """Fixed facts and hidden traits of every child, as parallel arrays."""

    student_id: np.ndarray  # str
    household: np.ndarray  # index into Households
    female: np.ndarray
    birth_date: np.ndarray  # datetime64[D]
    minority: np.ndarray
    disability: np.ndarray  # index into DISABILITIES
    name: np.ndarray  # str, "" when the record has no name
    entry_year: np.ndarray  # school year of grade 1 (counted without repeats before the data)
    ability: np.ndarray
    engagement: np.ndarray  # changes year by year
    propensity: np.ndarray  # unobserved part of the risk: what no indicator sees

    @property
    def n(self) -> int:
        return len(self.student_id)


def children_per_household(
    rng: np.random.Generator, n_students: int, first_entry: int, last_entry: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw households of 1-3 children until there are exactly `n_students` children.

    Returns each child's household index and entry year (the school year of grade 1).
    """
    n_hh = n_students  # more than enough: every household has at least one child in range
    size = rng.choice([1, 2, 3], size=n_hh, p=[0.45, 0.42, 0.13])
    anchor = rng.integers(first_entry, last_entry + 1, n_hh)
    offsets = np.stack([np.zeros(n_hh, int), rng.integers(2, 5, n_hh), rng.integers(4, 8, n_hh)])
    # Siblings are older or younger than the anchor child at random.
    offsets *= np.where(rng.random(n_hh) < 0.5, 1, -1)
    entries = anchor + offsets
    present = (np.arange(3)[:, None] < size) & (entries >= first_entry) & (entries <= last_entry)
    hh = np.broadcast_to(np.arange(n_hh), (3, n_hh)).T[present.T]
    entry = entries.T[present.T]
    return hh[:n_students], entry[:n_students]


def build_students(
    rng: np.random.Generator, hh: Households, household: np.ndarray, entry_year: np.ndarray
) -> Students:
    """Give each child a gender, birth date, disability, name and hidden traits."""
    n = len(household)
    female = rng.random(n) < 0.47
    disability = rng.choice(len(DISABILITIES), size=n, p=_DISABILITY_P / _DISABILITY_P.sum())
    disabled = disability > 0
    rural = hh.rural[household]
    poor = hh.state.poor[household]
    # Years older than the grade's usual age: late entry or repeats before the data begin.
    over_age = rng.choice(4, size=n, p=[0.8, 0.15, 0.04, 0.01])
    over_age += (rural & poor & (rng.random(n) < 0.15)) | (disabled & (rng.random(n) < 0.4))
    birth_year_start = np.array(
        [np.datetime64(f"{y}-09-01", "D") for y in range(1950, 2150)], dtype="datetime64[D]"
    )
    # Born between 1 September and 31 August: six years old on 1 September of grade 1.
    born_after = birth_year_start[entry_year - 7 - over_age - 1950]
    birth_date = born_after + rng.integers(0, 365, n)

    ability = rng.normal(0, 1, n) - 0.25 * poor + 0.2 * ~rural
    ability -= np.where((disability == INTELLECTUAL) | (disability == MULTIPLE), 1.3, 0.0)
    both_away = hh.state.father_migrant[household] & hh.state.mother_migrant[household]
    engagement = 0.3 * ability + rng.normal(0, 0.95, n) - 0.2 * both_away
    propensity = rng.normal(0, 0.6, n)

    surname = surname_choices(rng, hh.n)[household]
    name = np.char.add(surname, given_names(rng, female))
    name[rng.random(n) < 0.03] = ""
    order = rng.permutation(n)  # ids must not reveal siblings
    width = max(7, len(str(n)))
    ids = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    return Students(
        student_id=ids,
        household=household[order],
        female=female[order],
        birth_date=birth_date[order],
        minority=hh.minority[household][order],
        disability=disability[order],
        name=name[order],
        entry_year=entry_year[order],
        ability=ability[order],
        engagement=engagement[order],
        propensity=propensity[order],
    )
