"""One Parquet file sorted by a key, from pieces each already sorted by it, streamed.

The Dask workers write one piece per partition of schools; `features --out x.parquet` is
one file sorted by student_id, as the local engine writes it. Merging the pieces batch by
batch keeps at most one batch per piece in memory, never the whole result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Rows held at once over all pieces (about 250 bytes a row of indicators).
BUDGET_ROWS = 1 << 17


def _batches(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
        if batch.num_rows:
            yield pa.Table.from_batches([batch])


def merge_sorted(
    pieces: Sequence[Path], writer: pq.ParquetWriter, key: str, budget_rows: int = BUDGET_ROWS
) -> int:
    """Append the rows of `pieces` (each sorted by `key`, keys unique) to `writer` sorted by
    `key`, in the writer's schema; returns the number of rows."""
    batch_rows = max(64, budget_rows // max(len(pieces), 1))
    readers = [_batches(p, batch_rows) for p in pieces]
    held: list[pa.Table | None] = [next(r, None) for r in readers]
    rows = 0
    while any(t is not None for t in held):
        live = [t for t in held if t is not None]
        # Every row up to the smallest of the buffers' last keys can be written now: no
        # piece holds a smaller key further on.
        bound = min(t.column(key)[-1].as_py() for t in live)
        taken = []
        for i, table in enumerate(held):
            if table is None:
                continue
            n = pc.sum(pc.less_equal(table.column(key), bound)).as_py() or 0
            taken.append(table.slice(0, n))
            rest = table.slice(n)
            held[i] = rest if rest.num_rows else next(readers[i], None)
        chunk = pa.concat_tables(taken)
        chunk = chunk.take(pc.sort_indices(chunk, [(key, "ascending")]))
        writer.write_table(chunk.cast(writer.schema))
        rows += chunk.num_rows
    return rows
