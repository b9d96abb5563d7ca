"""Buffers that crossed a Dask worker's network may be unaligned: Arrow copies them, silently."""

from __future__ import annotations

import os
import subprocess
import sys

# An int64 column whose buffer starts one byte off a 64-byte boundary, filtered by a dataset
# scan (Arrow's query engine), as the workers' reads are.
SCRIPT = """
import numpy as np, pyarrow as pa, pyarrow.dataset as ds
{imports}
raw = np.arange(1000, dtype=np.int64).tobytes()
column = pa.Array.from_buffers(pa.int64(), 1000, [None, pa.py_buffer(b"x" + raw)[1:]])
kept = ds.dataset(pa.table({{"a": column}})).to_table(filter=ds.field("a") > 990)
print(kept.column("a").to_pylist())
"""


def _run(imports: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ACERO_ALIGNMENT_HANDLING"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(imports=imports)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_package_silences_the_unaligned_buffer_warning_and_keeps_the_rows() -> None:
    plain, ours = _run(""), _run("import features")
    assert "poorly aligned" in plain.stderr  # the warning this guards against
    assert ours.returncode == 0 and "poorly aligned" not in ours.stderr
    assert ours.stdout.strip() == plain.stdout.strip() == str(list(range(991, 1000)))
