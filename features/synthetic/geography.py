"""The county's townships and schools.

One urban county seat (城关镇) and rural townships. Every township has primary
schools and a junior school (rural ones often boarding); small townships teach all
nine grades in one nine-year school instead, and large rural townships keep a remote
nine-year "teaching point" too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COUNTY = "青山县"
_RURAL_TOWNSHIPS = [
    "河口乡", "石桥镇", "青龙乡", "白沙镇", "黄土岭乡", "柳树镇", "马坪乡", "大河镇", "龙泉乡",
    "松林乡", "新华镇", "东岭乡", "西坪乡", "高山乡", "红岩镇", "双河乡", "金竹乡", "桃源镇",
    "云台乡", "长岭乡", "杨柳乡", "清水镇", "凤凰乡",
]  # fmt: skip
_VILLAGES = list("上下东西南北前后大小新老")
_VILLAGE_TAILS = ["坪", "沟", "湾", "岭", "坝", "庄", "寨", "河", "岗", "塘"]

PRIMARY, JUNIOR, NINE_YEAR = 0, 1, 2
LEVEL_NAMES = ("primary", "junior", "nine_year")

# Students per school of each kind, used only to decide how many schools a township needs.
_URBAN_SCHOOL_SIZE = 1200
_RURAL_PRIMARY_SIZE = 250


@dataclass(frozen=True)
class County:
    """Townships and schools as parallel arrays; index = position."""

    township_names: list[str]
    township_urban: np.ndarray  # bool
    township_share: np.ndarray  # share of the county's children
    township_remote: np.ndarray  # 0..1, how far from the county seat
    township_minority: np.ndarray  # share of ethnic-minority families
    school_id: list[str]
    school_name: list[str]
    school_township: np.ndarray  # int
    school_level: np.ndarray  # PRIMARY / JUNIOR / NINE_YEAR
    school_rural: np.ndarray  # bool
    school_boarding: np.ndarray  # bool
    school_weight: np.ndarray  # relative size, for picking a school within a township

    @property
    def n_schools(self) -> int:
        return len(self.school_id)

    @property
    def teaches_primary(self) -> np.ndarray:
        return self.school_level != JUNIOR

    @property
    def teaches_junior(self) -> np.ndarray:
        return self.school_level != PRIMARY

    def schools_of(self, township: int, level_mask: np.ndarray) -> np.ndarray:
        """The schools of a township that satisfy a level mask."""
        return np.flatnonzero((self.school_township == township) & level_mask)


def _village(rng: np.random.Generator) -> str:
    return str(rng.choice(_VILLAGES)) + str(rng.choice(_VILLAGE_TAILS))


def build_county(rng: np.random.Generator, students: int) -> County:
    """Lay out townships and schools for a county of about `students` children."""
    n_towns = int(np.clip(round(students / 6000) + 3, 3, len(_RURAL_TOWNSHIPS) + 1))
    names = ["城关镇", *_RURAL_TOWNSHIPS[: n_towns - 1]]
    urban = np.zeros(n_towns, dtype=bool)
    urban[0] = True
    rural_share = rng.dirichlet(np.full(n_towns - 1, 5.0)) * 0.68
    share = np.concatenate([[0.32], rural_share])
    remote = np.concatenate([[0.0], rng.uniform(0.2, 1.0, n_towns - 1)])
    # A few remote townships are minority areas; elsewhere minority families are rare.
    minority = np.where(remote > 0.75, rng.uniform(0.25, 0.6, n_towns), 0.04)
    minority[0] = 0.05

    rows: list[tuple[int, int, str, bool, bool, float]] = []  # town, level, name, rural, board, w
    for t in range(n_towns):
        kids = share[t] * students
        town = names[t]
        if urban[t]:
            n_primary = max(1, round(kids * 6 / 11 / _URBAN_SCHOOL_SIZE))
            n_junior = max(1, round(kids * 3 / 11 / _URBAN_SCHOOL_SIZE))
            for k in range(n_primary):
                label = "实验小学" if k == 0 else f"第{k}小学"
                rows.append((t, PRIMARY, f"{COUNTY}{label}", False, False, 1.0))
            for k in range(n_junior):
                # The county's first middle school boards children from the townships.
                rows.append((t, JUNIOR, f"{COUNTY}第{k + 1}中学", False, k == 0, 1.0))
            if kids > 3000:
                rows.append((t, NINE_YEAR, f"{COUNTY}实验学校", False, False, 1.0))
            continue
        n_primary = max(1, round(kids * 6 / 11 / _RURAL_PRIMARY_SIZE))
        small = kids < 1200
        if small:
            rows.append((t, NINE_YEAR, f"{town}九年一贯制学校", True, True, 2.0))
            n_primary -= 1
        else:
            rows.append((t, JUNIOR, f"{town}中学", True, True, 1.0))
        for k in range(n_primary):
            if k == 0 and not small:
                rows.append((t, PRIMARY, f"{town}中心小学", True, bool(rng.random() < 0.4), 2.0))
            else:
                rows.append((t, PRIMARY, f"{town}{_village(rng)}小学", True, False, 1.0))
        if kids > 4000:
            rows.append((t, NINE_YEAR, f"{town}{_village(rng)}学校", True, False, 1.0))

    school_town = np.array([r[0] for r in rows])
    width = max(2, len(str(int(np.bincount(school_town).max()))))
    seq = np.zeros(len(rows), dtype=int)
    counters: dict[int, int] = {}
    for i, t in enumerate(school_town):
        counters[t] = counters.get(t, 0) + 1
        seq[i] = counters[t]
    # Township code then school number: most ids start with "0" and must keep it.
    ids = [f"{t + 1:02d}{s:0{width}d}" for t, s in zip(school_town, seq, strict=True)]
    seen: dict[str, int] = {}
    school_names = []
    for r in rows:  # village names can repeat within a township; number the repeats
        seen[r[2]] = seen.get(r[2], 0) + 1
        school_names.append(r[2] if seen[r[2]] == 1 else f"{r[2][:-2]}{seen[r[2]]}{r[2][-2:]}")
    return County(
        township_names=names,
        township_urban=urban,
        township_share=share,
        township_remote=remote,
        township_minority=minority,
        school_id=ids,
        school_name=school_names,
        school_township=school_town,
        school_level=np.array([r[1] for r in rows]),
        school_rural=np.array([r[3] for r in rows]),
        school_boarding=np.array([r[4] for r in rows]),
        school_weight=np.array([r[5] for r in rows]),
    )
