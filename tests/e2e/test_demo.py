"""`dropout-risk demo --no-serve` runs the whole flow in a fresh home folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

CLI = Path(sys.executable).with_name("dropout-risk")


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home), "COLUMNS": "200"}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("DROPOUT_RISK_DB", None)
    done = subprocess.run(
        [str(CLI), "demo", "--no-serve", "--students", "2000", "--seed", "3"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "becomes the champion" in done.stdout
    tokens = re.findall(r"^(researcher|caseworker)\s+(\S+)\s+(drk_\S+)$", done.stdout, re.M)
    assert [role for role, _, _ in tokens] == ["researcher", "caseworker", "caseworker"]
    townships = {scope for role, scope, _ in tokens if role == "caseworker"}
    assert len(townships) == 2 and all(s.startswith("township:") for s in townships)

    # The batch is in the score store, and only token hashes are.
    engine = create_engine(f"sqlite:///{home / 'scores.sqlite'}")
    with engine.connect() as conn:
        scored = conn.execute(text("SELECT count(*) FROM scores")).scalar_one()
        hashes = conn.execute(text("SELECT token_hash FROM users")).scalars().all()
    engine.dispose()
    assert scored > 1000
    assert len(hashes) == 3
    assert not {token for _, _, token in tokens} & set(hashes)
