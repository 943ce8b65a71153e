"""The shared job watcher, against a live local facility that logs what it receives."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from sfapi_jupyter.client import (
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    SfApiError,
    WaitTimeout,
)
from sfapi_jupyter.client.models import JobState
from sfapi_jupyter.client.resources.jobs import AsyncJob
from sfapi_jupyter.client.watch import JobEvent
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.request_log import count_ticks
from ..support.scripts import batch_script as batch
from ._watch_fixtures import (  # noqa: F401 - fixtures
    logged_facility,
    make_client,
    request_log,
    wclient,
)

S = JobState


async def test_200_jobs_cost_one_sacct_request_per_tick(wclient, request_log, logged_facility):
    machine = wclient.compute("perlmutter")
    config = logged_facility.config
    # All 200 stay queued while they are submitted, and the scheduler looks less often.
    config.min_pending_seconds, config.scheduler_interval = 3600, 1.0
    machine.watcher.min_interval = 2.0  # and the watcher keeps quiet meanwhile
    submitting = asyncio.Semaphore(20)  # the local facility submits faster this way

    async def submit() -> AsyncJob:
        async with submitting:
            return await machine.submit(batch("sleep 1"))

    jobs = await asyncio.gather(*(submit() for _ in range(200)))
    ticks = count_ticks(machine.watcher, request_log)
    config.min_pending_seconds, config.scheduler_interval = 0, 0.05  # now they all start
    machine.watcher.min_interval = 0.2

    await asyncio.gather(*(job.wait(timeout=120) for job in jobs))

    assert [job.state for job in jobs] == [S.COMPLETED] * 200
    assert len(ticks) >= 3, [[(r.query, r.sent) for r in t] for t in ticks]
    # One accounting request per tick answers for queued, running and ended jobs alike:
    # no squeue request, and nothing else asked.
    assert all([r.is_sacct for r in requests] == [True] for requests in ticks), ticks
    ids = {job.jobid for job in jobs}
    assert set(ticks[0][0].jobids) == ids  # all 200 jobs in the first tick's one request
    asked = [set(requests[0].jobids) for requests in ticks]
    assert all(b <= a for a, b in itertools.pairwise(asked))  # ended jobs drop out
    # After the last job ended the watcher stops asking.
    seen = len(request_log.seen)
    await asyncio.sleep(2 * machine.watcher.max_interval)
    assert request_log.since(seen) == []


async def test_callbacks_and_iterator_see_pending_running_completed(wclient):
    machine = wclient.compute("perlmutter")
    heard: list[JobEvent] = []
    unsubscribe = machine.watcher.subscribe(heard.append)
    job = await machine.submit(batch("sleep 2"))
    streamed = [event async for event in machine.watcher.events([job])]  # ends by itself
    unsubscribe()

    assert [(e.old, e.new) for e in streamed] == [
        (S.UNKNOWN, S.PENDING),
        (S.PENDING, S.RUNNING),
        (S.RUNNING, S.COMPLETED),
    ]
    mine = [(e.old, e.new) for e in heard if e.jobid == job.jobid]
    assert mine == [(e.old, e.new) for e in streamed]
    assert streamed[-1].is_terminal and streamed[-1].job.state is S.COMPLETED


async def test_a_broken_callback_does_not_stop_the_watcher(wclient):
    machine = wclient.compute("perlmutter")
    machine.watcher.subscribe(lambda event: 1 / 0)
    job = await machine.submit(batch("true"))
    assert (await job.wait(timeout=60)).state is S.COMPLETED


@pytest.mark.parametrize(
    ("body", "options", "state"),
    [
        ("exit 3", (), S.FAILED),
        ("sleep 60", ("-t 0:02",), S.TIMEOUT),
        ("true", (), S.COMPLETED),
    ],
)
async def test_polling_stops_at_the_end(wclient, request_log, body, options, state):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(batch(body, *options))
    await job.wait(timeout=60)
    assert job.state is state
    if state is S.FAILED:
        assert job.exit_code == 3
    seen = len(request_log.seen)
    await asyncio.sleep(2 * machine.watcher.max_interval)
    assert [r for r in request_log.since(seen) if r.is_listing] == []


async def test_cancelled_by_uid_is_terminal(wclient):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(batch("sleep 60"))
    events = machine.watcher.events([job])
    await job.cancel()
    async for _ in events:
        pass
    assert job.state is S.CANCELLED
    assert job.info is not None and job.info.cancelled_by is not None


@pytest.mark.parametrize(
    "state", ["OUT_OF_MEMORY", "PREEMPTED", "DEADLINE", "BOOT_FAIL", "NODE_FAIL"]
)
async def test_every_slurm_end_state_stops_the_wait(wclient, logged_facility, state):
    """States the local backend cannot cause are written into the facility's records."""
    machine = wclient.compute("perlmutter")
    blocker = await machine.submit(batch("sleep 60"))
    job = await machine.submit(batch("true", f"-d afterok:{blocker.jobid}"))
    store = logged_facility.facility.store
    for _ in range(100):
        record = store.get_job("perlmutter", int(job.jobid))
        if record is not None and record.reason == "Dependency":
            break
        await asyncio.sleep(0.05)
    assert record is not None
    record.state, record.end_time = state, time.time()
    store.save_job(record)

    await job.wait(timeout=60)
    assert job.state is S(state)
    assert job.jobid not in {j.jobid for j in machine.watcher.watched if not j.is_terminal}
    await blocker.cancel()


