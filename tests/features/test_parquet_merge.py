"""Pieces each sorted by a key, merged into one sorted file a few batches at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features.engines.parquet_merge import merge_sorted


def _piece(rng: np.random.Generator, ids: np.ndarray, levels: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "student_id": pd.array(ids, dtype="string[pyarrow]"),
            "score": rng.normal(size=len(ids)),
            # Each piece sees other levels: their Parquet dictionaries differ.
            "level": pd.Categorical(rng.choice(levels, len(ids)), categories=["a", "b", "c"]),
        }
    )
    return frame.sort_values("student_id", ignore_index=True)


def test_merged_file_is_the_sorted_concatenation(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ids = rng.permutation([f"S{i:05d}" for i in range(1000)])
    cuts = np.split(ids, [400, 450, 1000])  # one piece of 400, one of 50, one of 550, one empty
    seen = (["a"], ["b", "c"], ["c", "a"], ["a"])
    frames = [_piece(rng, part, levels) for part, levels in zip(cuts, seen, strict=True)]
    paths = []
    for i, frame in enumerate(frames):
        paths.append(tmp_path / f"{i}.parquet")
        frame.to_parquet(paths[-1], index=False)
    out = tmp_path / "out.parquet"
    with pq.ParquetWriter(out, pq.read_schema(paths[0])) as writer:
        rows = merge_sorted(paths, writer, "student_id", budget_rows=256)  # 64 rows a piece
    expected = pd.concat(frames).sort_values("student_id", ignore_index=True)
    assert rows == 1000
    assert pq.ParquetFile(out).metadata.num_row_groups > 10  # merged in many rounds
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected)
