"""Two generated counties in one folder: different names, the same township names.

The second county's ids are prefixed so that nothing collides; its schools keep the
townships (城关镇 ...) of the first, as two real counties of one province would.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.contract import TABLE_NAMES
from features.synthetic import generate_county

ID_COLUMNS = ("school_id", "student_id", "household_id")


def two_counties(
    out: Path, students: tuple[int, int] = (500, 400), seeds: tuple[int, int] = (5, 6)
) -> Path:
    """Write the province of two counties (CSV) to `out`; the second on the varied calendar."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLE_NAMES}
    for i, (size, seed) in enumerate(zip(students, seeds, strict=True)):
        raw = out.parent / f"{out.name}-county{i}"
        calendar = "varied" if i else "standard"
        generate_county(raw, students=size, years=2, seed=seed, fmt="csv", calendar=calendar)
        for name in TABLE_NAMES:
            frame = pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False)
            if i:
                for column in ID_COLUMNS:
                    if column in frame.columns:
                        frame[column] = "B" + frame[column]
                if "county" in frame.columns:
                    frame["county"] = "白水县"
            parts[name].append(frame)
    out.mkdir(parents=True)
    for name, frames in parts.items():
        pd.concat(frames).to_csv(out / f"{name}.csv", index=False)
    return out
