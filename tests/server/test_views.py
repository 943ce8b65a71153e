"""The extension's routes over real HTTP: status, jobs, output and cancel, with a key and without.

A real Jupyter server (subprocess, shipped config) in front of the local facility; the jobs
are real processes of the local backend.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys

import pytest

from sfapi_jupyter.client._constants import HOW_TO_ADD_A_KEY

from ..support.facility import make_async_client, script
from ._servers import Jupyter, start_jupyter


async def submit(facility, creds, body: str) -> str:
    async with make_async_client(facility, creds) as client:
        job = await client.compute("perlmutter").submit(script(body))
        return job.jobid


async def test_status_lists_every_resource_with_its_outages(jupyter: Jupyter) -> None:
    async with jupyter.http() as tab:
        answer = await tab.get(jupyter.route("status"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    names = {r["name"]: r["status"] for r in body["resources"]}
    assert names["perlmutter"] == "active"
    assert body["stale"] is False and body["fetched_at"]
    # the facility's outages include some long over: only current and planned ones, soonest first
    assert body["outages"], body
    now = dt.datetime.fromisoformat(body["fetched_at"])
    ends = [dt.datetime.fromisoformat(o["end_at"]) for o in body["outages"] if o["end_at"]]
    assert all(end > now for end in ends), body["outages"]
    starts = [dt.datetime.fromisoformat(o["start_at"]) for o in body["outages"]]
    assert starts == sorted(starts), starts


async def test_status_works_without_a_key_and_jobs_say_how_to_add_one(
    keyless_jupyter: Jupyter, api_log
) -> None:
    async with keyless_jupyter.http() as tab:
        status = await tab.get(keyless_jupyter.route("status"))
        jobs = await tab.get(keyless_jupyter.route("jobs"))
        info = await tab.get(keyless_jupyter.route("info"))
    assert status.status_code == 200
    assert any(r["name"] == "perlmutter" for r in status.json()["resources"])
    assert jobs.status_code == 200, jobs.text
    body = jobs.json()
    assert body["key"] == "missing"
    assert "add a key: " + HOW_TO_ADD_A_KEY in body["message"]
    assert body["machines"] == []
    assert info.json()["key"] == "missing"
    assert not any(s.is_listing for s in api_log.seen), "no job listing is sent without a key"


async def test_a_key_added_later_is_found_without_a_restart(
    keyless_jupyter: Jupyter, facility, elvis
) -> None:
    from ._servers import write_key

    async with keyless_jupyter.http() as tab:
        assert (await tab.get(keyless_jupyter.route("jobs"))).json()["key"] == "missing"
        write_key(keyless_jupyter.home, elvis)
        body = (await tab.get(keyless_jupyter.route("jobs"))).json()
    assert body["key"] == "ok", body
    assert [m["machine"] for m in body["machines"]] == ["perlmutter"]


async def test_jobs_show_the_queue_then_the_finished_job(jupyter: Jupyter, facility, elvis) -> None:
    jobid = await submit(facility, elvis, "sleep 2; echo done")
    async with jupyter.http() as tab:
        body = (await tab.get(jupyter.route("jobs/perlmutter"))).json()
        assert body["key"] == "ok", body
        (machine,) = body["machines"]
        queued = {j["jobid"]: j for j in machine["jobs"]}
        assert jobid in queued and queued[jobid]["state"] in ("PENDING", "RUNNING")
        for _ in range(100):
            await asyncio.sleep(0.5)
            body = (await tab.get(jupyter.route("jobs/perlmutter"))).json()
            recent = {j["jobid"]: j for j in body["machines"][0]["recent"]}
            if jobid in recent:
                break
    assert recent[jobid]["state"] == "COMPLETED"
    assert recent[jobid]["exit_code"] == 0
    assert jobid not in {j["jobid"] for j in body["machines"][0]["jobs"]}


async def test_an_unknown_machine_is_a_clear_404(jupyter: Jupyter) -> None:
    async with jupyter.http() as tab:
        answer = await tab.get(jupyter.route("jobs/nosuch"))
    assert answer.status_code == 404
    assert "perlmutter" in answer.text


@pytest.mark.parametrize("app", ["jupyterlab", "notebook"])
async def test_jupyterlab_and_notebook_7_load_the_extension(tmp_path, facility, elvis, app) -> None:
    server = start_jupyter(tmp_path / app, facility, elvis, {"min_interval": 1.0}, app=app)
    try:
        async with server.http() as tab:
            info = await tab.get(server.route("info"))
            jobs = await tab.get(server.route("jobs"))
    finally:
        server.stop()
    assert info.status_code == 200, info.text
    assert info.json()["key"] == "ok" and info.json()["machines"] == ["perlmutter"]
    assert jobs.json()["machines"][0]["machine"] == "perlmutter"


def admin(facility, *args: str) -> None:
    """``sfapi-jupyter facility ...`` on the facility's state, as its admin would run it."""
    command = [sys.executable, "-m", "sfapi_jupyter", "facility", *args]
    command += ["--state", str(facility.config.state_dir)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


async def test_status_turns_degraded_with_its_outage_within_one_interval(
    jupyter: Jupyter, facility, api_log
) -> None:
    async with jupyter.http() as tab:
        before = (await tab.get(jupyter.route("status"))).json()
        now = dt.datetime.now(dt.timezone.utc)
        start, end = (now - dt.timedelta(minutes=5)).isoformat(), (now + dt.timedelta(hours=2))
        window = ["--start", start, "--end", end.isoformat()]
        admin(facility, "outage", "add", "perlmutter", *window, "--description", "Scratch is slow")
        admin(facility, "status", "set", "perlmutter", "degraded", "--note", "scratch slow")
        await asyncio.sleep(1.1)  # the server's interval (1 s)
        after = (await tab.get(jupyter.route("status"))).json()
    status = {r["name"]: r for r in after["resources"]}
    assert {r["name"]: r["status"] for r in before["resources"]}["perlmutter"] == "active"
    assert status["perlmutter"]["status"] == "degraded"
    assert status["perlmutter"]["notes"] == ["scratch slow"]
    assert after["fetched_at"] > before["fetched_at"]
    # the change of status made the server read the outages again at once (not in 5 min)
    assert "Scratch is slow" in [o["description"] for o in after["outages"]]
    assert sum(1 for s in api_log.seen if s.is_status) == 2


async def test_a_key_others_can_read_is_unusable_and_the_message_says_chmod(
    keyless_jupyter: Jupyter, elvis, api_log
) -> None:
    from ._servers import write_key

    write_key(keyless_jupyter.home, elvis).chmod(0o644)
    async with keyless_jupyter.http() as tab:
        body = (await tab.get(keyless_jupyter.route("jobs"))).json()
        status = await tab.get(keyless_jupyter.route("status"))
    assert body["key"] == "unusable" and body["machines"] == []
    assert "chmod 600" in body["message"]
    assert status.status_code == 200
    assert not any(s.bearer for s in api_log.seen), "a key others can read is never used"
