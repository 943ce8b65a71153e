"""The slurm backend against a real Slurm (start one with ``sudo ci/slurm-up.sh``).

Every test submits real jobs and polls until Slurm reports the outcome; nothing asserts how
long Slurm takes. Without Slurm these tests skip, unless ``SFAPI_REQUIRE_SLURM=1`` (CI),
where a missing Slurm is a failure.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sfapi_jupyter.facility.accounts import Accounts
from sfapi_jupyter.facility.backends import slurm as slurm_module
from sfapi_jupyter.facility.backends.slurm import SlurmBackend
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
from ..support.slurm import require_slurm
from ..support.waiting import async_wait_for

pytestmark = pytest.mark.slurm

MACHINE = "perlmutter"
T = TypeVar("T")


@pytest.fixture(scope="module", autouse=True)
def slurm_running() -> None:
    """Skip without Slurm, or fail loudly when CI said Slurm must be there."""
    require_slurm()


def make_user(root: Path, name: str) -> FacilityUser:
    """A user registered in the facility at ``root/state`` (a real OS account when root)."""
    config = fast_config(root / "state", backend="slurm")
    config.ensure_dirs()
    store = Store(config.db_path)
    try:
        return Accounts(config, store).ensure_user(name, ["m1234"])
    finally:
        store.close()


@pytest.fixture
def alice(tmp_path: Path) -> FacilityUser:
    return make_user(tmp_path, "alice")


@pytest.fixture
def bob(tmp_path: Path) -> FacilityUser:
    return make_user(tmp_path, "bob")


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[SlurmBackend]:
    config = fast_config(tmp_path / "state", backend="slurm")
    config.ensure_dirs()
    store = Store(config.db_path)
    backend = SlurmBackend(config, store, Accounts(config, store))
    await backend.start()
    yield backend
    # leave no job of ours behind on the shared Slurm
    for job in store.load_jobs():
        if not job.is_terminal:
            subprocess.run(["scancel", str(job.jobid)], capture_output=True, check=False)
    await backend.stop()
    store.close()


async def wait_for(probe: Callable[[], Awaitable[Any]], what: str = "condition") -> Any:
    """Slurm's tools are slow: poll every 0.3 s for up to a minute."""
    return await async_wait_for(probe, timeout=60, interval=0.3, what=what)


async def submit(backend: SlurmBackend, user: FacilityUser, body: str, *directives: str) -> int:
    script = "#!/bin/bash\n" + "".join(f"#SBATCH {d}\n" for d in directives) + body + "\n"
    return await backend.submit(SubmitRequest(machine=MACHINE, user=user, script=script))


async def job_in(backend: SlurmBackend, jobid: int, states: set[str]) -> JobRecord | None:
    """The job's record once its state is one of ``states``."""
    found = await backend.jobs(MACHINE, JobQuery(jobids=frozenset({jobid}), include_finished=True))
    jobs = [j for j in found if j.jobid == jobid]
    return jobs[0] if jobs and jobs[0].state in states else None


async def test_job_runs_to_completion_and_writes_output_in_home(
    backend: SlurmBackend, alice: FacilityUser
) -> None:
    jobid = await submit(
        backend,
        alice,
        'echo "home=$HOME user=$USER scratch=$SCRATCH pwd=$PWD"; sleep 1',
        "-J hello",
        "-o out-%j-%x.txt",
        "-q regular",
        "-C cpu",
        "-t 5",
    )
    queued = await backend.jobs(MACHINE, JobQuery())
    assert [(j.jobid, j.user, j.uid) for j in queued] == [(jobid, "alice", alice.uid)]
    assert queued[0].state in {"PENDING", "RUNNING", "COMPLETED"}

    done = await wait_for(lambda: job_in(backend, jobid, {"COMPLETED"}), what="COMPLETED")
    out = alice.home / f"out-{jobid}-hello.txt"
    assert done.stdout == str(out)
    assert out.read_text().split() == [
        f"home={alice.home}",
        "user=alice",
        f"scratch={alice.scratch}",
        f"pwd={alice.home}",
    ]
    assert (done.name, done.qos, done.constraint, done.time_limit) == ("hello", "regular", "cpu", 5)
    assert (done.exit_code, done.signal, done.work_dir) == (0, 0, str(alice.home))
    assert done.start_time is not None and done.end_time is not None
    assert done.submit_time <= done.start_time <= done.end_time
    assert (done.account, done.group, done.gid) == ("m1234", "alice", alice.gid)
    # squeue=true shows only unfinished jobs; the record outlives Slurm's memory
    assert await backend.jobs(MACHINE, JobQuery()) == []
    stored = backend.store.get_job(MACHINE, jobid)
    assert stored is not None and stored.state == "COMPLETED"


