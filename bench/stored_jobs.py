"""Job listings against how many jobs the facility has stored: 100 against 10,000.

Two facilities (each in its own process, ``local`` backend) hold the same live queue (10
running jobs of the user asking, 40 of other users) and differ only in how many finished jobs
they keep: 50 against 9,950 (a tenth of them in job arrays of 10 tasks). The finished jobs
are written straight into each facility's database through its ``Store`` before measuring
(``Store.save_jobs``, the call the backends use), not submitted and run: that takes a second
instead of hours, and a listing cannot tell the difference. A listing is then timed at the
client, over HTTP on loopback, alternating between the two facilities so both see the same
load on the machine:

* **one user's queue**: ``GET /compute/jobs/perlmutter?kwargs=user=elvis`` (10 squeue rows;
  ``nora`` in the second facility);
* **a jobid= query**: ``?sacct=true&kwargs=jobid=<a finished job>,<an array>`` (11 sacct rows),
  the batched status query of watchers (ours and NERSC's client).

Figures: the median latency (and p90) of each, and the ratio 10,000 / 100 (target <= 1.2).

    python -m bench.stored_jobs            # 200 requests of each kind per facility
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.facility.models import JobRecord
from sfapi_jupyter.facility.store import Store

from ._facility import BenchFacility

SIZES = (100, 10_000)
#: The user asking, in each facility (both run at once: each needs a user of its own).
ASKING = {100: "elvis", 10_000: "nora"}
LIVE_MINE, LIVE_OTHERS = 10, 40


def stored_jobs(total: int, first: int, me: str = "elvis") -> tuple[list[JobRecord], int, int]:
    """``total`` records (50 running, 10 of them ``me``'s, the rest finished); also a finished
    job's id and an array's id to ask for."""
    users = [f"user{i:02d}" for i in range(49)] + [me]
    now = time.time()
    records: list[JobRecord] = []
    finished = total - LIVE_MINE - LIVE_OTHERS
    for k in range(finished):
        jobid = first + k
        chunk = k // 10
        array = chunk % 10 == 0  # a tenth of the jobs are tasks of 10-task arrays
        records.append(
            JobRecord(
                machine="perlmutter",
                jobid=jobid,
                name=f"scan{k}",
                user=users[k % len(users)],
                uid=70001 + k % len(users),
                gid=70001,
                group="g",
                account="m4001",
                state="COMPLETED" if k % 7 else "FAILED",
                submit_time=now - 3600,
                start_time=now - 3000,
                end_time=now - 2900,
                nodelist="nid001001",
                work_dir="/tmp",
                array_job_id=first + chunk * 10 if array else None,
                array_task_id=k % 10 if array else None,
            )
        )
    for k in range(LIVE_MINE + LIVE_OTHERS):
        user = me if k < LIVE_MINE else users[k % (len(users) - 1)]
        records.append(
            JobRecord(
                machine="perlmutter",
                jobid=first + finished + k,
                name=f"live{k}",
                user=user,
                uid=70000,
                gid=70000,
                group="g",
                account="m4001",
                state="RUNNING",
                submit_time=now - 60,
                start_time=now - 50,
                nodelist="nid001002",
                work_dir="/tmp",
            )
        )
    plain = next(r.jobid for r in reversed(records[:finished]) if r.array_job_id is None)
    return records, plain, first  # the first chunk is an array


def fill(fac: BenchFacility, total: int) -> tuple[int, int]:
    """Write ``total`` jobs into the facility's database (see the module docstring)."""
    store = Store(fac.state_dir / "private" / "facility.db")
    try:
        first = store.next_job_id(total)
        records, plain, array = stored_jobs(total, first, fac.user)
        store.save_jobs(records)
    finally:
        store.close()
    return plain, array


async def _token(fac: BenchFacility) -> str:
    cred = fac.clients[0]
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        return await c._auth.token()  # type: ignore[union-attr]


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p90_ms": ordered[int(len(ordered) * 0.9)] * 1000,
    }


def run(requests: int = 200) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-stored-") as tmp:
        facilities = [
            BenchFacility(Path(tmp) / f"s{size}", nodes=4, user=ASKING[size]) for size in SIZES
        ]
        try:
            queries, clients = [], []
            for fac, size in zip(facilities, SIZES, strict=True):
                plain, array = fill(fac, size)
                queries.append(
                    {
                        "queue": f"compute/jobs/perlmutter?kwargs=user={fac.user}",
                        "jobid": f"compute/jobs/perlmutter?sacct=true&kwargs=jobid={plain},{array}",
                    }
                )
                token = asyncio.run(_token(fac))
                clients.append(
                    httpx.Client(
                        base_url=fac.api_url + "/",
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=60,
                    )
                )
            latencies: dict[str, dict[int, list[float]]] = {
                kind: {size: [] for size in SIZES} for kind in ("queue", "jobid")
            }
            rows: dict[str, dict[int, int]] = {"queue": {}, "jobid": {}}
            for i in range(requests + 5):
                order = list(zip(clients, SIZES, queries, strict=True))
                if i % 2:  # who goes first alternates: neither is always the warmer one
                    order.reverse()
                for kind in ("queue", "jobid"):
                    for http, size, query in order:
                        start = time.perf_counter()
                        answer = http.get(query[kind])
                        elapsed = time.perf_counter() - start
                        body = answer.json()
                        if body["status"] != "OK":
                            raise RuntimeError(f"{query[kind]}: {body}")
                        rows[kind][size] = len(body["output"])
                        if i >= 5:  # the first few warm up connections and caches
                            latencies[kind][size].append(elapsed)
            for http in clients:
                http.close()
        finally:
            for fac in facilities:
                fac.close()
    small, large = SIZES
    result: dict[str, Any] = {"sizes": list(SIZES), "requests": requests}
    for kind in ("queue", "jobid"):
        figures = {size: _summary(latencies[kind][size]) for size in SIZES}
        result[kind] = {
            "rows": rows[kind][large],
            "small": figures[small],
            "large": figures[large],
            "ratio": figures[large]["p50_ms"] / figures[small]["p50_ms"],
        }
        if rows[kind][small] != rows[kind][large]:
            raise RuntimeError(f"{kind}: the two facilities answered different row counts")
    return result


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    result = run(requests)
    for kind, label in (("queue", "one user's queue"), ("jobid", "a jobid= query")):
        f = result[kind]
        print(
            f"{label} ({f['rows']} rows): {SIZES[0]} stored p50 {f['small']['p50_ms']:.1f} ms, "
            f"{SIZES[1]:,} stored p50 {f['large']['p50_ms']:.1f} ms, ratio {f['ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
