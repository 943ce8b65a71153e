"""Attacks on the event loop (issue 14): one user's job or script must not freeze the facility.

Each attack runs while another user's ``GET /status`` is asked again and again
(:class:`~tests.support.stalls.StatusProbe`); it must keep answering within a generous bound.
Before the fixes a FIFO as a job's output froze every request until someone read it, a
1 MB ``#SBATCH`` line stalled the facility about 24 s, 100,000 dependency terms about 23 s,
and an ``isPath`` script was read whole on the event loop.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import fast_config, new_client, reachable_state_dir, script, serve
from tests.support.figures import record, record_bad_input
from tests.support.slurm import require_slurm
from tests.support.stalls import StatusProbe
from tests.support.tokens import api_session, task_result
from tests.support.waiting import wait_for

SURFACE = "facility (attack)"
SECTION = "attacks"


@dataclasses.dataclass
class Room:
    facility: LocalFacility
    mallory: httpx.Client
    elvis: httpx.Client
    home: Path

    def give(self, path: Path) -> Path:
        """Hand a file the test made to mallory (as root the facility checks the kernel's word)."""
        if os.geteuid() == 0:
            user = self.facility.facility.accounts.get_user("mallory")
            assert user is not None
            os.chown(path, user.uid, user.gid)
        return path

    def submit(self, client: httpx.Client, job: str, is_path: bool = False) -> dict[str, Any]:
        response = client.post("compute/jobs/perlmutter", data={"job": job, "isPath": is_path})
        assert response.status_code == 200, response.text
        return task_result(client, response.json()["task_id"], timeout=120)

    def job_row(self, jobid: str) -> dict[str, Any]:
        body = self.elvis.get(f"compute/jobs/perlmutter/{jobid}", params={"sacct": "true"})
        row: dict[str, Any] = body.json()["output"][0]
        return row


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Iterator[Room]:
    state = reachable_state_dir(tmp_path_factory, "stalls")
    with serve(fast_config(state)) as facility:
        mallory = api_session(facility, new_client(facility, "mallory"))
        elvis = api_session(facility, new_client(facility, "elvis"))
        try:
            yield Room(facility, mallory, elvis, facility.config.home_of("mallory"))
        finally:
            mallory.close()
            elvis.close()


def _bystander_job_completes(room: Room) -> None:
    done = room.submit(room.elvis, script("echo fine"))
    assert done["status"] == "ok", done
    wait_for(lambda: room.job_row(done["jobid"])["state"] == "COMPLETED", 60)


def test_a_fifo_as_a_jobs_output_fails_that_job_and_freezes_nobody(room):
    fifo = room.home / "pipe"
    os.mkfifo(fifo, 0o666)
    room.give(fifo)
    try:
        with StatusProbe(room.facility.api_url) as probe:
            submitted = room.submit(room.mallory, script("echo into the pipe", f"-o {fifo}"))
            assert submitted["status"] == "ok", submitted
            jobid = submitted["jobid"]
            row = wait_for(
                lambda: (r := room.job_row(jobid))["state"] not in ("PENDING", "RUNNING") and r,
                60,
            )
            _bystander_job_completes(room)
        probe.check()
        record(SECTION, "bystander's slowest GET /status, FIFO as a job's output", probe.worst, "s")
        assert (row["state"], row["reason"]) == ("FAILED", "JobLaunchFailure"), row
        job = room.facility.facility.store.get_job("perlmutter", int(jobid))
        assert job is not None
        assert "Could not open stdout file" in job.extra["launch_error"]
        record_bad_input(
            SURFACE,
            "a job whose #SBATCH -o is a FIFO nobody reads",
            f"the job ends {row['state']} ({row['reason']}): {job.extra['launch_error']}",
        )
    finally:  # the facility before the fix waited in open(): a reader lets it go
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))


@pytest.mark.parametrize(
    ("what", "directive", "words"),
    [
        ("a 1 MB #SBATCH line (-J of 1,000,000 characters)", "-J " + "j" * 1_000_000, "too long"),
        ("40,000 bundled one-letter flags in one #SBATCH word", "-" + "sH" * 20_000, ""),
    ],
)
def test_a_huge_directive_costs_its_own_length_only(room, what, directive, words):
    with StatusProbe(room.facility.api_url) as probe:
        result = room.submit(room.mallory, script("true", directive))
    probe.check()
    if words:
        assert result["status"] == "error" and words in result["error"], result
        message = result["error"]
    else:
        assert result["status"] == "ok", result
        message = f"accepted (job {result['jobid']}), read in time linear in its length"
        room.mallory.delete(f"compute/jobs/perlmutter/{result['jobid']}")
    record_bad_input(SURFACE, what, message)


