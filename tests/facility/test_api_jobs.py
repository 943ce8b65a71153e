"""Batch jobs through the HTTP API, on both backends: local processes and a real Slurm.

The slurm variant needs a running Slurm (``ci/slurm-up.sh``); it is skipped where none
runs, except when ``SFAPI_REQUIRE_SLURM=1`` (CI), where a missing Slurm is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sfapi_jupyter.facility.backends.rows import SACCT_KEYS, SQUEUE_KEYS
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.scripts import batch_script as script
from ..support.slurm import require_slurm
from ..support.tokens import api_session, task_result
from ..support.waiting import wait_for


@pytest.fixture(params=["local", pytest.param("slurm", marks=pytest.mark.slurm)])
def backend(request) -> str:
    if request.param == "slurm":
        require_slurm()
    return request.param


@pytest.fixture
def jobs_facility(tmp_path, backend) -> Iterator[LocalFacility]:
    config = fast_config(tmp_path / "state", backend=backend, min_pending_seconds=0.5)
    with LocalFacility(config) as running:
        yield running


@pytest.fixture
def jobs_api(jobs_facility) -> Iterator[httpx.Client]:
    with api_session(jobs_facility, jobs_facility.create_client("elvis")) as session:
        yield session


def submit(api: httpx.Client, job: str, *, is_path: bool = False, args=()) -> dict:
    response = api.post(
        "compute/jobs/perlmutter",
        data={"job": job, "isPath": "true" if is_path else "false", "args": list(args)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "OK" and body["task_id"]
    return task_result(api, body["task_id"], timeout=60)


def submitted(api: httpx.Client, job: str, **kwargs) -> str:
    result = submit(api, job, **kwargs)
    assert result["status"] == "ok", result
    return result["jobid"]


def sacct(api: httpx.Client, jobid: str) -> list[dict[str, str]]:
    body = api.get(
        "compute/jobs/perlmutter", params={"sacct": "true", "kwargs": f"jobid={jobid}"}
    ).json()
    assert body["status"] == "OK", body
    return body["output"]


def final_row(api: httpx.Client, jobid: str, timeout: float = 90) -> dict[str, str]:
    terminal = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL")

    def ended():
        rows = sacct(api, jobid)
        return rows[0] if rows and rows[0]["state"].startswith(terminal) else None

    return wait_for(ended, timeout, interval=0.3)


def read_file(api: httpx.Client, path: str) -> str:
    body = api.get(f"utilities/download/perlmutter/{path}").json()
    assert body["status"] == "OK", body
    return body["file"]


def test_job_runs_and_its_output_is_in_the_home(jobs_facility, jobs_api):
    jobid = submitted(
        jobs_api, script("echo hello from $SLURM_JOB_ID; sleep 1", "-J greet", "-o greet-%j.out")
    )
    queued = jobs_api.get("compute/jobs/perlmutter", params={"kwargs": f"jobid={jobid}"}).json()
    assert queued["status"] == "OK"
    assert [r["state"] for r in queued["output"]] in (["PENDING"], ["RUNNING"], [])
    row = final_row(jobs_api, jobid)
    assert row["state"] == "COMPLETED"
    assert row["exitcode"] == "0:0"
    assert row["jobname"] == "greet"
    home = jobs_facility.config.home_of("elvis")
    assert read_file(jobs_api, f"{home}/greet-{jobid}.out") == f"hello from {jobid}\n"
    # a finished job has left the queue but sacct keeps it
    gone = jobs_api.get("compute/jobs/perlmutter", params={"kwargs": f"jobid={jobid}"}).json()
    assert gone["output"] == []


def test_rows_have_the_real_apis_keys_and_string_values(jobs_api):
    jobid = submitted(jobs_api, script("sleep 30", "-J rows"))
    try:
        row = wait_for(
            lambda: jobs_api.get(
                "compute/jobs/perlmutter", params={"kwargs": f"jobid={jobid}"}
            ).json()["output"],
            30,
        )[0]
        assert tuple(row) == SQUEUE_KEYS and len(row) == 49
        assert all(isinstance(v, str) for v in row.values())
        assert row["jobid"] == jobid and row["name"] == "rows" and row["user"] == "elvis"
        one = jobs_api.get(f"compute/jobs/perlmutter/{jobid}", params={"sacct": "true"}).json()
        assert one["status"] == "OK" and len(one["output"]) == 1
        assert tuple(one["output"][0]) == SACCT_KEYS and len(one["output"][0]) == 107
        assert all(isinstance(v, str) for v in one["output"][0].values())
    finally:
        jobs_api.delete(f"compute/jobs/perlmutter/{jobid}")


def test_failed_job_reports_its_exit_code(jobs_api):
    jobid = submitted(jobs_api, script("echo about to fail; exit 3"))
    row = final_row(jobs_api, jobid)
    assert row["state"] == "FAILED"
    assert row["exitcode"] == "3:0"


def test_cancel_a_running_job(jobs_facility, jobs_api):
    jobid = submitted(jobs_api, script("echo started; sleep 120"))
    wait_for(
        lambda: [
            r
            for r in jobs_api.get(
                "compute/jobs/perlmutter", params={"kwargs": f"jobid={jobid}"}
            ).json()["output"]
            if r["state"] == "RUNNING"
        ],
        60,
    )
    response = jobs_api.delete(f"compute/jobs/perlmutter/{jobid}")
    assert response.status_code == 200 and response.json()["status"] == "OK"
    result = task_result(jobs_api, response.json()["task_id"])
    assert result["status"] == "ok", result
    uid = jobs_facility.facility.accounts.get_user("elvis").uid
    assert final_row(jobs_api, jobid)["state"] == f"CANCELLED by {uid}"


def test_submit_by_path_passes_args_to_the_script(jobs_facility, jobs_api):
    home = jobs_facility.config.home_of("elvis")
    path = home / "analysis.sh"
    path.write_text(script('echo "args: $*" > args.txt'))
    jobid = submitted(jobs_api, str(path), is_path=True, args=["scan 7", "--fast"])
    assert final_row(jobs_api, jobid)["state"] == "COMPLETED"
    assert read_file(jobs_api, f"{home}/args.txt") == "args: scan 7 --fast\n"


def test_bad_scripts_get_sbatchs_message_and_make_no_job(jobs_api):
    no_shebang = submit(jobs_api, "echo no shebang\n")
    assert no_shebang["status"] == "error" and no_shebang["jobid"] is None
    assert "sbatch: error" in no_shebang["error"] and "#!" in no_shebang["error"]
    unknown = submit(jobs_api, script("true", "--bogus-option=1"))
    assert unknown["status"] == "error" and "bogus-option" in unknown["error"]
    no_arch = submit(jobs_api, "#!/bin/bash\ntrue\n")
    assert no_arch["status"] == "error" and "No architecture specified" in no_arch["error"]
    missing = submit(jobs_api, "/no/such/script.sh", is_path=True)
    assert missing["status"] == "error" and "Unable to open file" in missing["error"]
    listed = jobs_api.get("compute/jobs/perlmutter", params={"sacct": "true"}).json()
    assert listed["output"] == []


def test_job_array_tasks_have_their_own_rows(jobs_api):
    jobid = submitted(jobs_api, script("echo task $SLURM_ARRAY_TASK_ID", "--array=0-2"))

    def all_done():
        rows = sacct(jobs_api, jobid)
        done = [r for r in rows if r["state"] == "COMPLETED"]
        return rows if len(done) == 3 else None

    rows = wait_for(all_done, 90, interval=0.3)
    assert sorted(r["jobid"] for r in rows) == [f"{jobid}_{i}" for i in range(3)]


def test_filters_and_paging(jobs_facility, jobs_api):
    first = submitted(jobs_api, script("true"))
    second = submitted(jobs_api, script("true"))
    final_row(jobs_api, first)
    final_row(jobs_api, second)
    both = jobs_api.get(
        "compute/jobs/perlmutter",
        params={"sacct": "true", "kwargs": f"jobid={first},{second}"},
    ).json()["output"]
    assert [r["jobid"] for r in both] == [first, second]
    mine = jobs_api.get(
        "compute/jobs/perlmutter", params={"sacct": "true", "kwargs": "user=elvis"}
    ).json()["output"]
    assert {r["jobid"] for r in mine} >= {first, second}
    nobody = jobs_api.get(
        "compute/jobs/perlmutter", params={"sacct": "true", "kwargs": "user=nobody"}
    ).json()["output"]
    assert nobody == []
    page = jobs_api.get(
        "compute/jobs/perlmutter",
        params={"sacct": "true", "kwargs": f"jobid={first},{second}", "index": 1, "limit": 1},
    ).json()["output"]
    assert [r["jobid"] for r in page] == [second]
    bad = jobs_api.get("compute/jobs/perlmutter", params={"kwargs": "colour=blue"}).json()
    assert bad["status"] == "ERROR" and "jobid" in bad["error"] and "qos" in bad["error"]


def test_unknown_machine_is_a_validation_error(jobs_api):
    response = jobs_api.get("compute/jobs/cori")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "machine"]


def test_restart_keeps_finished_jobs_and_fails_running_ones(tmp_path):
    config = fast_config(tmp_path / "state", min_pending_seconds=0.2)
    with LocalFacility(config) as first, api_session(first, first.create_client("elvis")) as api:
        done = submitted(api, script("echo done"))
        final_row(api, done)
        running = submitted(api, script("sleep 300"))
        wait_for(
            lambda: api.get(
                "compute/jobs/perlmutter", params={"kwargs": f"jobid={running}"}
            ).json()["output"],
            30,
        )
        wait_for(lambda: sacct(api, running)[0]["state"] == "RUNNING", 30)
    with (
        LocalFacility(config) as second,
        api_session(second, second.create_client("elvis")) as api,
    ):
        assert sacct(api, done)[0]["state"] == "COMPLETED"
        assert sacct(api, running)[0]["state"] == "NODE_FAIL"


def listing(api: httpx.Client, query: str) -> list[dict[str, str]]:
    """``GET /compute/jobs/perlmutter?<query>`` exactly as written (repeated ``kwargs``)."""
    body = api.get(f"compute/jobs/perlmutter?{query}").json()
    assert body["status"] == "OK", body
    return body["output"]


#: OpenChemistry/distiller (backend/faust/job_worker.py, monitor_jobs), as sent to NERSC.
DISTILLER_POLL = "kwargs=user=elvis&kwargs=qos=realtime&sacct=true&cached=false"


def test_distillers_poll_lists_the_users_realtime_jobs(jobs_facility, jobs_api):
    """OpenChemistry/distiller's ``monitor_jobs`` query, replayed as it sends it to NERSC."""
    realtime = submitted(jobs_api, script("sleep 30", "-q realtime", "-J scan"))
    other_qos = submitted(jobs_api, script("sleep 30", "-q debug"))
    with api_session(jobs_facility, jobs_facility.create_client("bob")) as bob:
        bobs = submitted(bob, script("sleep 30", "-q realtime"))
        try:
            rows = listing(jobs_api, DISTILLER_POLL)
            assert [(r["jobid"], r["user"], r["qos"]) for r in rows] == [
                (realtime, "elvis", "realtime")
            ]
        finally:
            bob.delete(f"compute/jobs/perlmutter/{bobs}")
            for jobid in (realtime, other_qos):
                jobs_api.delete(f"compute/jobs/perlmutter/{jobid}")


