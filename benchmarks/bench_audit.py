"""Durable audit's cost: GET /v1/students/{id} on this tree against the tree before it.

Before (commit given by --before, default the branch's base): audit rows queued in memory
and written every 50 ms (a crash lost up to 50 ms of them). Now: each 200 waits for the
group commit that holds its row. Both servers are `dropout-risk serve` (1 worker, SQLite)
on the same model and the same 3,000 scored students; the load generator is a separate
process (benchmarks/loadgen.py). Results: benchmarks/out/audit/results.json.

    .venv/bin/python -m benchmarks.bench_audit --requests 1500
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _serve(tree: Path, home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DROPOUT_RISK_HOME": str(home), "PYTHONPATH": str(tree)}
    env.pop("DROPOUT_RISK_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dropout_risk.cli", "serve", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the server of {tree} did not start")


def _prepare(tree: Path, home: Path) -> str:
    """Registry, a batch of 3,000 students and a researcher, written by `tree`'s own code."""
    script = (
        "import sys; from pathlib import Path\n"
        "from tests.serving.serving_model import build_registry\n"
        "from tests.serving.serving_rows import AS_OF, county_rows\n"
        "from serving.store import ScoreStore\nfrom serving.auth import Scope\n"
        "home = Path(sys.argv[1]); build_registry(home)\n"
        "s = ScoreStore.open(f'sqlite:///{home / \"scores.sqlite\"}')\n"
        "s.publish_batch(AS_OF, '1', county_rows(3000))\n"
        "print(s.add_user('bench', 'researcher', Scope.parse('all'))); s.close()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(home)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="2fdb5a2")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/out/audit")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    before = out / "before-tree"
    if not before.exists():
        before.mkdir()  # a plain copy of the old tree (no worktree left registered)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
    ids = out / "ids.txt"
    ids.write_text("\n".join(f"S{i:05d}" for i in range(3000)))
    results = []
    for name, tree in (("before", before), ("now", ROOT)):
        home = out / f"home-{name}"
        token = _prepare(tree, home)
        port = 18000 + (name == "now")
        server = _serve(tree, home, port)
        try:
            for concurrency in (1, 50):
                gen = [sys.executable, "-m", "benchmarks.loadgen", f"http://127.0.0.1:{port}"]
                gen += [token, str(concurrency), str(ids), "--requests", str(args.requests)]
                subprocess.run(gen[:-1] + ["100"], cwd=ROOT, capture_output=True)  # warm up
                done = subprocess.run(gen, cwd=ROOT, capture_output=True, text=True, check=True)
                row = {"tree": name, **json.loads(done.stdout), "load_1m": os.getloadavg()[0]}
                results.append(row)
                print(json.dumps(row), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    (out / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
