"""Load: 50 concurrent clients watching 1,000 jobs (each client submits an array of 20 jobs
and watches them to the end): the facility keeps answering; latency p50/p99 of every request
the clients sent. The facility runs in a process of its own.

So that the run is bounded in time on a slow machine, the 1,000 jobs wait on one blocking
job (``--dependency=afterok``) while they are watched for ``WINDOW`` seconds; then the blocker
is cancelled, the facility cancels them all (DependencyNeverSatisfied), and every one of those
final states must reach its watcher."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client import JobState
from tests.support.facility import SEEN_SECRETS, CountingTransport, free_port, percentile, script
from tests.support.figures import record, record_text
from tests.support.serve_process import facility_process

SECTION = "load (50 clients, 1,000 jobs)"
CLIENTS = 50
JOBS_EACH = 20
WINDOW = 40.0


@pytest.mark.timeout(420)
async def test_50_clients_watching_1000_jobs(tmp_path):
    port = free_port()
    options = {
        "nodes": {"perlmutter": 4, "dtns": 2, "dtn01": 1},
        "min_pending_seconds": 1.0,
        "scheduler_interval": 0.1,
    }
    api = f"http://127.0.0.1:{port}/api/v1.2"
    token_url = f"http://127.0.0.1:{port}/c2id/token"
    errors: list[BaseException] = []
    finals: dict[str, JobState] = {}
    transports = [CountingTransport() for _ in range(CLIENTS)]
    with facility_process(tmp_path, port, options, {"load": CLIENTS}) as creds:
        SEEN_SECRETS.update(c["key"].strip() for c in creds)
        released = asyncio.Event()
        blocker_client = AsyncClient(
            api, token_url, client_id=creds[0]["client_id"], key=creds[0]["key"]
        )
        blocker = await blocker_client.compute("perlmutter").submit(script("sleep 600"))
        started = time.monotonic()

        async def one_client(n: int) -> list[str]:
            async with AsyncClient(
                api,
                token_url,
                client_id=creds[n]["client_id"],
                key=creds[n]["key"],
                transport=transports[n],
            ) as client:
                machine = client.compute("perlmutter")
                try:
                    array = await machine.submit(
                        script(
                            "true",
                            f"-J load{n}",
                            f"--array=0-{JOBS_EACH - 1}",
                            f"--dependency=afterok:{blocker.jobid}",
                        )
                    )
                    machine.watcher.watch(array)
                    await released.wait()
                    await array.wait(timeout=240)
                except Exception as exc:
                    errors.append(exc)
                    return []
                tasks = machine.watcher.tasks_of(array.jobid)
                for task in tasks:
                    finals[task.jobid] = task.state
                return [task.jobid for task in tasks]

        async def release() -> None:
            await asyncio.sleep(WINDOW)
            await blocker.cancel()
            released.set()

        submitted, _ = await asyncio.gather(
            asyncio.gather(*map(one_client, range(CLIENTS))), release()
        )
        await blocker_client.aclose()
        elapsed = time.monotonic() - started
    for exc in errors:
        record_text("exception", f"{type(exc).__name__}: {exc}")
    jobids = [jobid for ids in submitted for jobid in ids]
    latencies = [s for t in transports for s in t.latencies]
    answered = sum(t.statuses[code] for t in transports for code in t.statuses if code < 400)
    refused = sum(t.statuses[code] for t in transports for code in t.statuses if code >= 400)
    failed = sum(t.failures for t in transports)
    lost = (
        CLIENTS * JOBS_EACH - len(set(jobids)) + sum(1 for j in jobids if not finals[j].is_terminal)
    )
    record(SECTION, "jobs watched", len(jobids))
    states = Counter(state.value for state in finals.values())
    record(SECTION, "  of which seen ending CANCELLED", states["CANCELLED"])
    record(SECTION, "jobs lost", lost, zero=True)
    record(SECTION, "jobs duplicated", len(jobids) - len(set(jobids)), zero=True)
    record(SECTION, "requests answered", answered)
    record(SECTION, "requests refused (4xx/5xx)", refused, zero=True)
    # Retried by the client; on a machine shared with other work some requests time out.
    record(SECTION, "connections failed or timed out (retried)", failed)
    record(SECTION, "exceptions reaching the user", len(errors), zero=True)
    record(SECTION, "latency p50", round(percentile(latencies, 0.50) * 1000), "ms")
    record(SECTION, "latency p99", round(percentile(latencies, 0.99) * 1000), "ms")
    record(SECTION, "latency max", round(max(latencies, default=0) * 1000), "ms")
    record(SECTION, "requests per second", round(answered / elapsed))
    record(SECTION, "wall time", round(elapsed, 1), "s")
    assert not errors, errors[:3]
    assert lost == 0 and refused == 0
    assert set(finals.values()) == {JobState.CANCELLED}
