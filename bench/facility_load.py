"""Target 5: the facility itself, requests per second and latency.

A facility with ``jobs`` jobs in the queue (one job array, most of it PENDING on a 4-node
machine) answers ``GET /status`` and ``GET /compute/jobs/perlmutter`` (every job, squeue rows)
to ``concurrency`` clients sending back to back for ``seconds`` seconds each. Latency is
measured at the client (send to last byte), over real HTTP on loopback.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from sfapi_jupyter import AsyncClient

from ._facility import BenchFacility


async def _load(
    base: str, path: str, token: str | None, seconds: float, concurrency: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        await http.get(path)
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await http.get(path)
                response.raise_for_status()
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "requests": len(latencies),
    }


async def _token(fac: BenchFacility) -> str:
    cred = fac.clients[0]
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        machine = c.compute("perlmutter")
        await machine.submit(
            f"#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q regular\n#SBATCH -t 60\n"
            f"#SBATCH --array=0-{JOBS[0] - 1}\nsleep 3600\n"
        )
        await machine.watcher.stop()
        auth = c._auth
        return await auth.token()  # type: ignore[union-attr]


JOBS = [1000]


def run(jobs: int = 1000, seconds: float = 8.0, concurrency: int = 4) -> dict[str, Any]:
    JOBS[0] = jobs
    with BenchFacility(Path(tempfile.mkdtemp(prefix="bench-load-")) / "state", nodes=4) as fac:
        token = asyncio.run(_token(fac))
        time.sleep(1.0)
        status = asyncio.run(_load(fac.api_url + "/", "status", None, seconds, concurrency))
        listing = asyncio.run(
            _load(fac.api_url + "/", "compute/jobs/perlmutter", token, seconds, concurrency)
        )
        answer = httpx.get(
            fac.api_url + "/compute/jobs/perlmutter",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        rows = len(answer.json()["output"])
    return {"jobs": rows, "status": status, "jobs_listing": listing}
