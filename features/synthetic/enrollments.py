"""Where each child is registered each school year: placement, promotion, repeats, transfers.

Children start grade 1 in their catchment primary school, move up a grade each year
unless they repeat, change to junior school after grade 6 (or stay in a nine-year
school), sometimes transfer, and leave the system after grade 9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geography import PRIMARY, County
from .households import Households
from .students import Students

NOT_YET, IN_SCHOOL, OUT, GRADUATED = range(4)


@dataclass
class Population:
    """The changing situation of every child, as parallel arrays updated year by year."""

    status: np.ndarray
    grade: np.ndarray
    school: np.ndarray
    km: np.ndarray
    repeats: np.ndarray
    returned_before: np.ndarray
    pending_return: np.ndarray  # datetime64[D]; NaT when not expected back
    open_record: np.ndarray  # index of the child's open dropout record, -1 if none
    last_level: np.ndarray  # standing at the last exam taken, NaN before any
    boarding_draw: np.ndarray  # fixed per child: whether the family would choose boarding


def initial_population(
    rng: np.random.Generator, hh: Households, st: Students, start_year: int
) -> Population:
    """Children already in school in the first year are in grade `start_year - entry + 1`."""
    n = st.n
    home = st.household
    in_school = st.entry_year <= start_year
    grade = np.where(in_school, np.clip(start_year - st.entry_year + 1, 1, 9), 0)
    junior = grade >= 7
    return Population(
        status=np.where(in_school, IN_SCHOOL, NOT_YET),
        grade=grade,
        school=np.where(junior, hh.junior_school[home], hh.primary_school[home]),
        km=np.where(junior, hh.junior_km[home], hh.primary_km[home]),
        repeats=np.zeros(n, dtype=np.int64),
        returned_before=np.zeros(n, dtype=bool),
        pending_return=np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        open_record=np.full(n, -1),
        last_level=np.full(n, np.nan),
        boarding_draw=rng.random(n),
    )


def admit_new_cohort(pop: Population, hh: Households, st: Students, year: int) -> None:
    """Children whose grade 1 starts this year enter their catchment primary school."""
    new = (pop.status == NOT_YET) & (st.entry_year == year)
    pop.status[new] = IN_SCHOOL
    pop.grade[new] = 1
    pop.school[new] = hh.primary_school[st.household[new]]
    pop.km[new] = hh.primary_km[st.household[new]]


def boards(county: County, pop: Population, idx: np.ndarray) -> np.ndarray:
    """Whether each child boards: at a boarding school, old enough and living far enough away."""
    grade, km = pop.grade[idx], pop.km[idx]
    far = ((grade >= 7) & (km > 2.5)) | ((grade >= 4) & (km > 4.0))
    return county.school_boarding[pop.school[idx]] & far & (pop.boarding_draw[idx] < 0.9)


def promote(
    rng: np.random.Generator,
    county: County,
    hh: Households,
    st: Students,
    pop: Population,
    idx: np.ndarray,
    repeat_logit: np.ndarray,
) -> np.ndarray:
    """End of year for children in school: repeat, move up, or graduate. Returns graduates."""
    grade = pop.grade[idx]
    repeat = (grade < 9) & (rng.random(len(idx)) < 1 / (1 + np.exp(-repeat_logit)))
    graduates = idx[grade == 9]
    pop.status[graduates] = GRADUATED
    pop.repeats[idx[repeat]] += 1
    up = idx[(grade < 9) & ~repeat]
    pop.grade[up] += 1

    # Grade 6 -> 7: leave a primary school for the junior school; nine-year schools keep them.
    moving = up[(pop.grade[up] == 7) & (county.school_level[pop.school[up]] == PRIMARY)]
    home = st.household[moving]
    pop.school[moving] = hh.junior_school[home]
    pop.km[moving] = hh.junior_km[home]

    staying = idx[pop.status[idx] == IN_SCHOOL]
    transfer(rng, county, hh, st, pop, staying[rng.random(len(staying)) < 0.03])
    return graduates


def transfer(
    rng: np.random.Generator,
    county: County,
    hh: Households,
    st: Students,
    pop: Population,
    movers: np.ndarray,
) -> None:
    """Move children to another school that teaches their grade, mostly in their township."""
    if len(movers) == 0:
        return
    town = hh.township[st.household[movers]]
    to_seat = rng.random(len(movers)) < 0.3
    town = np.where(to_seat, 0, town)
    junior = pop.grade[movers] >= 7
    u = rng.random(len(movers))
    for i, (t, j) in enumerate(zip(town, junior, strict=True)):
        options = county.schools_of(int(t), county.teaches_junior if j else county.teaches_primary)
        options = options[options != pop.school[movers[i]]]
        if len(options):
            pop.school[movers[i]] = options[int(u[i] * len(options))]
    rural = hh.rural[st.household[movers]]
    median = np.where(to_seat & rural, 20.0, np.where(rural, 4.0, 1.5))
    pop.km[movers] = np.clip(np.round(median * np.exp(rng.normal(0, 0.5, len(movers))), 1), 0.1, 80)