async def test_failing_script_reports_its_exit_code(
    backend: SlurmBackend, alice: FacilityUser
) -> None:
    jobid = await submit(backend, alice, "echo failing; exit 3")
    failed = await wait_for(lambda: job_in(backend, jobid, {"FAILED"}), what="FAILED")
    assert (failed.exit_code, failed.signal) == (3, 0)
    assert failed.stdout == str(alice.home / f"slurm-{jobid}.out")
    assert Path(failed.stdout).read_text() == "failing\n"


async def test_cancel_running_job_records_who_cancelled(
    backend: SlurmBackend, alice: FacilityUser
) -> None:
    jobid = await submit(backend, alice, "sleep 300")
    await wait_for(lambda: job_in(backend, jobid, {"RUNNING"}), what="RUNNING")
    await backend.cancel(MACHINE, jobid, alice)
    cancelled = await wait_for(lambda: job_in(backend, jobid, {"CANCELLED"}), what="CANCELLED")
    assert cancelled.cancelled_by == alice.uid
    assert cancelled.display_state == f"CANCELLED by {alice.uid}"
    assert cancelled.signal == 15
    with pytest.raises(ScancelError, match="already completing or completed"):
        await backend.cancel(MACHINE, jobid, alice)


async def test_array_job_has_one_record_per_task(
    backend: SlurmBackend, alice: FacilityUser
) -> None:
    jobid = await submit(
        backend, alice, 'echo "task $SLURM_ARRAY_TASK_ID"', "--array=0-2", "-o arr-%A_%a.out"
    )

    async def all_done() -> list[JobRecord] | None:
        query = JobQuery(jobids=frozenset({jobid}), include_finished=True)
        tasks = await backend.jobs(MACHINE, query)
        done = [t for t in tasks if t.state == "COMPLETED" and t.array_task_id is not None]
        return tasks if len(done) == 3 else None

    tasks = await wait_for(all_done, what="three completed tasks")
    assert sorted(t.array_task_id for t in tasks if t.array_task_id is not None) == [0, 1, 2]
    assert len(tasks) == 3 and {t.array_job_id for t in tasks} == {jobid}
    assert len({t.jobid for t in tasks}) == 3 and all(t.user == "alice" for t in tasks)
    for task in tasks:
        out = alice.home / f"arr-{jobid}_{task.array_task_id}.out"
        assert task.stdout == str(out)
        assert out.read_text() == f"task {task.array_task_id}\n"
        assert task.display_jobid == f"{jobid}_{task.array_task_id}"


async def test_cancel_array_cancels_pending_tasks(
    backend: SlurmBackend, alice: FacilityUser
) -> None:
    jobid = await submit(backend, alice, "sleep 300", "--array=0-3%1")
    await wait_for(lambda: job_in(backend, jobid, {"PENDING", "RUNNING"}), what="array queued")
    await backend.cancel(MACHINE, jobid, alice)

    async def all_cancelled() -> list[JobRecord] | None:
        query = JobQuery(jobids=frozenset({jobid}), include_finished=True)
        tasks = await backend.jobs(MACHINE, query)
        return tasks if tasks and all(t.state == "CANCELLED" for t in tasks) else None

    tasks = await wait_for(all_cancelled, what="array cancelled")
    assert {t.cancelled_by for t in tasks} == {alice.uid}
    assert await backend.jobs(MACHINE, JobQuery()) == []


async def test_sbatch_refusal_is_sbatch_s_own_message(
    backend: SlurmBackend, alice: FacilityUser
) -> None:
    with pytest.raises(SbatchError) as refused:
        await submit(backend, alice, "echo never", "--bogus")
    assert "sbatch: unrecognized option '--bogus'" in str(refused.value)
    with pytest.raises(SbatchError, match="Invalid --time specification"):
        await submit(backend, alice, "echo never", "-t abc")
    assert backend.store.load_jobs() == []


