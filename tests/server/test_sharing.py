"""Many tabs, one request: ten tabs polling the jobs route cost one API request per interval.

Counted at the facility (every API request it received). Each listing the API answered is
seen by the tabs as one ``fetched_at``; a 429 stops all requests for its Retry-After while
the tabs get the last answer, marked stale.
"""

from __future__ import annotations

import asyncio
import random
import time

from ..support.facility import make_async_client, script
from ..support.request_log import RequestLog
from ._servers import Jupyter

TABS = 10
INTERVAL = 1.0  # the server's min_interval (conftest)


async def poll(jupyter: Jupyter, seconds: float, every: float, answers: list[dict]) -> None:
    """One tab: GET jobs every ``every`` seconds, starting at a random phase."""
    async with jupyter.http() as tab:
        await asyncio.sleep(random.uniform(0, every))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            answer = await tab.get(jupyter.route("jobs"))
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
            await asyncio.sleep(every)


async def test_ten_tabs_polling_cost_one_queue_request_per_interval(
    jupyter: Jupyter, facility, elvis, api_log: RequestLog
) -> None:
    async with make_async_client(facility, elvis) as client:
        jobid = (await client.compute("perlmutter").submit(script("sleep 120"))).jobid
    async with jupyter.http() as tab:  # the first look: who the user is, the finished jobs
        warm = (await tab.get(jupyter.route("jobs"))).json()
        assert warm["key"] == "ok", warm
    start, began = len(api_log.seen), time.monotonic()
    answers: list[dict] = []
    await asyncio.gather(*(poll(jupyter, 4.0, 0.2, answers) for _ in range(TABS)))
    elapsed = time.monotonic() - began
    listings = [s for s in api_log.seen[start:] if s.is_listing]
    queue = [s for s in listings if s.is_queue]
    served = {a["machines"][0]["fetched_at"] for a in answers} - {warm["machines"][0]["fetched_at"]}
    assert len(answers) >= TABS * 10, "the tabs polled too little for the count to mean much"
    assert all(jobid in {j["jobid"] for j in a["machines"][0]["jobs"]} for a in answers)
    # each queue listing the API answered served every tab that asked in its interval
    assert len(queue) == len(served)
    assert 2 <= len(queue) <= elapsed / INTERVAL + 1, (len(queue), elapsed)
    assert not [s for s in listings if s.is_sacct], "finished jobs are read once a minute"
    assert all(a["machines"][0]["stale"] is False for a in answers)
    print(f"{len(answers)} tab requests in {elapsed:.1f} s -> {len(queue)} API requests")


async def test_a_429_stops_every_request_for_its_retry_after(
    jupyter: Jupyter, api_log: RequestLog
) -> None:
    async with jupyter.http() as tab:
        first = (await tab.get(jupyter.route("jobs/perlmutter"))).json()["machines"][0]
        api_log.fail_listing, api_log.retry_after = 429, 30
        await asyncio.sleep(INTERVAL + 0.2)
        start = len(api_log.seen)
        answers: list[dict] = []
        await asyncio.gather(*(poll(jupyter, 3.0, 0.2, answers) for _ in range(TABS)))
    refused = [s for s in api_log.seen[start:] if s.is_listing]
    assert len(refused) == 1, f"{len(refused)} listings sent after the 429 (one expected)"
    for answer in answers:
        machine = answer["machines"][0]
        assert machine["stale"] is True
        assert machine["fetched_at"] == first["fetched_at"]
        assert machine["jobs"] == first["jobs"]
        assert "Rate limited" in machine["error"]
        assert 0 < machine["retry_in"] <= 30
