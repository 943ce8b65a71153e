"""Target 2: submit N jobs, this project against sfapi-client.

Two ways, each timed for both clients in alternating rounds against the same facility:

* concurrently: ``asyncio.gather`` of N submits (ours ``machine.submit``, theirs
  ``compute.submit_job``), each client on its own event loop;
* a plain loop in the sync client, the way NERSC's documentation shows it
  (``for ...: compute.submit_job(script)``), ours ``Client(...).compute(...).submit``.

Each client is created and warmed up (token, connection, one submit) before timing. The
jobs are short (``true``) so the facility's nodes never run out. Reported: the median of the
rounds' wall times, and the API requests per submit the facility received from each client.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import sfapi_client
from sfapi_client.compute import Machine

from sfapi_jupyter import AsyncClient, Client

from ._facility import BenchFacility, Credentials

SCRIPT = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 5\ntrue\n"


def _count(fac: BenchFacility, cred: Credentials, since: int) -> int:
    return sum(r.client == cred.client_id for r in fac.requests(since))


async def _gather_ours(fac: BenchFacility, cred: Credentials, n: int, rounds: int) -> list[float]:
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        machine = c.compute("perlmutter")
        await machine.submit(SCRIPT)
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            await asyncio.gather(*(machine.submit(SCRIPT) for _ in range(n)))
            times.append(time.perf_counter() - start)
        return times


async def _gather_theirs(fac: BenchFacility, cred: Credentials, n: int, rounds: int) -> list[float]:
    async with sfapi_client.AsyncClient(
        client_id=cred.client_id, secret=cred.pem, api_base_url=fac.api_url,
        token_url=fac.token_url,
    ) as c:  # fmt: skip
        compute = await c.compute(Machine.perlmutter)
        await compute.submit_job(SCRIPT)
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            await asyncio.gather(*(compute.submit_job(SCRIPT) for _ in range(n)))
            times.append(time.perf_counter() - start)
        return times


def run(fac: BenchFacility, n: int, rounds: int = 3) -> dict[str, Any]:
    ours_cred, theirs_cred = fac.clients[:2]
    result: dict[str, Any] = {"n": n}

    # Concurrent: rounds alternate which client goes first.
    ours_t: list[float] = []
    theirs_t: list[float] = []
    ours_req = theirs_req = 0
    for r in range(rounds):
        order = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
        for who in order:
            since = fac.request_count()
            if who == "ours":
                ours_t += asyncio.run(_gather_ours(fac, ours_cred, n, 1))
                ours_req += _count(fac, ours_cred, since)
            else:
                theirs_t += asyncio.run(_gather_theirs(fac, theirs_cred, n, 1))
                theirs_req += _count(fac, theirs_cred, since)
    result["gather"] = {
        "ours": statistics.median(ours_t),
        "theirs": statistics.median(theirs_t),
        # requests per submit, the warm-up submit and client start-up included
        "ours_requests": ours_req / (rounds * (n + 1)),
        "theirs_requests": theirs_req / (rounds * (n + 1)),
    }

    # Plain sync loop, both clients alive throughout, rounds alternating.
    ours = Client(fac.api_url, fac.token_url, client_id=ours_cred.client_id, key=ours_cred.pem)
    theirs = sfapi_client.Client(
        client_id=theirs_cred.client_id, secret=theirs_cred.pem, api_base_url=fac.api_url,
        token_url=fac.token_url,
    )  # fmt: skip
    try:
        machine = ours.compute("perlmutter")
        compute = theirs.compute(Machine.perlmutter)
        machine.submit(SCRIPT)
        compute.submit_job(SCRIPT)
        ours_t, theirs_t = [], []
        ours_req = theirs_req = 0
        for r in range(rounds):
            order = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
            for who in order:
                since = fac.request_count()
                start = time.perf_counter()
                if who == "ours":
                    for _ in range(n):
                        machine.submit(SCRIPT)
                    ours_t.append(time.perf_counter() - start)
                    ours_req += _count(fac, ours_cred, since)
                else:
                    for _ in range(n):
                        compute.submit_job(SCRIPT)
                    theirs_t.append(time.perf_counter() - start)
                    theirs_req += _count(fac, theirs_cred, since)
        result["loop"] = {
            "ours": statistics.median(ours_t),
            "theirs": statistics.median(theirs_t),
            "ours_requests": ours_req / (rounds * n),
            "theirs_requests": theirs_req / (rounds * n),
        }
    finally:
        ours.close()
        theirs.close()
    return result
