"""The county's household register (户籍): everyone registered, written as a clerk would.

Every child of the school register is in it, except migrant children registered in another
county (人户分离). It also holds children the schools never saw: a few per thousand never
enrolled (more in poor rural households), children who moved out, a few who died, children
under school age and, for most rows, adults. Each row differs from the school register the
way real registers do: a homophone, a similar or a traditional character, a wrong birth
day, an id missing or a 15-digit legacy one; the school register's `person_id` is often
empty or mistyped. What is true is kept apart (`Register.truth`) for tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.reconcile.ids import check_characters

from .geography import _VILLAGE_TAILS, _VILLAGES, COUNTY, County
from .households import Households
from .name_variants import KINDS, variant
from .names import given_names, surname_choices
from .students import Students

AREA = "522731"  # the county's own area code; people born elsewhere carry another
_OTHER_AREAS = np.array(["522701", "520102", "440106", "330106", "510107", "522422"])
# Shares of school-register children whose register row differs, by kind of difference.
NAME_NOISE = {"homophone": 0.05, "similar": 0.012, "traditional": 0.008}
WRONG_DAY, WRONG_SEX, NO_ID_RESIDENT = 0.015, 0.002, 0.01
NO_ID_SCHOOL, MISTYPED_ID_SCHOOL = 0.2, 0.03
MIGRANT = {"urban": 0.06, "rural": 0.02}  # enrolled here, registered elsewhere
NEVER_ENROLLED = 0.004  # per student; three times the weight in poor rural households
MOVED_OUT, DECEASED, UNDER_AGE = 0.02, 0.0005, 0.3
STATUS = ("resident", "moved_out", "deceased")


@dataclass
class Register:
    """The residents table as columns, the truth about each row, and the students' ids."""

    columns: dict[str, np.ndarray]
    truth: pd.DataFrame
    """Per residents row (`row`, 0-based): `student_id` of the same child ("" if none), `kind`."""
    student_person_id: np.ndarray
    """Per student: the id the school register holds (None when empty)."""


def _days(first: str, last: str, rng: np.random.Generator, n: int) -> np.ndarray:
    low, high = np.datetime64(first, "D"), np.datetime64(last, "D")
    if high < low:
        low, high = high, low
    return low + rng.integers(0, int((high - low).astype(int)) + 1, n)


def person_ids(
    rng: np.random.Generator, area: np.ndarray, born: np.ndarray, female: np.ndarray
) -> np.ndarray:
    """Unique 18-character ids: area, birth date, a sequence whose last digit gives the sex."""
    ymd = np.char.replace(np.datetime_as_string(born.astype("datetime64[D]"), unit="D"), "-", "")
    key = np.char.add(area.astype("<U6"), ymd)
    rank = pd.DataFrame({"k": key, "f": female}).groupby(["k", "f"]).cumcount().to_numpy()
    seq = 2 * (rank + rng.integers(5, 40, len(key))) + np.where(female, 0, 1)
    body = np.char.add(key, np.char.zfill(seq.astype(str), 3))
    dup = pd.Series(body).duplicated().to_numpy()
    while dup.any():  # two random offsets met: move the later one on
        seq[dup] += 100
        body[dup] = np.char.add(key[dup], np.char.zfill(seq[dup].astype(str), 3))
        dup = pd.Series(body).duplicated().to_numpy()
    return np.char.add(body, check_characters(body))


def legacy(ids: np.ndarray) -> np.ndarray:
    """The 15-digit form (born 19YY): area, YYMMDD, sequence; no check character."""
    return np.array([i[:6] + i[8:17] for i in ids], dtype=object)


