"""Retries against the facility's fault injection: nothing lost, nothing duplicated."""

from __future__ import annotations

import asyncio

import pytest

from sfapi_jupyter.client import JobState, RetryPolicy, ServerError
from sfapi_jupyter.facility import FaultConfig
from sfapi_jupyter.facility.faults import injected_faults
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config, make_async_client
from ..support.scripts import batch_script as script

FAST_RETRY = RetryPolicy(attempts=8, base=0.05, cap=0.5)


@pytest.fixture(params=[11, 12, 13])
def flaky(request, tmp_path):
    # 500 is left out: it is not a transient status, and the client does not retry it
    kinds = ("429", "502", "503", "504", "drop", "slow")
    faults = FaultConfig(rate=0.3, seed=request.param, kinds=kinds, slow_seconds=0.3, retry_after=0)
    with LocalFacility(fast_config(tmp_path, faults=faults)) as facility:
        facility.transport = None
        yield facility


async def test_reads_survive_every_kind_of_fault(flaky):
    async with make_async_client(flaky, flaky.create_client("elvis"), retry=FAST_RETRY) as client:
        for _ in range(25):
            assert (await client.status("perlmutter")).name == "perlmutter"
            assert (await client.user()).name == "elvis"
    kinds = {kind for _, _, kind, _ in injected_faults(flaky.app)}
    assert len(kinds) >= 4 and "drop" in kinds, kinds


async def test_submits_under_faults_make_each_job_exactly_once(flaky):
    async with make_async_client(flaky, flaky.create_client("elvis"), retry=FAST_RETRY) as client:
        machine = client.compute("perlmutter")
        jobs = []
        for i in range(12):
            jobs.append(await machine.submit(script(f"echo job {i}", f"-J job{i}")))
        await asyncio.gather(*(job.wait(timeout=120) for job in jobs))
    records = flaky.facility.store.load_jobs("perlmutter")
    assert sorted(r.name for r in records) == sorted(f"job{i}" for i in range(12))
    assert len({j.jobid for j in jobs}) == 12
    assert all(job.state is JobState.COMPLETED for job in jobs)


@pytest.mark.parametrize("kind", ["502", "504", "drop", "429"])
async def test_a_submit_whose_answer_is_lost_is_found_not_repeated(tmp_path, kind):
    # Every submit POST runs, then its answer is lost: the client must find the job it
    # made (by its marker) instead of submitting again.
    faults = FaultConfig(
        rate=1.0,
        seed=5,
        kinds=(kind,),
        methods=("POST",),
        paths=("compute/jobs",),
        when="after",
        retry_after=0,
    )
    with LocalFacility(fast_config(tmp_path, faults=faults)) as facility:
        facility.transport = None
        async with make_async_client(
            facility, facility.create_client("elvis"), retry=FAST_RETRY
        ) as client:
            job = await client.compute("perlmutter").submit(script("echo once", "-J once"))
            await job.wait(timeout=60)
        assert job.state is JobState.COMPLETED
        assert [r.name for r in facility.facility.store.load_jobs("perlmutter")] == ["once"]
        assert len(injected_faults(facility.app)) == 1


async def test_a_submit_with_its_own_comment_is_not_retried_blindly(tmp_path):
    faults = FaultConfig(
        rate=1.0, seed=5, kinds=("502",), methods=("POST",), paths=("compute/jobs",), when="after"
    )
    with LocalFacility(fast_config(tmp_path, faults=faults)) as facility:
        facility.transport = None
        async with make_async_client(
            facility, facility.create_client("elvis"), retry=FAST_RETRY
        ) as client:
            with pytest.raises(ServerError, match="may or may not have been submitted"):
                await client.compute("perlmutter").submit(script("true", "--comment=mine"))
            # the one POST did run: its task makes exactly one job, and nothing else is sent
            for _ in range(100):
                if facility.facility.store.load_jobs("perlmutter"):
                    break
                await asyncio.sleep(0.1)
        assert len(facility.facility.store.load_jobs("perlmutter")) == 1
        assert len(injected_faults(facility.app)) == 1


async def test_a_server_that_keeps_failing_gives_a_clear_error(tmp_path):
    faults = FaultConfig(rate=1.0, seed=1, kinds=("502",))
    with LocalFacility(fast_config(tmp_path, faults=faults)) as facility:
        facility.transport = None
        retry = RetryPolicy(attempts=3, base=0.01, cap=0.05)
        async with make_async_client(
            facility, facility.create_client("elvis"), retry=retry
        ) as client:
            with pytest.raises(ServerError, match="HTTP 502") as raised:
                await client.status("perlmutter")
            assert "Try again" in str(raised.value)
        assert len(injected_faults(facility.app)) == 3
