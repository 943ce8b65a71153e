"""The side panel keyless: a Jupyter server run as ``nobody`` on the real Slurm, with no key.

A job submitted by the user's kernel (keyless, ``scenario.py panel_job``) is listed by the
panel's routes, its output followed and cancelled, over real HTTP, with the key line saying
the server works keyless through this node's Slurm as nobody. The tripwire facility at
``SFAPI_API_URL`` sees public status reads only.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from .conftest import KeylessHost
from .lab import UserJupyter, start_jupyter_as_user

KEY_LINE = "Keyless: your jobs go through this node's Slurm as nobody, no API key"


def poll(http: httpx.Client, url: str, done: Any, timeout: float = 90) -> dict[str, Any]:
    """GET ``url`` until ``done(answer)``; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer: dict[str, Any] = http.get(url).raise_for_status().json()
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def listed(answer: dict[str, Any], jobid: str, part: str = "jobs") -> dict[str, Any] | None:
    rows = [j for m in answer["machines"] for j in m[part]]
    return next((j for j in rows if j["jobid"] == jobid), None)


def test_the_side_panel_lists_follows_and_cancels_a_keyless_job(
    keyless_notebook_host: KeylessHost,
) -> None:
    host = keyless_notebook_host
    home = host.new_home("home-panel")
    jobid = host.run("panel_job", home=home)["jobid"]
    server: UserJupyter = start_jupyter_as_user(host, home)
    try:
        with server.http() as http:
            info = http.get(server.route("info")).raise_for_status().json()
            assert (info["key"], info["message"]) == ("keyless", KEY_LINE), info

            jobs = poll(http, server.route("jobs"), lambda a: listed(a, jobid))
            assert (jobs["key"], jobs["message"]) == ("keyless", KEY_LINE)
            job = listed(jobs, jobid)
            assert job is not None, jobs
            assert (job["name"], job["state"]) == ("paneljob", "RUNNING"), job
            assert job["output"] == f"{home}/slurm-{jobid}.out"

            output = poll(
                http,
                server.route(f"output/perlmutter/{jobid}?offset=0"),
                lambda a: "panel line 1" in a["text"],
            )
            assert output["text"] == "panel line 1\n", output

            cancel = http.post(server.route(f"cancel/perlmutter/{jobid}"))
            assert cancel.status_code == 200, cancel.text
            assert cancel.json()["cancelled"] is True
            ended = poll(http, server.route("jobs"), lambda a: listed(a, jobid, "recent"))
            job = listed(ended, jobid, "recent")
            assert job is not None and job["state"] == "CANCELLED", ended
            assert listed(ended, jobid) is None, "a cancelled job left the queue"
    finally:
        server.stop()
    log = server.process.log_path.read_text(errors="replace")
    assert "through this node's Slurm as nobody" in log, "the server says once it is keyless"
    # the tripwire (SFAPI_API_URL) saw public status reads and nothing else
    assert all(" /api/v1.2/status" in p for p in host.tripwire_seen), host.tripwire_seen