async def test_node_fail_when_the_facility_restarts(tmp_path, request_log):

    config = fast_config(tmp_path / "state", min_pending_seconds=0.2)
    first = LocalFacility(config).start()
    port = first.port
    client = make_client(first)
    try:
        machine = client.compute("perlmutter")
        machine.watcher.min_interval, machine.watcher.max_interval = 0.2, 0.5
        job = await machine.submit(batch("sleep 60"))
        async for event in machine.watcher.events([job]):
            if event.new is S.RUNNING:
                break
        await asyncio.to_thread(first.stop)
        second = LocalFacility(fast_config(tmp_path / "state"), port=port).start()
        try:
            await job.wait(timeout=60)
        finally:
            await asyncio.to_thread(second.stop)
        assert job.state is S.NODE_FAIL
        assert job.reason == "NodeDown"
    finally:
        await client.aclose()


async def test_unknown_job_is_not_found_after_the_grace_period(wclient, request_log):
    machine = wclient.compute("perlmutter")
    machine.watcher.grace = 0.6
    start = len(request_log.seen)
    with pytest.raises(NotFoundError, match="never appeared"):
        await AsyncJob(machine, "987654").wait(timeout=30)
    looks = [r for r in request_log.since(start) if r.is_listing]
    assert len(looks) >= 2  # it looked again during the grace period, then gave up
    assert all(r.jobids == ["987654"] and r.is_sacct for r in looks)


async def test_interval_backs_off_while_nothing_changes_and_is_capped(wclient):
    machine = wclient.compute("perlmutter")
    watcher = machine.watcher
    watcher.fresh_seconds, watcher.min_interval, watcher.max_interval = 0.0, 0.05, 0.4
    watcher.steady_interval = 0.05  # the pace after a change, from which it grows
    watcher.backoff = 2.0
    job = await machine.submit(batch("sleep 60"))
    planned: list[float] = []
    original = watcher.poll_once

    async def recording() -> bool:
        planned.append(watcher.interval)
        return await original()

    watcher.poll_once = recording
    async for event in watcher.events([job]):
        if event.new is S.RUNNING:
            break
    planned.clear()  # from the last change on
    while len(planned) < 8:
        await asyncio.sleep(0.1)
    planned = list(planned)  # what was planned while nothing changed
    await job.cancel(wait=True)

    top = planned.index(max(planned))
    assert max(planned) == pytest.approx(0.4)  # capped ...
    assert top >= 2 and planned[top - 2] < planned[top - 1] < planned[top]  # ... after growing
    assert planned[top:] == pytest.approx([0.4] * len(planned[top:]))  # and stays there


async def test_cached_false_only_while_the_job_is_fresh(wclient, request_log):
    machine = wclient.compute("perlmutter")
    watcher = machine.watcher
    watcher.fresh_seconds = 0.5
    start = len(request_log.seen)
    job = await machine.submit(batch("sleep 3"))
    await job.wait(timeout=60)
    listings = [r for r in request_log.since(start) if r.is_listing]
    flags = [r.query.get("cached") == ["false"] for r in listings]
    # Right after submit the cache is bypassed; later ticks use it.
    assert flags[0] is True and flags[-1] is False
    assert flags == sorted(flags, reverse=True)  # never bypassed again once it stopped


