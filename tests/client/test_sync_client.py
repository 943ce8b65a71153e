"""The blocking Client: same calls, usable in scripts and inside a running event loop."""

from __future__ import annotations

import threading

from sfapi_jupyter import Client
from sfapi_jupyter.client import JobState

from ..support.scripts import batch_script as script
from .conftest import home


def test_sync_client_does_what_the_async_one_does(facility, client):
    assert client.status("perlmutter").is_up
    assert client.outages("perlmutter") and client.planned_outages()
    assert client.user().name == "elvis" and client.projects()[0].repo_name
    assert client.groups() and client.roles() and client.clients()
    machine = client.compute("perlmutter")
    job = machine.submit(script("echo from a script", "-J sync"))
    assert job.wait(timeout=60) is job
    assert job.state is JobState.COMPLETED and job.exit_code == 0
    assert machine.job(job.jobid).name == "sync"
    assert [j.jobid for j in machine.jobs(sacct=True)] == [job.jobid]
    machine.files.upload(b"x=1\n", f"{home(facility)}/params.txt")
    assert [e.name for e in machine.files.ls(home(facility)) if e.name.endswith(".txt")] == [
        "params.txt"
    ]
    assert machine.files.download(f"{home(facility)}/params.txt", binary=False) == "x=1\n"
    assert machine.run("echo $USER").output == "elvis\n"
    long = machine.submit(script("sleep 100"))
    long.cancel(wait=True)
    assert long.state is JobState.CANCELLED


async def test_sync_client_inside_a_running_event_loop(facility, creds):
    # A Jupyter kernel runs an event loop on its main thread; the sync client must not
    # need it, block it, or nest in it.
    with Client(
        facility.api_url, facility.token_url, client_id=creds.client_id, key=creds.private_key_pem
    ) as client:
        assert client.user().name == "elvis"
        assert client.loop_thread.loop is not None
        assert threading.current_thread() is threading.main_thread()


def test_close_stops_the_loop_thread(facility, creds):
    client = Client(
        facility.api_url, facility.token_url, client_id=creds.client_id, key=creds.private_key_pem
    )
    client.status()
    client.close()
    assert not client.loop_thread.running
    client.close()  # twice is fine
