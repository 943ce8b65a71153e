"""Restarts: the facility restarted while jobs are watched (local and slurm backends) — the
watchers resume and miss no final state; a kernel restarted — its recorded jobs reattach."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from sfapi_jupyter.client import JobState
from tests.support.facility import async_client, fast_config, free_port, new_client, script, serve
from tests.support.figures import artifacts_dir, record, record_text
from tests.support.kernel import Kernel, kernel_env
from tests.support.slurm import require_slurm

SECTION = "restarts"


async def watch_through_a_restart(tmp_path: Path, backend: str) -> None:
    port = free_port()
    options = {"backend": backend, "nodes": {"perlmutter": 2, "dtns": 2, "dtn01": 1}}
    config = fast_config(tmp_path / "state", **options)
    finals: dict[str, JobState] = {}
    errors: list[BaseException] = []
    facility = serve(config, port=port)
    running = facility.__enter__()
    try:
        creds = new_client(running, "restart")
        async with async_client(running, creds, retry=None) as client:
            machine = client.compute("perlmutter")
            machine.watcher.subscribe(
                lambda e: finals.__setitem__(e.jobid, e.new) if e.new.is_terminal else None
            )
            jobs = [await machine.submit(script("true", "-J quick"))]
            jobs += [await machine.submit(script("sleep 6", f"-J long{i}")) for i in range(3)]
            waits = [asyncio.ensure_future(job.wait(timeout=240)) for job in jobs]
            await asyncio.sleep(3)  # the first has ended, two run, one waits for a node
            facility.__exit__(None, None, None)
            await asyncio.sleep(3)  # the facility is down
            facility = serve(fast_config(tmp_path / "state", **options), port=port)
            running = facility.__enter__()
            for result in await asyncio.gather(*waits, return_exceptions=True):
                if isinstance(result, BaseException):
                    errors.append(result)
                    record_text("exception", f"{type(result).__name__}: {result}")
            # What the facility itself says now, through a new client after the restart.
            async with async_client(running, creds) as fresh:
                truth = {
                    job.jobid: (await fresh.compute("perlmutter").job(job.jobid)).state
                    for job in jobs
                }
    finally:
        facility.__exit__(None, None, None)
    missed = sum(1 for jobid, state in truth.items() if finals.get(jobid) is not state)
    name = f"{backend} backend"
    record(SECTION, f"{name}: jobs watched across a facility restart", len(jobs))
    record(SECTION, f"{name}: final states", ", ".join(sorted({s.value for s in truth.values()})))
    record(SECTION, f"{name}: final states missed", missed, zero=True)
    record(SECTION, f"{name}: exceptions reaching the user", len(errors), zero=True)
    record(SECTION, "jobs lost", missed)
    assert not errors, errors
    assert missed == 0, (finals, truth)
    assert all(state.is_terminal for state in truth.values()), truth


async def test_watchers_resume_after_a_local_facility_restart(tmp_path):
    await watch_through_a_restart(tmp_path, "local")


@pytest.mark.slurm
async def test_watchers_resume_after_a_slurm_facility_restart(tmp_path):
    require_slurm()
    await watch_through_a_restart(tmp_path, "slurm")


def test_recorded_jobs_reattach_after_a_kernel_restart(tmp_path):
    config = fast_config(tmp_path / "state")
    with serve(config) as facility:
        creds = new_client(facility, "kernel")
        env = kernel_env(facility, creds, tmp_path)
        kernel = Kernel(env, tmp_path).start()
        started = time.monotonic()
        try:
            kernel.run("%load_ext sfapi_jupyter")
            kernel.run(
                "%%sfjob --out kept\n" + script("sleep 6; echo kept", "-J kept", "-o kept-%j.log")
            )
            jobid = kernel.run("print(kept.jobid)").strip()
            assert jobid.isdigit(), jobid
            kernel.restart()
            kernel.run("kept", check=False)  # a new process: the variable is gone
            assert kernel.cells[-1].outputs[-1]["ename"] == "NameError"
            kernel.run("%load_ext sfapi_jupyter")
            kernel.run(f"card = %sfjob {jobid}")
            kernel.run("table = %sfjobs")
            kernel.wait_until("card.state", "COMPLETED", timeout=90)
            kernel.wait_until(
                f"any(r['jobid'] == {jobid!r} and r['done'] for r in table.rows)", "True", 60
            )
            path = kernel.run("print(card.stdout_path)").strip()
            kernel.wait_until("'kept' in card.output('stdout')", "True", 30)
            state = kernel.run(
                "import json; print(json.dumps({k: v for k, v in card.get_state().items() "
                "if not k.startswith('_')}, default=str))"
            )
            states = artifacts_dir() / "widget-states"
            states.mkdir(exist_ok=True)
            (states / "job-card-after-restart.json").write_text(state)
            record_text("widget state", state)
            json.loads(state)
        finally:
            notebooks = artifacts_dir() / "notebooks"
            notebooks.mkdir(exist_ok=True)
            kernel.save_notebook(notebooks / "kernel-restart.ipynb")
            kernel.stop()
    assert path.endswith(f"kept-{jobid}.log"), path  # known only from the record
    record(SECTION, "kernel restart: recorded jobs reattached", 1)
    record(
        SECTION,
        "kernel restart: seconds to reattach and see the end",
        round(time.monotonic() - started, 1),
    )