def test_squeue_and_sacct_filters(jobs_facility, jobs_api):
    """Each filter as squeue/sacct take it: comma lists, state names or abbreviations."""
    done = submitted(jobs_api, script("true", "-J beta"))
    final_row(jobs_api, done)
    live = submitted(jobs_api, script("sleep 60", "-J alpha", "-q debug"))
    try:
        row = wait_for(lambda: listing(jobs_api, f"kwargs=jobid={live}"), 30)[0]

        def ids(query: str) -> list[str]:
            return [r["jobid"] for r in listing(jobs_api, query)]

        assert ids("kwargs=state=PD,r") == [live]
        assert ids("sacct=true&kwargs=state=cd") == [done]
        assert ids("sacct=true&kwargs=state=completed,PENDING,running") == [done, live]
        assert ids("kwargs=name=alpha") == [live]
        assert ids("sacct=true&kwargs=name=alpha,beta") == [done, live]
        assert ids("kwargs=name=beta") == []  # finished: not in the queue
        assert ids(f"kwargs=account={row['account']}&kwargs=qos=debug") == [live]
        assert ids("sacct=true&kwargs=account=nosuch") == []
        assert ids(f"kwargs=partition=nosuch,{row['partition']}") == [live]
        assert ids(f"sacct=true&kwargs=jobs={done},{live}&index=1&limit=1") == [live]
        assert ids(f"sacct=true&kwargs=user={row['uid']}") == [done, live]
        assert ids("sacct=true&kwargs=user=nobody,elvis") == [done, live]
        unknown = jobs_api.get("compute/jobs/perlmutter?kwargs=colour=blue").json()
        assert unknown["status"] == "ERROR" and unknown["output"] == []
        assert "unsupported filter 'colour=blue'" in unknown["error"]
        assert "qos" in unknown["error"] and "state" in unknown["error"]
        state = jobs_api.get("compute/jobs/perlmutter?kwargs=state=finished").json()
        assert state["status"] == "ERROR" and "valid job states include: PENDING" in state["error"]
    finally:
        jobs_api.delete(f"compute/jobs/perlmutter/{live}")
