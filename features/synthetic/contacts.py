"""Where each household lives and how to reach the guardian: village, address, phone.

Contact details are the optional `households` columns (DESIGN.md): never indicators, shown
only to case workers in scope. Drawn from their own random stream, so adding them moved
nothing else in the county.
"""

from __future__ import annotations

import numpy as np

from .geography import _VILLAGE_TAILS, _VILLAGES, County
from .names import given_names, surname_choices

_VILLAGES_PER_TOWNSHIP = 8
_MOBILE_PREFIXES = np.array(["130", "135", "138", "139", "150", "152", "158", "177", "187", "199"])


def household_contacts(
    rng: np.random.Generator, county: County, township: np.ndarray
) -> dict[str, np.ndarray]:
    """Per household: village (of its township), address in it, the guardian's name and
    mobile number (missing for about one household in ten, as real registers miss some)."""
    n = len(township)
    urban = county.township_urban
    pools = []
    for t in range(len(county.township_names)):
        heads = rng.choice(_VILLAGES, _VILLAGES_PER_TOWNSHIP)
        tails = rng.choice(_VILLAGE_TAILS, _VILLAGES_PER_TOWNSHIP)
        suffix = "社区" if urban[t] else "村"
        pools.append(np.unique(np.char.add(np.char.add(heads, tails), suffix)))
    pick = rng.integers(0, 1 << 30, n)
    village = np.array([pools[t][p % len(pools[t])] for t, p in zip(township, pick, strict=True)])
    group = rng.integers(1, 9, n).astype(str)
    number = rng.integers(1, 120, n).astype(str)
    address = np.char.add(np.char.add(np.char.add(village, group), "组"), np.char.add(number, "号"))
    digits = rng.integers(0, 10, (n, 8)).astype(str)
    tail = np.array(["".join(row) for row in digits]) if n else np.zeros(0, dtype=str)
    phone = np.char.add(rng.choice(_MOBILE_PREFIXES, n), tail).astype(object)
    phone[rng.random(n) < 0.1] = None
    name = np.char.add(surname_choices(rng, n), given_names(rng, rng.random(n) < 0.5))
    return {"village": village, "address": address, "guardian_name": name, "guardian_phone": phone}
