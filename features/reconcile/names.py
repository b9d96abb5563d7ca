"""Names as registers write them: characters, and pinyin so that homophones meet.

A school clerk and a police clerk write 张伟 / 张玮 / 張偉 for one child: the characters
differ, the syllables do not. pypinyin reads each character in its most common reading
(traditional forms included, so 張偉 reads as 张伟 does); tones are dropped because
clerks confuse 伟 (wěi) and 薇 (wēi) too. Pinyin is computed once per distinct character,
so a million names cost a dictionary lookup per character, not a pypinyin call per name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pypinyin import Style, lazy_pinyin


def _syllables(characters: set[str]) -> dict[str, str]:
    return {ch: (lazy_pinyin(ch, style=Style.NORMAL) or [ch])[0].lower() for ch in characters}


def pinyin_columns(names: pd.Series) -> pd.DataFrame:
    """Per name: `name_py` (all syllables, no spaces), `surname_py`, `given_py`; NA if empty."""
    text = names.astype(object).where(names.notna(), None)
    text = text.map(lambda s: None if s is None else "".join(str(s).split()) or None)
    distinct = pd.unique(text.dropna())
    table = _syllables({ch for name in distinct for ch in name})
    full, surname, given = {}, {}, {}
    for name in distinct:
        syllables = [table[ch] for ch in name]
        full[name] = "".join(syllables)
        surname[name] = syllables[0]
        given[name] = "".join(syllables[1:]) or None
    return pd.DataFrame(
        {
            "name": text.to_numpy(dtype=object),
            "name_py": text.map(full).to_numpy(dtype=object),
            "surname_py": text.map(surname).to_numpy(dtype=object),
            "given_py": text.map(given).to_numpy(dtype=object),
        },
        index=names.index,
    )


def same_sound(a: str, b: str) -> bool:
    """Whether two names read alike (a helper for tests and examples)."""
    frame = pinyin_columns(pd.Series([a, b]))
    return bool(np.equal(*frame["name_py"].to_numpy()))
