"""Start `dropout-risk serve` on a free loopback port for a test, and stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(home: Path, **env_extra: str) -> Iterator[str]:
    """Run the real server against `home` (SQLite store unless DROPOUT_RISK_DB is given, MLflow
    under it); yield its URL.

    The server's output goes to `home/server.log`, which a failed start prints.
    """
    port = free_port()
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home), **env_extra}
    if "DROPOUT_RISK_DB" not in env_extra:  # the store under `home` unless one is given
        env.pop("DROPOUT_RISK_DB", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    log = home / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dropout_risk.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
