"""Submitting many jobs: ``submit_nowait``, ``submit_many``, ``wait_submitted``.

Against the local facility over real HTTP: each way makes exactly the jobs asked for, once
each, even when the facility loses answers (the marker finds a job already made); the
errors of background submits reach the user (on the job's first use, in the summary, or as
a warning when the client closes); and the requests per submit are what the docs say.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections import Counter

import httpx
import pytest

from sfapi_jupyter.client import (
    BadScriptError,
    JobNotReadyError,
    JobState,
    SubmitError,
    SubmitWarning,
)
from sfapi_jupyter.client.resources.submitting import POSTS_IN_FLIGHT
from sfapi_jupyter.facility import FaultConfig
from sfapi_jupyter.facility.faults import injected_faults
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import FAST_RETRY, fast_config, make_async_client, make_client
from ..support.figures import record_bad_input, record_text
from ..support.scripts import batch_script as script

#: A script the client's checks accept and the facility's sbatch refuses.
REFUSED = script("true", "-A no_such_account", "-J refused")


class KindCounter(httpx.AsyncBaseTransport):
    """Real HTTP, counting API requests by kind (``POST /compute/jobs``, ``GET /tasks/{id}``).

    ``hold_posts=N`` hands the answers of the first N submits to the client together, once
    all N are in: polls can only share a request when their submits were answered together,
    and on a loaded machine the facility's answers to concurrent POSTs spread out (the count
    of polls then says how busy the machine was, not whether the client shares them).
    """

    def __init__(self, hold_posts: int = 0) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.kinds: Counter[str] = Counter()
        self._hold = hold_posts
        self._answered = 0
        self._held: list[asyncio.Future[None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.split("/api/v1.2/", 1)[-1]
        if path.startswith("tasks/"):
            path = "tasks/{id}"
        elif path.startswith("compute/jobs/"):
            path = "compute/jobs"
        elif path.startswith("status/"):
            path = "status"
        self.kinds[f"{request.method} {path}"] += 1
        response = await self._inner.handle_async_request(request)
        if request.method == "POST" and path == "compute/jobs" and self._answered < self._hold:
            self._answered += 1
            handed = asyncio.get_running_loop().create_future()
            self._held.append(handed)
            if len(self._held) == POSTS_IN_FLIGHT or self._answered == self._hold:
                for held in self._held:
                    held.set_result(None)
                self._held = []
            # A submit that never gets an answer must not hang the test: the counts fail it.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(handed, 60)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def names_made(facility: LocalFacility) -> Counter[str]:
    return Counter(r.name for r in facility.facility.store.load_jobs("perlmutter"))


@pytest.fixture(params=["lost answers", "every kind"])
def faulty(request, tmp_path):
    if request.param == "lost answers":
        # Every third submit runs at the facility and then its answer is lost.
        faults = FaultConfig(
            rate=0.35,
            seed=3,
            kinds=("502", "504", "drop"),
            methods=("POST",),
            paths=("compute/jobs",),
            when="after",
            retry_after=0,
        )
    else:
        # Any request, task polls and listings included, before or after it ran.
        faults = FaultConfig(
            rate=0.25,
            seed=4,
            kinds=("429", "502", "503", "504", "drop", "slow"),
            slow_seconds=0.3,
            retry_after=0,
        )
    with LocalFacility(fast_config(tmp_path, faults=faults)) as facility:
        facility.transport = None
        yield facility


async def test_a_loop_of_submit_nowait_makes_each_job_exactly_once_through_faults(faulty):
    async with make_async_client(faulty, faulty.create_client("elvis"), retry=FAST_RETRY) as c:
        machine = c.compute("perlmutter")
        jobs = [machine.submit_nowait(script("true", f"-J scan{i}")) for i in range(24)]
        assert not any(job.submitted for job in jobs)  # returned before the API answered
        done = await machine.wait_submitted()
        assert done == jobs and all(job.submitted for job in jobs)
        await asyncio.gather(*(job.wait(timeout=120) for job in jobs))
    assert names_made(faulty) == Counter(f"scan{i}" for i in range(24))
    assert len({job.jobid for job in jobs}) == 24
    assert all(job.state is JobState.COMPLETED for job in jobs), [(j, j.info) for j in jobs]
    assert any(method == "POST" for method, *_ in injected_faults(faulty.app))


def test_submit_many_in_the_sync_client_makes_each_job_exactly_once(faulty):
    with make_client(faulty, faulty.create_client("elvis"), retry=FAST_RETRY) as client:
        jobs = client.compute("perlmutter").submit_many(
            [script("true", f"-J many{i}") for i in range(24)]
        )
        ids = [job.jobid for job in jobs]
    assert names_made(faulty) == Counter(f"many{i}" for i in range(24))
    assert len(set(ids)) == 24
    # the jobs come back in the order of the scripts
    made = {str(r.jobid): r.name for r in faulty.facility.store.load_jobs("perlmutter")}
    assert [made[i] for i in ids] == [f"many{i}" for i in range(24)]


def test_a_failed_background_submit_is_raised_by_the_jobs_first_use(facility, creds):
    with make_client(facility, creds) as client:
        machine = client.compute("perlmutter")
        good = machine.submit_nowait(script("true", "-J good"))
        bad = machine.submit_nowait(REFUSED)
        assert good.jobid  # blocks until the API has answered
        with pytest.raises(BadScriptError, match="Invalid account") as raised:
            bad.jobid  # noqa: B018
        record_text("exception", str(raised.value))
        assert not bad.submitted and bad.submit_error is raised.value
        assert "submit failed" in repr(bad)
        with pytest.raises(SubmitError, match="1 of 2 submits to perlmutter failed") as summary:
            machine.wait_submitted()
        assert [j.jobid for j in summary.value.jobs] == [good.jobid]
        assert [j.aio for j in summary.value.failed] == [bad.aio]
        record_bad_input(
            "function", "machine.wait_submitted() after a refused script", str(summary.value)
        )
        assert machine.wait_submitted() == []  # summarised once
    assert names_made(facility) == Counter(["good"])


def test_submit_many_says_which_scripts_failed_and_returns_the_others(facility, creds):
    with make_client(facility, creds) as client:
        machine = client.compute("perlmutter")
        scripts = [script("true", "-J a"), REFUSED, script("true", "-J b")]
        with pytest.raises(SubmitError) as raised:
            machine.submit_many(scripts)
        message = str(raised.value)
        assert "1 of 3 submits" in message and "#1: BadScriptError" in message
        assert "Invalid account" in message
        assert sorted(j.name for j in (j.refresh() for j in raised.value.jobs)) == ["a", "b"]
        assert [j.submit_error is not None for j in raised.value.failed] == [True]
        record_bad_input("function", "machine.submit_many([ok, refused, ok])", message)


def test_a_bad_script_in_submit_many_stops_everything_before_any_request(facility, creds):
    with make_client(facility, creds) as client:
        machine = client.compute("perlmutter")
        sent = client.aio.request_count
        typo = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH --tiem=5\nhostname\n"
        with pytest.raises(BadScriptError, match=r"did you mean --time\?"):
            machine.submit_many([script("true"), typo])
        with pytest.raises(BadScriptError, match=r"did you mean --time\?"):
            machine.submit_nowait(typo)
        assert client.aio.request_count == sent
    assert names_made(facility) == Counter()


async def test_an_error_nobody_looked_at_is_shown_when_the_client_closes(facility, creds):
    client = make_async_client(facility, creds)
    client.compute("perlmutter").submit_nowait(REFUSED)
    with pytest.warns(SubmitWarning, match="1 background submit.* to perlmutter failed") as seen:
        await client.aclose()
    assert "Invalid account" in str(seen[0].message)
    record_bad_input(
        "function",
        "client closed with a failed submit_nowait nobody looked at",
        str(seen[0].message),
    )


async def test_a_seen_error_is_not_warned_about_again(facility, creds):
    client = make_async_client(facility, creds)
    job = client.compute("perlmutter").submit_nowait(REFUSED)
    with pytest.raises(BadScriptError):
        await job.ready()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SubmitWarning)
        await client.aclose()


async def test_an_async_job_has_no_id_until_the_api_answers(facility, creds):
    async with make_async_client(facility, creds) as client:
        machine = client.compute("perlmutter")
        job = machine.submit_nowait(script("true", "-J later"))
        with pytest.raises(JobNotReadyError, match=r"await job.ready\(\)") as raised:
            job.jobid  # noqa: B018
        record_bad_input(
            "function", "job.jobid of an AsyncJob still being submitted", str(raised.value)
        )
        assert "(submitting)" in repr(job)
        await job.wait(timeout=60)  # waits for the id first
        assert job.state is JobState.COMPLETED and job.jobid.isdigit()


async def test_many_submits_cost_one_post_each_and_share_their_task_polls(facility, creds):
    counter = KindCounter(hold_posts=40)
    async with make_async_client(facility, creds, transport=counter) as client:
        machine = client.compute("perlmutter")
        jobs = await machine.submit_many([script("true", f"-J n{i}") for i in range(40)])
        kinds = counter.kinds
        polls = kinds["GET tasks/{id}"] + kinds["GET tasks"]
        assert kinds["POST compute/jobs"] == 40
        assert kinds["GET status"] == 1  # the availability check, shared
        assert 1 <= polls < 40, kinds  # shared: fewer than one per submit
        await asyncio.gather(*(job.wait(timeout=120) for job in jobs))
    # the watcher's looks at the new jobs were held while the burst went on
    assert kinds["GET compute/jobs"] <= 6, kinds
    record_text("counts", str(dict(kinds)))


async def test_concurrent_blocking_submits_share_their_task_polls_too(facility, creds):
    counter = KindCounter(hold_posts=20)
    async with make_async_client(facility, creds, transport=counter) as client:
        machine = client.compute("perlmutter")
        jobs = await asyncio.gather(*(machine.submit(script("true")) for _ in range(20)))
        kinds = counter.kinds
        assert len({job.jobid for job in jobs}) == 20
        assert kinds["POST compute/jobs"] == 20 and kinds["GET status"] == 1
        assert 1 <= kinds["GET tasks/{id}"] + kinds["GET tasks"] < 20, kinds
