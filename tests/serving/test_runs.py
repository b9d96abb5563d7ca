"""One scoring run at a time (finding 5): a run lock a crashed run releases, pruning that
never touches a run in progress, and no earlier as-of over a later one without force."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from features.errors import UserError
from serving.store import ScoreStore
from serving.store.run_lock import RunInProgress
from tests.serving.serving_rows import AS_OF, county_rows

# A run that takes the lock, writes half a batch and then hangs (or is killed).
_RUN = textwrap.dedent(
    """
    import sys, time, datetime as dt
    from serving.store import ScoreStore
    from tests.serving.serving_rows import county_rows
    store = ScoreStore.open(sys.argv[1], migrate=False)
    with store.run_lock():
        batch = store.begin_batch(dt.date(2025, 4, 1), "2")
        store.add_scores(batch, county_rows(40, seed=2))
        print(batch, flush=True)
        time.sleep(120)
    """
)


def _start_run(url: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUN, url], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip().isdigit(), "the run did not start"
    return proc, int(line)


def test_a_second_run_is_refused_and_a_killed_run_releases_the_lock(
    store: ScoreStore, store_url: str
) -> None:
    first = store.publish_batch(AS_OF, "1", county_rows(30))
    proc, running = _start_run(store_url)
    try:
        with pytest.raises(RunInProgress, match="another scoring run"):
            store.publish_batch(AS_OF, "3", county_rows(30, seed=3))
        with pytest.raises(RunInProgress):
            store.publish(running)
        # the run in progress keeps every row it wrote, and the old batch stays in service
        assert running in [b.id for b in store.batches()]
        assert store.latest_batch().id == first  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the dead run's lock went with its process; its rows are pruned by the next publish
    second = store.publish_batch(AS_OF, "3", county_rows(30, seed=3))
    assert [b.id for b in store.batches()] == [second, first]


def test_a_prepared_batch_is_kept_and_an_older_as_of_needs_force(store: ScoreStore) -> None:
    june = store.publish_batch(dt.date(2026, 6, 1), "1", county_rows(30))
    may = store.write_batch(dt.date(2026, 5, 1), "1", county_rows(30, seed=1))
    assert store.latest_batch().id == june  # type: ignore[union-attr]
    store.publish_batch(dt.date(2026, 6, 1), "2", county_rows(30, seed=2))  # prunes dead only
    assert may in [b.id for b in store.batches()]
    with pytest.raises(UserError, match=r"as of 2026-05-01, earlier .*--force"):
        store.publish(may)
    assert store.latest_batch().as_of == dt.date(2026, 6, 1)  # type: ignore[union-attr]
    info = store.publish(may, force=True)
    assert info.id == may and store.latest_batch().id == may  # type: ignore[union-attr]
