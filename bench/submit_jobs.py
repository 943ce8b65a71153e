"""Target 2: submitting jobs, this project against sfapi-client.

Against the same facility, in alternating rounds (each round rotates which client and way
goes first), each client warmed up first (token, connection, one submit):

* **a loop of N** (N = 100) in the sync clients, the way NERSC's documentation shows it:
  theirs ``for ...: compute.submit_job(script)``; ours the same plain loop of
  ``machine.submit(script)``, and ours the fast ways: a loop of
  ``machine.submit_nowait(script)`` then ``machine.wait_submitted()`` (timed until every job
  id is known, as theirs), and ``machine.submit_many(scripts)``;
* **C at once** (C = 40): ``asyncio.gather`` of C submits on each async client (ours
  ``machine.submit``, theirs ``compute.submit_job``), and C threads each submitting once
  through one sync client.

The jobs exit at once (``true``); the facility has 1000 nodes so none waits for another.
Each way starts once the facility has ended every job of the ways before (it starts jobs on
the event loop that answers the API). Reported: the median of the rounds' wall times, and
the API requests per submit the facility received from each client (all of them: task
polls, status reads and the job listings of our watcher included), with their kinds; and
the CPU time each way cost, the client's (this process, both clients run in it) and the
facility's (its process), over the same timed span: on one machine, a way cannot take less
wall time than (client CPU + facility CPU) / cores.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sfapi_client
from sfapi_client.compute import Machine

from sfapi_jupyter import AsyncClient, Client

from ._facility import BenchFacility, Credentials, cpu_seconds

SCRIPT = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 5\ntrue\n"


def _kinds(fac: BenchFacility, cred: Credentials, since: int) -> Counter[str]:
    """Requests of one client since ``since``, by kind (task ids and queries left out)."""
    kinds: Counter[str] = Counter()
    for r in fac.requests(since):
        if r.client == cred.client_id:
            path = "/tasks/{id}" if r.path.startswith("/tasks/") else r.path
            kinds[f"{r.method} {path}"] += 1
    return kinds


class _Tally:
    """Wall times and requests of one way of submitting, over the rounds."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.client_cpu: list[float] = []
        self.facility_cpu: list[float] = []
        self.kinds: Counter[str] = Counter()
        self.submits = 0

    def add(self, span: tuple[float, float, float], kinds: Counter[str], submits: int) -> None:
        seconds, client_cpu, facility_cpu = span
        self.times.append(seconds)
        self.client_cpu.append(client_cpu)
        self.facility_cpu.append(facility_cpu)
        self.kinds.update(kinds)
        self.submits += submits

    def figures(self) -> dict[str, Any]:
        per = {k: round(v / self.submits, 3) for k, v in sorted(self.kinds.items())}
        return {
            "wall": statistics.median(self.times),
            "walls": [round(t, 3) for t in self.times],
            "client_cpu": statistics.median(self.client_cpu),
            "facility_cpu": statistics.median(self.facility_cpu),
            "requests_per_submit": sum(self.kinds.values()) / self.submits,
            "by_kind": per,
        }


class _Meter:
    """Wall time, this process's CPU (the clients') and the facility's CPU since it was made."""

    def __init__(self, fac: BenchFacility) -> None:
        self.pid = fac.pid
        self._at = (time.perf_counter(), time.process_time(), cpu_seconds(self.pid))

    def span(self) -> tuple[float, float, float]:
        wall, client, facility = self._at
        return (
            time.perf_counter() - wall,
            time.process_time() - client,
            cpu_seconds(self.pid) - facility,
        )