def test_a_script_over_slurms_size_limit_is_refused_before_it_is_parsed(room):
    body = script("true") + ("# padding\n" * 500_000)  # 5 MB, over Slurm's 4 MiB
    with StatusProbe(room.facility.api_url) as probe:
        result = room.submit(room.mallory, body)
    probe.check()
    assert result["status"] == "error", result
    assert "Pathname of a file, directory or other parameter too long" in result["error"]
    assert "max_script_size" in result["error"]
    record_bad_input(SURFACE, "a 5 MB batch script (Slurm's limit: 4 MiB)", result["error"])


def test_an_is_path_script_of_512_mib_is_refused_without_being_read(room):
    sparse = room.home / "huge.sh"
    with sparse.open("wb") as out:
        out.write(b"#!/bin/bash\n#SBATCH -C cpu\n")
        out.truncate(512 * 1024 * 1024)
    room.give(sparse)
    try:
        with StatusProbe(room.facility.api_url) as probe:
            result = room.submit(room.mallory, str(sparse), is_path=True)
        probe.check()
    finally:
        sparse.unlink()
    assert result["status"] == "error", result
    assert "too long" in result["error"] and "max_script_size" in result["error"], result
    record_bad_input(SURFACE, "isPath submit of a 512 MiB (sparse) file", result["error"])


def test_a_dependency_list_of_100000_terms_is_refused_at_once(room):
    first = room.submit(room.mallory, script("sleep 30"))
    terms = ":".join([first["jobid"]] * 100_000)
    with StatusProbe(room.facility.api_url) as probe:
        result = room.submit(room.mallory, script("true", f"--dependency=afterok:{terms}"))
    probe.check()
    room.mallory.delete(f"compute/jobs/perlmutter/{first['jobid']}")
    assert result["status"] == "error" and "too long" in result["error"], result
    assert "Slurm allows 131072" in result["error"]
    record_bad_input(SURFACE, "--dependency with 100,000 terms (800 KB)", result["error"])


def test_a_long_dependency_list_costs_the_scheduler_a_few_queries_not_one_per_term(room):
    """As long as Slurm allows (128 KiB: about 14,000 terms), pending, passes stay cheap."""
    store = room.facility.facility.store
    blocker = room.submit(room.mallory, script("sleep 60"))
    ids = [blocker["jobid"]] * 14_000
    with StatusProbe(room.facility.api_url) as probe:
        waiting = room.submit(room.mallory, script("true", f"--dependency=afterok:{':'.join(ids)}"))
        assert waiting["status"] == "ok", waiting
        wait_for(lambda: room.job_row(waiting["jobid"])["reason"] == "Dependency", 30)
        calls = 0
        real = store._all

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return real(*args, **kwargs)

        store._all = counting  # type: ignore[method-assign]
        try:
            time.sleep(4.5)  # at least two scheduler passes (one every 2 s when idle)
        finally:
            del store._all
    probe.check()
    room.mallory.delete(f"compute/jobs/perlmutter/{blocker['jobid']}")
    # The status probe's requests read the store too (a few per request, ~25 requests).
    record(SECTION, "store queries in 4.5 s, a 14,000-term dependency pending", calls)
    assert calls < 400, f"{calls} store queries in 4.5 s with one dependent job pending"
    gone = wait_for(lambda: (r := room.job_row(waiting["jobid"]))["state"] != "PENDING" and r)
    assert gone["state"] == "CANCELLED", gone  # afterok on a cancelled job: never satisfied


def test_the_slurm_backend_refuses_an_oversize_script_before_calling_sbatch(tmp_path_factory):
    require_slurm()
    state = reachable_state_dir(tmp_path_factory, "slurm-size")
    with (
        serve(fast_config(state, backend="slurm")) as facility,
        # beside the module's facility, which has its own mallory (one OS account per name)
        api_session(facility, new_client(facility, "mallet")) as api,
    ):
        body = script("true") + ("# padding\n" * 500_000)
        response = api.post("compute/jobs/perlmutter", data={"job": body, "isPath": False})
        assert response.status_code == 200, response.text
        result = task_result(api, response.json()["task_id"], timeout=60)
    assert result["status"] == "error", result
    assert "too long" in result["error"] and "max_script_size" in result["error"], result
