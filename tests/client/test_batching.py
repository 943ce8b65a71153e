"""Requests shared between concurrent callers: job look-ups, ticks, submits and tails.

These assert what the facility received (request counts and kinds), never how long it took.
"""

from __future__ import annotations

import asyncio

from sfapi_jupyter.client.models import JobState

from ..support.scripts import batch_script as batch
from ._watch_fixtures import (  # noqa: F401 - fixtures
    logged_facility,
    make_client,
    request_log,
    wclient,
)

S = JobState


async def test_concurrent_job_lookups_share_one_request(wclient, request_log):
    machine = wclient.compute("perlmutter")
    done = await machine.submit(batch("true"))
    await done.wait(timeout=60)
    running = [await machine.submit(batch("sleep 30")) for _ in range(9)]
    await asyncio.gather(*(j.wait(timeout=0.01) for j in running), return_exceptions=True)
    await machine.watcher.stop()  # nothing else asks meanwhile
    ids = [done.jobid, *(j.jobid for j in running)]
    start = len(request_log.seen)

    jobs = await asyncio.gather(*(machine.job(i) for i in ids))

    asked = request_log.since(start)
    # One accounting request answered for the ended job and the live ones alike.
    assert len(asked) == 1 and asked[0].is_sacct, asked
    assert set(asked[0].jobids) == set(ids)
    assert jobs[0].state is S.COMPLETED
    assert all(j.state in (S.PENDING, S.RUNNING) for j in jobs[1:])
    for job in running:
        await job.cancel()


async def test_concurrent_submits_share_their_first_look(wclient, request_log):
    machine = wclient.compute("perlmutter")
    machine.watcher.first_look = 2.0  # longer than ten submits take, even on a busy machine
    start = len(request_log.seen)

    jobs = await asyncio.gather(*(machine.submit(batch("sleep 1")) for _ in range(10)))
    assert all(j.state is S.PENDING for j in jobs)  # sbatch queued them
    await asyncio.gather(*(j.wait(timeout=60) for j in jobs))

    seen = request_log.since(start)
    posts = [r for r in seen if r.method == "POST" and r.path.endswith("/compute/jobs/perlmutter")]
    assert len(posts) == 10  # never submitted twice
    looks = [r for r in seen if r.is_listing]
    assert all(r.is_sacct for r in looks)
    # The first looks were shared: every job was seen in fewer requests than there are jobs.
    ids, needed = {j.jobid for j in jobs}, 0
    covered: set[str] = set()
    while covered != ids:
        covered |= set(looks[needed].jobids) & ids
        needed += 1
    assert needed < len(ids), [r.jobids for r in looks[:needed]]
    assert all(j.state is S.COMPLETED for j in jobs)


async def test_closing_right_after_a_submit_stops_polling(logged_facility, request_log):
    client = make_client(logged_facility)
    machine = client.compute("perlmutter")
    await machine.submit(batch("sleep 5"))
    await client.aclose()
    closed = len(request_log.seen)
    await asyncio.sleep(2.5)
    assert request_log.since(closed) == []


async def test_following_many_files_costs_one_command_per_poll(
    wclient, request_log, logged_facility
):
    home = logged_facility.config.home_of("elvis")
    machine = wclient.compute("perlmutter")
    files = [home / f"many-{k}.log" for k in range(8)]
    for path in files:
        path.write_text("")
    stop = asyncio.Event()
    texts = [""] * len(files)

    async def follow(k: int) -> None:
        async for chunk in machine.tail(files[k].name, interval=0.3, max_interval=0.3, stop=stop):
            texts[k] += chunk

    followers = [asyncio.create_task(follow(k)) for k in range(len(files))]
    start = len(request_log.seen)
    for line in range(5):
        for k, path in enumerate(files):
            with path.open("a") as out:
                out.write(f"file {k} line {line}\n")
        await asyncio.sleep(0.4)
    stop.set()
    await asyncio.gather(*followers)

    assert texts == ["".join(f"file {k} line {n}\n" for n in range(5)) for k in range(8)]
    commands = [
        r
        for r in request_log.since(start)
        if r.method == "POST" and "/utilities/command/" in r.path
    ]
    tails = machine.tails
    assert len(commands) == tails.commands
    # Eight files per command on average, give or take a poll that fell out of step.
    assert tails.polls >= 6 * tails.commands, (tails.polls, tails.commands)