async def test_array_waits_for_every_task(wclient):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(
        batch('sleep 1; [ "$SLURM_ARRAY_TASK_ID" != 2 ] || exit 4', "--array=0-3%2")
    )
    states = [e.new async for e in machine.watcher.events([job])]
    tasks = machine.watcher.tasks_of(job.jobid)

    assert sorted(t.array_task_id or "" for t in tasks) == ["0", "1", "2", "3"]
    assert all(t.is_terminal for t in tasks)
    assert job.state is S.FAILED  # one task failed: the array did not complete
    assert job.exit_code == 4
    assert states[-1] is S.FAILED and all(not s.is_terminal for s in states[:-1])


async def test_an_array_task_that_ends_before_the_first_tick_is_counted(wclient):
    # Task 3 fails at once while the others keep running: squeue never shows it, so only
    # sacct can; the watcher must count it while the rest of the array still runs.
    machine = wclient.compute("perlmutter")
    watcher = machine.watcher
    watcher.min_interval = 1.5  # let task 3 end before the first tick
    job = await machine.submit(
        batch('[ "$SLURM_ARRAY_TASK_ID" = 3 ] && exit 3; sleep 30', "--array=0-3")
    )

    def counts() -> dict[str, int]:
        tally: dict[str, int] = {}
        for task in watcher.tasks_of(job.jobid):
            tally[task.state.value] = tally.get(task.state.value, 0) + 1
        return tally

    for _ in range(100):
        if counts() == {"RUNNING": 3, "FAILED": 1}:
            break
        await asyncio.sleep(0.1)
    assert counts() == {"RUNNING": 3, "FAILED": 1}
    assert job.state is S.RUNNING
    await job.cancel(wait=True)


async def test_wait_times_out_and_the_job_stays_watched(wclient):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(batch("sleep 60"))
    with pytest.raises(WaitTimeout, match=f"Job {job.jobid}"):
        await job.wait(timeout=0.3)
    assert job in machine.watcher.watched
    await job.cancel(wait=True)
    assert job.state is S.CANCELLED


async def test_a_second_handle_on_the_same_job_is_updated(wclient):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(batch("sleep 1"))
    other = await machine.job(job.jobid)
    await asyncio.gather(job.wait(timeout=60), other.wait(timeout=60))
    assert job.state is other.state is S.COMPLETED


async def test_api_trouble_backs_off_then_recovers(wclient, request_log):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(batch("sleep 2"))
    request_log.fail_listing = 503
    waiting = asyncio.create_task(job.wait(timeout=60))
    while machine.watcher.last_error is None:
        await asyncio.sleep(0.05)
    assert isinstance(machine.watcher.last_error, ServerError)
    assert not waiting.done()  # a passing outage is not the job's end
    request_log.fail_listing = None
    await waiting
    assert job.state is S.COMPLETED and machine.watcher.last_error is None


async def test_lasting_api_trouble_reaches_the_waiter(wclient, request_log):
    machine = wclient.compute("perlmutter")
    machine.watcher.give_up_after = 0.5
    job = await machine.submit(batch("sleep 30"))
    request_log.fail_listing = 503
    with pytest.raises(ServerError):
        await job.wait(timeout=60)
    request_log.fail_listing = None
    await job.cancel()


async def test_refused_credentials_reach_the_waiter_at_once(wclient, request_log):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(batch("sleep 30"))
    request_log.fail_listing = 403
    with pytest.raises(PermissionDeniedError):
        await job.wait(timeout=60)
    request_log.fail_listing = None
    await job.cancel()


async def test_closing_the_client_releases_waiters(logged_facility):
    client = make_client(logged_facility)
    machine = client.compute("perlmutter")
    job = await machine.submit(batch("sleep 30"))
    waiting = asyncio.create_task(job.wait())
    await asyncio.sleep(0.1)
    await client.aclose()
    with pytest.raises(SfApiError, match="stopped"):
        await waiting