async def test_other_users_cannot_see_filter_or_cancel(
    backend: SlurmBackend, alice: FacilityUser, bob: FacilityUser
) -> None:
    jobid = await submit(backend, alice, "sleep 300")
    bobs = await submit(backend, bob, "sleep 300")
    with pytest.raises(ScancelError) as denied:
        await backend.cancel(MACHINE, jobid, bob)
    assert str(denied.value) == (
        f"scancel: error: Kill job error on job id {jobid}: Access/permission denied"
    )
    with pytest.raises(ScancelError, match="Invalid job id specified"):
        await backend.cancel(MACHINE, 10**9, alice)
    alices_view = await backend.jobs(MACHINE, JobQuery(users=frozenset({"alice"})))
    assert [j.jobid for j in alices_view] == [jobid]
    bobs_view = await backend.jobs(MACHINE, JobQuery(users=frozenset({"bob"})))
    assert [j.jobid for j in bobs_view] == [bobs]
    # still alive after bob's attempt
    assert (await job_in(backend, jobid, {"PENDING", "RUNNING"})) is not None
    # jobs on the same Slurm that the facility did not submit are not shown at all
    foreign = subprocess.run(
        ["sbatch", "--parsable", "--wrap", "sleep 300", f"--chdir={alice.home}"],
        capture_output=True,
        text=True,
        check=True,
    )
    foreign_id = int(foreign.stdout.strip())
    try:
        listed = {j.jobid for j in await backend.jobs(MACHINE, JobQuery(include_finished=True))}
        assert listed == {jobid, bobs}
        assert await backend.jobs("dtns", JobQuery(include_finished=True)) == []
        with pytest.raises(ScancelError, match="Invalid job id specified"):
            await backend.cancel(MACHINE, foreign_id, alice)
    finally:
        subprocess.run(["scancel", str(foreign_id)], check=False)


async def test_finished_jobs_come_from_sacct_once_squeue_forgets(
    backend: SlurmBackend, alice: FacilityUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = await submit(backend, alice, "exit 3")
    sleeper = await submit(backend, alice, "sleep 300")
    await wait_for(lambda: job_in(backend, sleeper, {"RUNNING"}), what="RUNNING")
    await backend.cancel(MACHINE, sleeper, alice)

    real_run = slurm_module.run_command

    async def squeue_forgot(argv: list[str], **kwargs: object) -> tuple[int | None, str, str]:
        if argv[:2] == ["squeue", "--json"]:
            return 0, '{"jobs": []}', ""
        return await real_run(argv, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(slurm_module, "run_command", squeue_forgot)
    failed = await wait_for(lambda: job_in(backend, failing, {"FAILED"}), what="FAILED (sacct)")
    assert (failed.exit_code, failed.signal) == (3, 0)
    assert failed.stdout == str(alice.home / f"slurm-{failing}.out")
    assert failed.end_time is not None and failed.nodelist == "localhost"
    cancelled = await wait_for(
        lambda: job_in(backend, sleeper, {"CANCELLED"}), what="CANCELLED (sacct)"
    )
    # sacct says "CANCELLED by 0" (Slurm's root); the facility knows it was alice
    assert cancelled.cancelled_by == alice.uid


async def test_slurm_command_failure_is_a_clear_error(
    backend: SlurmBackend, alice: FacilityUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    await submit(backend, alice, "sleep 300")

    async def broken(argv: list[str], **kwargs: object) -> tuple[int | None, str, str]:
        return 1, "", "squeue: error: Unable to contact slurm controller"

    monkeypatch.setattr(slurm_module, "run_command", broken)
    with pytest.raises(RuntimeError, match="Unable to contact slurm controller"):
        await backend.jobs(MACHINE, JobQuery())


async def test_start_without_slurm_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    config = fast_config(tmp_path / "state", backend="slurm")
    store = Store(tmp_path / "db.sqlite")
    backend = SlurmBackend(config, store, Accounts(config, store))
    with pytest.raises(RuntimeError, match=r"ci/slurm-up\.sh.*--backend local"):
        await backend.start()
