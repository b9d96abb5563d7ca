"""A load generator in a process of its own: GET paths with N concurrent clients, print JSON.

python -m benchmarks.loadgen BASE_URL TOKEN CONCURRENCY IDS_FILE [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

import aiohttp
import numpy as np


async def run(base: str, token: str, concurrency: int, ids: list[str], n: int) -> dict:
    rng = random.Random(0)
    paths = [f"{base}/v1/students/{rng.choice(ids)}" for _ in range(n)]
    latencies: list[float] = []
    failures = 0
    queue = iter(paths)
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client() -> None:
            nonlocal failures
            for url in queue:
                start = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    failures += response.status != 200
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "failures": failures,
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "rps": round(len(latencies) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("concurrency", type=int)
    parser.add_argument("ids", type=Path)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    ids = args.ids.read_text().split()
    print(json.dumps(asyncio.run(run(args.base, args.token, args.concurrency, ids, args.requests))))


if __name__ == "__main__":
    main()