def _quiet(fac: BenchFacility, timeout: float = 60.0) -> None:
    """Wait until every job the facility has is over: the next way then starts on a facility
    that is not busy starting the jobs of the last one (each start costs the facility's
    event loop about 15 ms, which would fall on whichever client goes next)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(doc.get("end_time") for doc in fac.jobs().values()):
            return
        time.sleep(0.2)


def _timed(
    fac: BenchFacility, cred: Credentials, tally: _Tally, n: int, run: Callable[[], Any]
) -> None:
    since = fac.request_count()
    meter = _Meter(fac)
    run()
    span = meter.span()
    time.sleep(0.3)  # requests the way left running (our watcher's first look) count too
    tally.add(span, _kinds(fac, cred, since), n)
    _quiet(fac)


def _loop(fac: BenchFacility, n: int, rounds: int) -> dict[str, Any]:
    ours_cred, theirs_cred = fac.clients[:2]
    ours = Client(fac.api_url, fac.token_url, client_id=ours_cred.client_id, key=ours_cred.pem)
    theirs = sfapi_client.Client(
        client_id=theirs_cred.client_id,
        secret=theirs_cred.pem,
        api_base_url=fac.api_url,
        token_url=fac.token_url,
    )
    try:
        machine = ours.compute("perlmutter")
        compute = theirs.compute(Machine.perlmutter)
        machine.submit(SCRIPT)
        compute.submit_job(SCRIPT)

        def theirs_loop() -> None:
            for _ in range(n):
                compute.submit_job(SCRIPT)

        def ours_loop() -> None:
            for _ in range(n):
                machine.submit(SCRIPT)

        def ours_nowait() -> None:
            jobs = [machine.submit_nowait(SCRIPT) for _ in range(n)]
            machine.wait_submitted()
            assert len({job.jobid for job in jobs}) == n

        def ours_many() -> None:
            assert len({job.jobid for job in machine.submit_many([SCRIPT] * n)}) == n

        ways = [
            ("theirs", theirs_cred, theirs_loop),
            ("ours", ours_cred, ours_loop),
            ("ours_nowait", ours_cred, ours_nowait),
            ("ours_many", ours_cred, ours_many),
        ]
        tallies = {name: _Tally() for name, _, _ in ways}
        for r in range(rounds):
            for name, cred, run in ways[r % len(ways) :] + ways[: r % len(ways)]:
                _timed(fac, cred, tallies[name], n, run)
        return {name: t.figures() for name, t in tallies.items()}
    finally:
        ours.close()
        theirs.close()


async def _gather_ours(fac: BenchFacility, cred: Credentials, n: int) -> tuple[float, float, float]:
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        machine = c.compute("perlmutter")
        await machine.submit(SCRIPT)
        meter = _Meter(fac)
        await asyncio.gather(*(machine.submit(SCRIPT) for _ in range(n)))
        return meter.span()


async def _gather_theirs(
    fac: BenchFacility, cred: Credentials, n: int
) -> tuple[float, float, float]:
    async with sfapi_client.AsyncClient(
        client_id=cred.client_id,
        secret=cred.pem,
        api_base_url=fac.api_url,
        token_url=fac.token_url,
    ) as c:
        compute = await c.compute(Machine.perlmutter)
        await compute.submit_job(SCRIPT)
        meter = _Meter(fac)
        await asyncio.gather(*(compute.submit_job(SCRIPT) for _ in range(n)))
        return meter.span()


def _threads(fac: BenchFacility, submit: Callable[[], Any], n: int) -> tuple[float, float, float]:
    with ThreadPoolExecutor(n) as pool:
        meter = _Meter(fac)
        list(pool.map(lambda _: submit(), range(n)))
        return meter.span()


def _concurrent(fac: BenchFacility, n: int, rounds: int) -> dict[str, Any]:
    ours_cred, theirs_cred = fac.clients[:2]
    result: dict[str, Any] = {}
    # asyncio.gather: a fresh async client per round, warmed up by one submit.
    tallies = {"ours": _Tally(), "theirs": _Tally()}
    for r in range(rounds):
        for who in ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours"):
            cred = ours_cred if who == "ours" else theirs_cred
            since = fac.request_count()
            gather = _gather_ours if who == "ours" else _gather_theirs
            span = asyncio.run(gather(fac, cred, n))
            tallies[who].add(span, _kinds(fac, cred, since), n + 1)
            _quiet(fac)
    result["gather"] = {who: t.figures() for who, t in tallies.items()}
    # Threads: one sync client each, n threads submitting once each.
    ours = Client(fac.api_url, fac.token_url, client_id=ours_cred.client_id, key=ours_cred.pem)
    theirs = sfapi_client.Client(
        client_id=theirs_cred.client_id,
        secret=theirs_cred.pem,
        api_base_url=fac.api_url,
        token_url=fac.token_url,
    )
    try:
        machine = ours.compute("perlmutter")
        compute = theirs.compute(Machine.perlmutter)
        machine.submit(SCRIPT)
        compute.submit_job(SCRIPT)
        tallies = {"ours": _Tally(), "theirs": _Tally()}
        for r in range(rounds):
            for who in ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours"):
                cred = ours_cred if who == "ours" else theirs_cred
                since = fac.request_count()
                one: Callable[[], Any]
                one = (
                    (lambda: machine.submit(SCRIPT))
                    if who == "ours"
                    else (lambda: compute.submit_job(SCRIPT))
                )
                span = _threads(fac, one, n)
                time.sleep(0.3)
                tallies[who].add(span, _kinds(fac, cred, since), n)
                _quiet(fac)
        result["threads"] = {who: t.figures() for who, t in tallies.items()}
    finally:
        ours.close()
        theirs.close()
    return result


def run(fac: BenchFacility, n: int, concurrent: int = 40, rounds: int = 3) -> dict[str, Any]:
    return {
        "n": n,
        "concurrent": concurrent,
        "loop": _loop(fac, n, rounds),
        **_concurrent(fac, concurrent, rounds),
    }
