"""The local backend end to end: real processes, real files, Slurm's states and reasons.

Jobs that must stay RUNNING wait for a ``release`` file, so no test depends on how fast
the machine is; ``wait_for`` polls instead of sleeping for fixed times.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sfapi_jupyter.facility.accounts import Accounts
from sfapi_jupyter.facility.backends.local import LocalBackend
from sfapi_jupyter.facility.config import FacilityConfig
from sfapi_jupyter.facility.models import (
    FacilityUser,
    JobQuery,
    JobRecord,
    SbatchError,
    ScancelError,
    SubmitRequest,
)
from sfapi_jupyter.facility.store import Store

from ..support.facility import fast_config
from ..support.processes import process_gone
from ..support.scripts import batch_script
from ..support.waiting import async_wait_for as wait_for

pytestmark = pytest.mark.timeout(90)

MACHINE = "perlmutter"
GATE = 'while [ ! -e "$HOME/release" ]; do sleep 0.05; done\n'


def make_user(root: Path, name: str = "alice") -> FacilityUser:
    """A user registered in the facility at ``root/state`` (a real OS account when root)."""
    config = FacilityConfig(state_dir=root / "state")
    config.ensure_dirs()
    store = Store(config.db_path)
    try:
        return Accounts(config, store).ensure_user(name, ["m1234"])
    finally:
        store.close()


def give(user: FacilityUser, path: Path) -> None:
    """Hand what the test (root in CI) made to ``user``, as if the user had made it."""
    if os.geteuid() == 0:
        os.chown(path, user.uid, user.gid)


@pytest.fixture
def config(tmp_path: Path) -> FacilityConfig:
    return fast_config(tmp_path / "state", min_pending_seconds=0.2)


@pytest.fixture
def store(config: FacilityConfig) -> Iterator[Store]:
    store = Store(config.db_path)
    yield store
    store.close()


@pytest.fixture
async def backend(config: FacilityConfig, store: Store) -> AsyncIterator[LocalBackend]:
    backend = LocalBackend(config, store, Accounts(config, store))
    await backend.start()
    yield backend
    await backend.stop()


@pytest.fixture
def user(tmp_path: Path) -> FacilityUser:
    return make_user(tmp_path)


def batch(*directives: str, body: str) -> str:
    return batch_script(body, *directives, constraint=None)


async def submit(backend: LocalBackend, user: FacilityUser, script: str, **kwargs: Any) -> int:
    return await backend.submit(SubmitRequest(machine=MACHINE, user=user, script=script, **kwargs))


def record(backend: LocalBackend, jobid: int) -> JobRecord:
    job = backend.store.get_job(MACHINE, jobid)
    assert job is not None
    return job


def in_state(backend: LocalBackend, jobid: int, *states: str) -> Callable[[], JobRecord | None]:
    def check() -> JobRecord | None:
        job = record(backend, jobid)
        return job if job.state in states else None

    return check


async def finished(backend: LocalBackend, jobid: int) -> JobRecord:
    job: JobRecord = await wait_for(lambda: (j := record(backend, jobid)).is_terminal and j)
    return job


def span(backend: LocalBackend, jobid: int) -> tuple[float, float]:
    """(start, end) of a finished job that ran."""
    job = record(backend, jobid)
    assert job.start_time is not None and job.end_time is not None
    return job.start_time, job.end_time


def release(user: FacilityUser) -> None:
    (user.home / "release").touch()


async def squeue(backend: LocalBackend, **filters: Any) -> list[int]:
    return [j.jobid for j in await backend.jobs(MACHINE, JobQuery(**filters))]


# -- lifecycle --------------------------------------------------------------------------------
async def test_job_goes_pending_running_completed(
    backend: LocalBackend, user: FacilityUser
) -> None:
    path = user.home / "hello.sh"
    path.write_text(batch("-C cpu", body=f"{GATE}echo done $1 $2\n"))
    jobid = await submit(backend, user, path.read_text(), script_path=path, args=["a", "b c"])

    pending = record(backend, jobid)
    assert pending.state == "PENDING"
    assert (pending.name, pending.command, pending.account) == ("hello.sh", str(path), "m1234")
    assert jobid in await squeue(backend)

    running = await wait_for(in_state(backend, jobid, "RUNNING"))
    assert running.nodelist == "nid001001" and running.start_time is not None
    assert running.stdout == str(user.home / f"slurm-{jobid}.out")
    release(user)

    done = await finished(backend, jobid)
    assert (done.state, done.exit_code, done.end_time is not None) == ("COMPLETED", 0, True)
    assert Path(done.stdout).read_text() == "done a b c\n"
    assert jobid not in await squeue(backend)
    assert jobid in await squeue(backend, include_finished=True)


async def test_script_sees_slurm_environment(
    backend: LocalBackend, user: FacilityUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVER_SECRET", "leak")
    body = "env | sort > env.txt\n"
    jobid = await submit(
        backend, user, batch("-J envjob", "-N 2", "-q debug", "--export=ALL,FOO=bar", body=body)
    )
    assert (await finished(backend, jobid)).state == "COMPLETED"
    env = dict(line.split("=", 1) for line in (user.home / "env.txt").read_text().splitlines())
    assert env["SLURM_JOB_ID"] == env["SLURM_JOBID"] == str(jobid)
    assert env["SLURM_JOB_NAME"] == "envjob"
    assert env["SLURM_JOB_NODELIST"] == env["SLURM_NODELIST"] == "nid[001001-001002]"
    assert env["SLURM_NNODES"] == env["SLURM_JOB_NUM_NODES"] == "2"
    assert env["SLURMD_NODENAME"] == "nid001001"
    assert env["SLURM_CLUSTER_NAME"] == "perlmutter"
    assert (env["SLURM_JOB_ACCOUNT"], env["SLURM_JOB_QOS"]) == ("m1234", "debug")
    assert (env["SLURM_JOB_USER"], env["SLURM_JOB_UID"]) == ("alice", str(user.uid))
    assert env["SLURM_SUBMIT_DIR"] == str(user.home)
    assert (env["HOME"], env["SCRATCH"]) == (str(user.home), str(user.scratch))
    assert (env["USER"], env["LOGNAME"], env["FOO"]) == ("alice", "alice", "bar")
    assert "SERVER_SECRET" not in env
    assert "SLURM_ARRAY_TASK_ID" not in env


async def test_output_file_patterns_and_separate_stderr(
    backend: LocalBackend, user: FacilityUser
) -> None:
    (user.home / "logs").mkdir()
    give(user, user.home / "logs")
    script = batch(
        "-J sim", "-o logs/%x-%j.out", "-e logs/%x-%j.err", body="echo out; echo err >&2\n"
    )
    jobid = await submit(backend, user, script)
    done = await finished(backend, jobid)
    assert done.stdout == str(user.home / f"logs/sim-{jobid}.out")
    assert done.stderr == str(user.home / f"logs/sim-{jobid}.err")
    assert Path(done.stdout).read_text() == "out\n"
    assert Path(done.stderr).read_text() == "err\n"


async def test_missing_output_directory_fails_without_running(
    backend: LocalBackend, user: FacilityUser
) -> None:
    jobid = await submit(backend, user, batch("-o nodir/out.txt", body="touch ran\n"))
    done = await finished(backend, jobid)
    assert (done.state, done.exit_code) == ("FAILED", 1)
    assert not (user.home / "ran").exists()


async def test_nonzero_exit_is_failed_with_its_code(
    backend: LocalBackend, user: FacilityUser
) -> None:
    jobid = await submit(backend, user, batch(body="echo oops >&2\nexit 3\n"))
    done = await finished(backend, jobid)
    assert (done.state, done.exit_code, done.reason) == ("FAILED", 3, "NonZeroExitCode")
    assert "oops" in Path(done.stdout).read_text()  # stderr joins stdout by default


async def test_time_limit_kills_the_job(backend: LocalBackend, user: FacilityUser) -> None:
    body = "echo $$ > pid\nsleep 300\n"
    jobid = await submit(backend, user, batch("-t 0:01", body=body))
    done = await finished(backend, jobid)
    assert (done.state, done.reason, done.time_limit) == ("TIMEOUT", "TimeLimit", 1)
    assert process_gone(int((user.home / "pid").read_text()))


# -- cancel -----------------------------------------------------------------------------------
async def test_cancel_running_job_kills_its_whole_process_group(
    backend: LocalBackend, user: FacilityUser
) -> None:
    # The script ignores SIGTERM, so only the SIGKILL that follows can end it.
    body = "trap '' TERM\nsleep 300 &\necho $! > child\nwait\nwait\n"
    jobid = await submit(backend, user, batch(body=body))
    await wait_for(lambda: record(backend, jobid).state == "RUNNING")
    await wait_for(lambda: (user.home / "child").exists() and (user.home / "child").read_text())
    await backend.cancel(MACHINE, jobid, user)
    assert record(backend, jobid).state in ("COMPLETING", "CANCELLED")

    done = await finished(backend, jobid)
    assert (done.state, done.cancelled_by, done.display_state) == (
        "CANCELLED",
        user.uid,
        f"CANCELLED by {user.uid}",
    )
    assert process_gone(int((user.home / "child").read_text()))
    assert jobid not in await squeue(backend)


async def test_cancel_pending_job_is_immediate_and_it_never_runs(
    backend: LocalBackend, user: FacilityUser
) -> None:
    jobid = await submit(backend, user, batch(body="touch ran\n"))
    await backend.cancel(MACHINE, jobid, user)
    job = record(backend, jobid)
    assert (job.state, job.cancelled_by, job.start_time) == ("CANCELLED", user.uid, None)
    later = await submit(backend, user, batch(body="true\n"))
    await finished(backend, later)
    assert not (user.home / "ran").exists()
    assert record(backend, jobid).state == "CANCELLED"


async def test_cancel_refusals_use_scancel_messages(
    backend: LocalBackend, user: FacilityUser, tmp_path: Path
) -> None:
    bob = make_user(tmp_path, "bob")

    async def refusal(jobid: int, who: FacilityUser) -> str:
        with pytest.raises(ScancelError) as info:
            await backend.cancel(MACHINE, jobid, who)
        return str(info.value)

    jobid = await submit(backend, user, batch(body="true\n"))
    prefix = f"scancel: error: Kill job error on job id {jobid}:"
    assert await refusal(jobid, bob) == f"{prefix} Access/permission denied"
    await finished(backend, jobid)
    assert await refusal(jobid, user) == f"{prefix} Job/step already completing or completed"
    assert await refusal(999, user) == (
        "scancel: error: Kill job error on job id 999: Invalid job id specified"
    )


# -- scheduling -------------------------------------------------------------------------------
async def test_jobs_queue_for_nodes(backend: LocalBackend, user: FacilityUser) -> None:
    script = batch("-N 2", body=GATE)
    first, second, third = [await submit(backend, user, script) for _ in range(3)]
    small = await submit(backend, user, batch("-N 1", body=GATE))

    await wait_for(lambda: record(backend, second).state == "RUNNING")
    await wait_for(lambda: record(backend, small).reason == "Priority")
    assert record(backend, first).state == "RUNNING"
    waiting = record(backend, third)
    assert (waiting.state, waiting.reason) == ("PENDING", "Resources")
    assert {record(backend, first).nodelist, record(backend, second).nodelist} == {
        "nid[001001-001002]",
        "nid[001003-001004]",
    }
    release(user)
    for jobid in (first, second, third, small):
        assert (await finished(backend, jobid)).state == "COMPLETED"
    assert span(backend, third)[0] >= min(span(backend, first)[1], span(backend, second)[1])


async def test_array_with_throttle_runs_one_task_at_a_time(
    backend: LocalBackend, user: FacilityUser
) -> None:
    body = f"{GATE}echo $SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT\n"
    array_id = await submit(backend, user, batch("--array=0-2%1", body=body))
    tasks = await backend.jobs(MACHINE, JobQuery(jobids=frozenset({array_id})))
    assert [t.display_jobid for t in tasks] == [f"{array_id}_{i}" for i in range(3)]
    assert [t.jobid for t in tasks] == [array_id, array_id + 1, array_id + 2]

    await wait_for(lambda: record(backend, array_id).state == "RUNNING")
    await wait_for(lambda: record(backend, array_id + 2).reason == "JobArrayTaskLimit")
    assert record(backend, array_id + 1).state == "PENDING"
    release(user)
    for offset in range(3):
        task = await finished(backend, array_id + offset)
        assert task.state == "COMPLETED"
        assert task.stdout == str(user.home / f"slurm-{array_id}_{offset}.out")
        assert Path(task.stdout).read_text() == f"{array_id} {offset} 3\n"
    spans = [span(backend, array_id + i) for i in range(3)]
    assert spans[1][0] >= spans[0][1] and spans[2][0] >= spans[1][1]


async def test_cancelling_the_array_id_cancels_every_task(
    backend: LocalBackend, user: FacilityUser
) -> None:
    array_id = await submit(backend, user, batch("--array=1-3", body=GATE))
    await backend.cancel(MACHINE, array_id, user)
    for offset in range(3):
        assert (await finished(backend, array_id + offset)).state == "CANCELLED"


async def test_afterok_waits_and_runs_after_success(
    backend: LocalBackend, user: FacilityUser
) -> None:
    first = await submit(backend, user, batch(body=GATE))
    second = await submit(backend, user, batch(f"-d afterok:{first}", body="true\n"))
    await wait_for(lambda: record(backend, first).state == "RUNNING")
    waiting = record(backend, second)
    assert (waiting.state, waiting.reason, waiting.eligible_time) == ("PENDING", "Dependency", None)
    release(user)
    done = await finished(backend, second)
    assert done.state == "COMPLETED"
    assert span(backend, second)[0] >= span(backend, first)[1]


async def test_afterok_on_a_failed_job_is_never_satisfied(
    backend: LocalBackend, user: FacilityUser
) -> None:
    failing = await submit(backend, user, batch(body="exit 1\n"))
    hopeless = await submit(backend, user, batch(f"-d afterok:{failing}", body="touch ran\n"))
    rescue = await submit(backend, user, batch(f"-d afternotok:{failing}", body="true\n"))
    job = await finished(backend, hopeless)
    assert (job.state, job.reason, job.start_time) == (
        "CANCELLED",
        "DependencyNeverSatisfied",
        None,
    )
    assert (await finished(backend, rescue)).state == "COMPLETED"
    assert not (user.home / "ran").exists()


async def test_dependency_on_unknown_job_is_refused(
    backend: LocalBackend, user: FacilityUser
) -> None:
    with pytest.raises(SbatchError, match="Job dependency problem"):
        await submit(backend, user, batch("-d afterok:424242", body="true\n"))


async def test_query_filters(backend: LocalBackend, user: FacilityUser, tmp_path: Path) -> None:
    bob = make_user(tmp_path, "bob")
    mine = await submit(backend, user, batch("-p debug", body="true\n"))
    theirs = await submit(backend, bob, batch(body="true\n"))
    assert await squeue(backend, users=frozenset({"alice"})) == [mine]
    assert await squeue(backend, partitions=frozenset({"regular"})) == [theirs]
    assert await squeue(backend, jobids=frozenset({theirs})) == [theirs]


# -- stop and restart -------------------------------------------------------------------------
async def test_stop_and_restart_keep_every_record(
    config: FacilityConfig, store: Store, user: FacilityUser
) -> None:
    backend = LocalBackend(config, store, Accounts(config, store))
    await backend.start()
    done = await submit(backend, user, batch(body="true\n"))
    await finished(backend, done)
    running = await submit(backend, user, batch(body="echo $$ > pid\n" + GATE))
    await wait_for(lambda: record(backend, running).state == "RUNNING")
    # RUNNING comes as the process is started; the script writes its pid a moment later.
    await wait_for(lambda: (user.home / "pid").exists() and (user.home / "pid").read_text())
    waiting = await submit(backend, user, batch(f"-d afterany:{running}", body="touch ran\n"))
    await backend.stop()

    ended = record(backend, running)
    assert (ended.state, ended.reason) == ("NODE_FAIL", "NodeDown")
    assert process_gone(int((user.home / "pid").read_text()))
    assert record(backend, done).state == "COMPLETED"
    assert record(backend, waiting).state == "PENDING"

    again = LocalBackend(config, store, Accounts(config, store))
    await again.start()
    try:
        assert (await finished(again, waiting)).state == "COMPLETED"
        assert (user.home / "ran").exists()
    finally:
        await again.stop()


CRASHING_SERVER = """
import asyncio, sys
from pathlib import Path
from sfapi_jupyter.facility.accounts import Accounts
from sfapi_jupyter.facility.models import SubmitRequest
from sfapi_jupyter.facility.backends.local import LocalBackend
from sfapi_jupyter.facility.config import FacilityConfig
from sfapi_jupyter.facility.store import Store

