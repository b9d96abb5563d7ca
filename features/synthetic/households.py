"""Households: where the children live, how poor they are, who looks after them.

Each household starts with a record before the first school year. Every school year
some households change: they leave registered poverty (or fall into it), a father or
mother leaves to work in the cities or comes back, and the guardian changes with
them (grandparents when both parents are away). Each change is a new record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from features.contract import GUARDIANS

from .geography import JUNIOR, NINE_YEAR, County

_G = {name: i for i, name in enumerate(GUARDIANS)}
# Who looks after the children when both parents work away.
_ABSENT_PARENTS_GUARDIAN = np.array([_G["grandparents"], _G["relatives"], _G["other"], _G["none"]])
_ABSENT_PARENTS_P = np.array([0.8, 0.15, 0.04, 0.01])


@dataclass
class HouseholdState:
    """The current record of every household; updated in place year by year."""

    poor: np.ndarray
    allowance: np.ndarray
    father_migrant: np.ndarray
    mother_migrant: np.ndarray
    single: np.ndarray  # 0 both parents, 1 father only, 2 mother only
    carer_when_away: np.ndarray  # guardian code when both parents are away

    def guardian(self) -> np.ndarray:
        """The guardian code implied by who is at home."""
        father_home = ~self.father_migrant & (self.single != 2)
        mother_home = ~self.mother_migrant & (self.single != 1)
        g = np.where(father_home & mother_home, _G["parents"], self.carer_when_away)
        g = np.where(father_home & ~mother_home, _G["father"], g)
        return np.where(~father_home & mother_home, _G["mother"], g)

    def left_behind(self) -> np.ndarray:
        """0 parents at home, 1 one parent away, 2 no parent at home."""
        guardian = self.guardian()
        away = self.father_migrant.astype(int) + self.mother_migrant.astype(int)
        none_home = (guardian != _G["parents"]) & (guardian != _G["father"])
        none_home &= guardian != _G["mother"]
        return np.where(none_home, 2, np.minimum(away, 1))

    def copy(self) -> HouseholdState:
        return HouseholdState(**{k: v.copy() for k, v in self.__dict__.items()})


@dataclass
class Households:
    """Fixed facts about each household plus its changing state and its record history."""

    household_id: np.ndarray  # str
    township: np.ndarray
    rural: np.ndarray
    remote: np.ndarray
    minority: np.ndarray
    primary_school: np.ndarray
    primary_km: np.ndarray
    junior_school: np.ndarray
    junior_km: np.ndarray
    state: HouseholdState
    records: list[tuple[np.ndarray, np.ndarray, HouseholdState]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.household_id)


def _pick(rng: np.random.Generator, options: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(options, size=n, p=weights / weights.sum())


def _lognormal_km(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(np.round(median * np.exp(rng.normal(0, sigma, len(median))), 1), 0.1, 80.0)


def build_households(
    rng: np.random.Generator, county: County, n: int, start_year: int
) -> Households:
    """Place `n` households in townships, give them schools, distances and a first record."""
    town = rng.choice(len(county.township_share), size=n, p=county.township_share)
    rural = ~county.township_urban[town]
    remote = county.township_remote[town]
    minority = rng.random(n) < county.township_minority[town]

    primary = np.zeros(n, dtype=int)
    junior = np.zeros(n, dtype=int)
    county_boarding = np.flatnonzero(~county.school_rural & county.school_boarding)
    for t in range(len(county.township_share)):
        members = np.flatnonzero(town == t)
        if len(members) == 0:
            continue
        prim = county.schools_of(t, county.teaches_primary)
        primary[members] = _pick(rng, prim, county.school_weight[prim], len(members))
        jun = county.schools_of(t, county.school_level == JUNIOR)
        if len(jun) == 0:
            jun = county.schools_of(t, county.teaches_junior)
        junior[members] = _pick(rng, jun, county.school_weight[jun], len(members))
        if rural[members[0]] and len(county_boarding):
            # Some rural families send their children to the county seat's boarding school.
            to_town = rng.random(len(members)) < 0.1
            junior[members[to_town]] = county_boarding[0]
    stays = county.school_level[primary] == NINE_YEAR
    junior[stays] = primary[stays]

    primary_km = _lognormal_km(rng, np.where(rural, 1.6 + 1.2 * remote, 0.9), 0.6)
    to_seat = rural & ~county.school_rural[junior]
    junior_median = np.where(rural, 4.0 + 5.0 * remote, 1.6)
    junior_median = np.where(to_seat, 10.0 + 20.0 * remote, junior_median)
    junior_km = _lognormal_km(rng, junior_median, 0.5)
    junior_km = np.where(stays, primary_km, junior_km)

    poor = rng.random(n) < np.where(rural, 0.06 + 0.16 * remote, 0.03)
    allowance = rng.random(n) < np.where(poor, 0.45, np.where(rural, 0.04, 0.02))
    father = rng.random(n) < np.where(rural, 0.3 + 0.15 * remote, 0.08)
    mother = rng.random(n) < np.where(father, 0.45, np.where(rural, 0.08, 0.03))
    single = _pick(rng, np.arange(3), np.array([0.93, 0.025, 0.045]), n)
    carer = _pick(rng, _ABSENT_PARENTS_GUARDIAN, _ABSENT_PARENTS_P, n)
    state = HouseholdState(poor, allowance, father, mother, single, carer)

    # Zero-padded township code first: ids like "003000123" must keep their zeros.
    ids = np.char.add(
        np.char.zfill((town + 1).astype(str), 3), np.char.zfill(np.arange(1, n + 1).astype(str), 6)
    )
    first_record = np.datetime64(f"{start_year}-06-01", "D") + rng.integers(0, 85, n)
    households = Households(
        ids, town, rural, remote, minority, primary, primary_km, junior, junior_km, state
    )
    households.records.append((np.arange(n), first_record, state.copy()))
    return households


def step_households(rng: np.random.Generator, hh: Households, school_year: int) -> np.ndarray:
    """Apply one school year of changes; record them and return each household's change date.

    Households without a change get NaT. The state in `hh.state` is the state after the change.
    """
    s = hh.state
    n = hh.n
    u = rng.random((5, n))
    exit_poverty = s.poor & (u[0] < 0.22)
    enter_poverty = ~s.poor & (u[0] < np.where(hh.rural, 0.015, 0.005))
    poor = (s.poor & ~exit_poverty) | enter_poverty
    allowance = np.where(exit_poverty, s.allowance & (u[1] < 0.2), s.allowance)
    allowance = np.where(enter_poverty, u[1] < 0.5, allowance)
    father_leaves = ~s.father_migrant & (u[2] < np.where(hh.rural, 0.07, 0.02))
    father_returns = s.father_migrant & (u[2] < 0.12)
    father = (s.father_migrant & ~father_returns) | father_leaves
    mother_leave_p = np.where(hh.rural, np.where(father, 0.1, 0.04), 0.015)
    mother_leaves = ~s.mother_migrant & (u[3] < mother_leave_p)
    mother_returns = s.mother_migrant & (u[3] < 0.15)
    mother = (s.mother_migrant & ~mother_returns) | mother_leaves

    changed = (poor != s.poor) | (allowance != s.allowance) | (father != s.father_migrant)
    changed |= mother != s.mother_migrant
    first = np.datetime64(f"{school_year}-09-10", "D")
    span = int((np.datetime64(f"{school_year + 1}-06-20", "D") - first).astype(np.int64))
    dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    dates[changed] = first + rng.integers(0, span, int(changed.sum()))

    s.poor, s.allowance, s.father_migrant, s.mother_migrant = poor, allowance, father, mother
    idx = np.flatnonzero(changed)
    hh.records.append((idx, dates[idx], s.copy()))
    return dates