def mistype(rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
    """One digit among the first 17 typed wrong."""
    out = ids.astype(object).copy()
    for k, value in enumerate(out):
        at = int(rng.integers(0, 17))
        digit = str((int(value[at]) + int(rng.integers(1, 10))) % 10)
        out[k] = value[:at] + digit + value[at + 1 :]
    return out


def build_register(
    rng: np.random.Generator,
    county: County,
    hh: Households,
    st: Students,
    start_year: int,
    years: int,
    per_student: int = 10,
) -> Register:
    """The county's register: about `per_student` residents per student of the school data."""
    last = start_year + years - 1
    n_towns = len(county.township_names)
    villages = [
        sorted({f"{rng.choice(_VILLAGES)}{rng.choice(_VILLAGE_TAILS)}村" for _ in range(12)})
        for _ in range(n_towns)
    ]
    hh_village = np.array(
        [villages[t][int(rng.integers(0, len(villages[t])))] for t in hh.township], dtype=object
    )

    # Children of the school register; migrant children have no row here.
    town = hh.township[st.household]
    urban = county.township_urban[town]
    migrant = rng.random(st.n) < np.where(urban, MIGRANT["urban"], MIGRANT["rural"])
    area = np.where(migrant, rng.choice(_OTHER_AREAS, st.n), AREA)

    kids = np.flatnonzero(~migrant)
    name = st.name[kids].astype(object)
    fresh = np.char.add(surname_choices(rng, len(kids)), given_names(rng, st.female[kids]))
    name = np.where(name == "", fresh.astype(object), name)
    draw = rng.random(len(kids))
    edges = np.cumsum([NAME_NOISE[k] for k in KINDS])
    for k, kind in enumerate(KINDS):
        chosen = np.flatnonzero((draw >= (edges[k - 1] if k else 0)) & (draw < edges[k]))
        name[chosen] = [variant(rng, str(name[i]), kind) for i in chosen]
    born = st.birth_date[kids].copy()
    shift = rng.random(len(kids)) < WRONG_DAY
    born[shift] += rng.choice([-10, -2, -1, 1, 2, 10], int(shift.sum()))
    female = st.female[kids] ^ (rng.random(len(kids)) < WRONG_SEX)
    no_id = rng.random(len(kids)) < NO_ID_RESIDENT
    status = np.where(rng.random(len(kids)) < 0.005, 1, 0)
    village = hh_village[st.household[kids]].copy()
    village[rng.random(len(kids)) < 0.05] = None
    parts = [
        _part(name, female, born, kids, no_id, town[kids], village, status,
              st.student_id[kids], "student")
    ]  # fmt: skip
    areas, births, sexes = [area], [st.birth_date], [st.female]

    # Children of school age the schools never saw: never enrolled, moved out, deceased.
    school_age = (f"{max(last - 15, start_year - 9)}-09-01", f"{start_year - 6}-08-31")
    weight = 1.0 + 2.0 * (hh.rural & hh.state.poor)
    for kind, share, code, ages in (
        ("never_enrolled", NEVER_ENROLLED, 0, school_age),
        ("moved_out", MOVED_OUT, 1, school_age),
        ("deceased", DECEASED, 2, school_age),
        ("under_age", UNDER_AGE, 0, (f"{last - 6}-09-01", f"{last - 1}-08-31")),
    ):
        n = int(rng.binomial(st.n, share))
        home = rng.choice(hh.n, n, p=weight / weight.sum()) if kind == "never_enrolled" else (
            rng.integers(0, hh.n, n)
        )  # fmt: skip
        parts.append(_people(rng, n, home, hh, hh_village, ages, code, kind, areas, births, sexes))
    adults = max(0, per_student * st.n - sum(len(p["name"]) for p in parts))
    parts.append(_people(rng, adults, rng.integers(0, hh.n, adults), hh, hh_village,
                         ("1935-01-01", f"{start_year - 17}-08-31"), 0, "adult",
                         areas, births, sexes))  # fmt: skip

    # Every id at once, so that no two people share one.
    ids = person_ids(rng, np.concatenate(areas), np.concatenate(births), np.concatenate(sexes))
    school_id = np.where(rng.random(st.n) < NO_ID_SCHOOL, None, ids[: st.n].astype(object))
    typo = (rng.random(st.n) < MISTYPED_ID_SCHOOL) & pd.notna(school_id)
    school_id[typo] = mistype(rng, ids[: st.n][typo])
    columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    pid = ids[columns.pop("who")].astype(object)
    old = columns.pop("legacy")
    pid[old] = legacy(pid[old].astype(str))
    pid[columns.pop("no_id")] = None
    columns = {"person_id": pid, **columns}
    order = rng.permutation(len(columns["name"]))  # the register's order says nothing
    columns = {key: value[order] for key, value in columns.items()}
    truth = pd.DataFrame(
        {"row": np.arange(len(order)), "student_id": columns.pop("student_id"),
         "kind": columns.pop("kind")}
    )  # fmt: skip
    n = len(order)
    columns["county"] = np.full(n, COUNTY, dtype=object)
    columns["township"] = np.array(county.township_names, dtype=object)[columns["township"]]
    columns["recorded_on"] = _days(f"{start_year}-06-01", f"{start_year}-08-31", rng, n)
    columns["status"] = np.array(STATUS, dtype=object)[columns["status"]]
    columns["gender"] = np.where(columns["female"], "F", "M")
    del columns["female"]
    return Register(columns, truth, school_id)


def _part(name, female, born, who, no_id, town, village, status, student_id, kind, old=None):
    """Columns of some register rows; `who` indexes the people whose ids are drawn at once."""
    n = len(name)
    return {
        "who": np.asarray(who, dtype=np.int64),
        "no_id": np.asarray(no_id, dtype=bool),
        "legacy": np.zeros(n, dtype=bool) if old is None else old,
        "name": np.asarray(name, dtype=object),
        "female": np.asarray(female, dtype=bool),
        "birth_date": np.asarray(born, dtype="datetime64[D]"),
        "township": np.asarray(town, dtype=np.int64),
        "village": np.asarray(village, dtype=object),
        "status": np.asarray(status, dtype=np.int64),
        "student_id": np.asarray(student_id, dtype=object),
        "kind": np.full(n, kind, dtype=object),
    }


def _people(
    rng: np.random.Generator,
    n: int,
    home: np.ndarray,
    hh: Households,
    hh_village: np.ndarray,
    ages: tuple[str, str],
    status: int,
    kind: str,
    areas: list[np.ndarray],
    births: list[np.ndarray],
    sexes: list[np.ndarray],
) -> dict:
    """People of the register outside the school data, living in the households `home`."""
    female = rng.random(n) < 0.49
    born = _days(*ages, rng, n)
    outside = rng.random(n) < 0.1
    who = sum(len(a) for a in areas) + np.arange(n)
    areas.append(np.where(outside, rng.choice(_OTHER_AREAS, n), AREA))
    births.append(born)
    sexes.append(female)
    old = (born < np.datetime64("1985-01-01")) & (rng.random(n) < 0.3)
    name = np.char.add(surname_choices(rng, n), given_names(rng, female))
    village = hh_village[home].copy()
    village[rng.random(n) < 0.05] = None
    return _part(name, female, born, who, rng.random(n) < 0.02, hh.township[home], village,
                 np.full(n, status), np.full(n, "", dtype=object), kind, old)  # fmt: skip
