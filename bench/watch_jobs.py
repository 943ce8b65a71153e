"""Target 1: watch N running jobs to the end, this project against sfapi-client.

N jobs for each client, with the same sleeps spread evenly over ``low`` to ``high`` seconds, are
submitted by a third, neutral client; then both clients watch theirs at the same time, each
the most favourable way: ours ``asyncio.gather`` of ``(await machine.job(id)).wait()``,
theirs ``asyncio.gather`` of ``(await compute.job(id)).complete()`` (default
``wait_interval``, 10 s). Each runs on its own event loop in its own thread.

Delay: the wall-clock time at which the caller's wait returned, minus the job's end time as
the facility's scheduler recorded it (same host, same clock), or minus the start of the
watching for a job that had already ended (submitting 2N jobs takes a while; the jobs are
submitted in pairs, one for each client with the same sleep, so neither side starts later).
Requests: the job-status requests (``GET /compute/jobs/...``) the facility received from
each client's token between the start of the watching and its end.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Any

import sfapi_client
from sfapi_client.compute import Machine

from sfapi_jupyter import AsyncClient

from ._facility import BenchFacility, Credentials


def script(seconds: float) -> str:
    return f"#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 10\nsleep {seconds:.2f}\n"


async def submit_all(fac: BenchFacility, cred: Credentials, sleeps: list[float]) -> list[str]:
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        machine = c.compute("perlmutter")
        gate = asyncio.Semaphore(25)

        async def one(seconds: float) -> str:
            async with gate:
                return (await machine.submit(script(seconds))).jobid

        return list(await asyncio.gather(*(one(s) for s in sleeps)))


def watch_ours(
    fac: BenchFacility, cred: Credentials, ids: list[str], seen: dict[str, float]
) -> None:
    async def main() -> None:
        async with AsyncClient(
            fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem
        ) as client:
            machine = client.compute("perlmutter")

            async def one(jobid: str) -> None:
                job = await machine.job(jobid)
                await job.wait()
                seen[jobid] = time.time()

            await asyncio.gather(*(one(j) for j in ids))

    asyncio.run(main())


def watch_theirs(
    fac: BenchFacility, cred: Credentials, ids: list[str], seen: dict[str, float]
) -> None:
    async def main() -> None:
        async with sfapi_client.AsyncClient(
            client_id=cred.client_id,
            secret=cred.pem,
            api_base_url=fac.api_url,
            token_url=fac.token_url,
        ) as client:
            compute = await client.compute(Machine.perlmutter)

            async def one(jobid: str) -> None:
                job = await compute.job(jobid)
                await job.complete()
                seen[jobid] = time.time()

            await asyncio.gather(*(one(j) for j in ids))

    asyncio.run(main())


def run(fac: BenchFacility, n: int, low: float = 4.0, high: float = 40.0) -> dict[str, Any]:
    ours_cred, theirs_cred, setup_cred = fac.clients[:3]
    sleeps = [low + (high - low) * i / max(n - 1, 1) for i in range(n)]
    # Submitted in pairs (one job each, same sleep), so neither client's jobs start earlier.
    ids = asyncio.run(submit_all(fac, setup_cred, [s for s in sleeps for _ in (0, 1)]))
    ours_ids, theirs_ids = ids[0::2], ids[1::2]
    start = fac.request_count()
    watch_start = time.time()
    ours_seen: dict[str, float] = {}
    theirs_seen: dict[str, float] = {}
    threads = [
        threading.Thread(target=watch_ours, args=(fac, ours_cred, ours_ids, ours_seen)),
        threading.Thread(target=watch_theirs, args=(fac, theirs_cred, theirs_ids, theirs_seen)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    requests = fac.requests(start)
    records = fac.jobs(ids)

    def figures(cred: Credentials, seen: dict[str, float]) -> dict[str, Any]:
        # A job that ended before the watching began counts from the start of the watching.
        delays = sorted(seen[j] - max(float(records[j]["end_time"]), watch_start) for j in seen)
        mine = [r for r in requests if r.client == cred.client_id]
        return {
            "jobs": len(seen),
            "median_delay": statistics.median(delays),
            "worst_delay": delays[-1],
            "job_status_requests": sum(r.is_job_status for r in mine),
            "requests": len(mine),
        }

    return {
        "n": n,
        "ours": figures(ours_cred, ours_seen),
        "theirs": figures(theirs_cred, theirs_seen),
    }
