"""kill -9 under concurrent reads loses no audit row (finding 2).

A real server (separate process) answers eight concurrent readers; it is killed with
SIGKILL mid-stream. Every 200 a reader received has its audit row in the store. A row
may also exist for a read whose answer the kill cut off (committed, not yet sent): at
most one per reader, so rows lie between the 200s and the 200s plus the cut reads.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from serving.auth import Scope
from serving.store import ScoreStore
from tests.e2e.live_server import free_port
from tests.serving.conftest import registry_template  # noqa: F401 (fixture)
from tests.serving.serving_rows import AS_OF, county_rows

pytestmark = pytest.mark.slow
READERS = 8


def test_kill_9_under_concurrent_reads_loses_no_audit_row(
    registry_template: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(registry_template / "mlflow.sqlite", home / "mlflow.sqlite")
    url_db = f"sqlite:///{home / 'scores.sqlite'}"
    store = ScoreStore.open(url_db)
    rows = county_rows(120)
    store.publish_batch(AS_OF, "1", rows)
    token = store.add_user("读者", "caseworker", Scope.parse("county:C0"))
    store.close()
    ids = [r["student_id"] for r in rows if r["county"] == "C0"]

    port = free_port()
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home)}
    env.pop("DROPOUT_RISK_DB", None)
    with (home / "server.log").open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dropout_risk.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.3)

    ok = [0] * READERS
    cut = [0] * READERS
    stop = threading.Event()

    def reader(i: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            n = 0
            while not stop.is_set():
                sid = ids[(i * 7 + n) % len(ids)]
                n += 1
                try:
                    got = client.get(f"/v1/students/{sid}")
                except httpx.TransportError:
                    cut[i] += 1
                    return
                assert got.status_code == 200, got.text
                ok[i] += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    try:
        for t in threads:
            t.start()
        time.sleep(3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        for t in threads:
            t.join(timeout=30)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    successes = sum(ok)
    assert successes > 50, "too few reads before the kill for the test to mean anything"
    store = ScoreStore.open(url_db, migrate=False)
    reads = sum(e["action"] == "read" for e in store.audit_log())
    store.close()
    assert successes <= reads <= successes + sum(cut)
