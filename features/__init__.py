"""Raw records -> validated tables -> per-student indicators as of a date."""

import os

# Arrow's query engine (dataset filters, joins) warns once per batch when a buffer it is given
# is not 64-byte aligned, as buffers that crossed a Dask worker's network can be: 540 lines of
# "An input buffer was poorly aligned" in one province's `features --engine dask`. Copying such
# a buffer to an aligned one is what the warning asks for and costs little; a value already in
# the environment wins. Read once, at the first plan, so set on import (workers import this
# package before they run a task).
os.environ.setdefault("ACERO_ALIGNMENT_HANDLING", "reallocate")