async def main():
    state, home, script = sys.argv[1:4]
    config = FacilityConfig(state_dir=state, min_pending_seconds=0, scheduler_interval=0.05)
    store = Store(config.db_path)
    accounts = Accounts(config, store)
    backend = LocalBackend(config, store, accounts)
    await backend.start()
    user = accounts.get_user("alice")
    assert str(user.home) == home
    jobid = await backend.submit(SubmitRequest("perlmutter", user, script))
    while backend.store.get_job("perlmutter", jobid).state != "RUNNING":
        await asyncio.sleep(0.02)
    print(jobid, flush=True)
    await asyncio.sleep(300)  # killed here, like a server that crashes

asyncio.run(main())
"""


async def test_restart_after_a_crash_fails_orphaned_jobs(
    config: FacilityConfig, store: Store, user: FacilityUser
) -> None:
    script = batch(body="echo $$ > pid\n" + GATE)
    server = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SERVER, str(config.state_dir), str(user.home), script],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 30)
        jobid = int(line)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    orphan = int(await wait_for(lambda: (user.home / "pid").read_text().strip()))
    assert not process_gone(orphan)  # the job outlived its server, as it would

    backend = LocalBackend(config, store, Accounts(config, store))
    await backend.start()
    try:
        job = record(backend, jobid)
        assert (job.state, job.reason, job.end_time is not None) == ("NODE_FAIL", "NodeDown", True)
        await wait_for(lambda: process_gone(orphan))
    finally:
        await backend.stop()


async def test_wait_for_reports_timeouts() -> None:
    async def never() -> bool:
        return False

    with pytest.raises(AssertionError):
        await wait_for(never, timeout=0.1)
