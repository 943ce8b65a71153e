"""``machine.h5(path, job=...)``: each question run as a short batch job on the local facility.

The job runs the same program as the command path (tests/client/test_h5.py), as the user, in
a Python with h5py their account can run; its answer is a file the client downloads. Values
are checked against the command path's answer and h5py reading the same file here.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from sfapi_jupyter.client import BrightField
from sfapi_jupyter.client.h5 import JOB_NAME
from sfapi_jupyter.client.h5._job import ANSWER_DIR

from ..support.figures import record
from ..support.h5files import write_4d
from ._watch_fixtures import (  # noqa: F401 - fixtures
    logged_facility,
    request_log,
    wclient,
)
from .test_h5 import h5_python as h5_python  # the fixtures, as in test_h5.py
from .test_h5 import home as home
from .test_h5 import local_virtual, readable, sent_since

SHAPE, CHUNKS, CENTRE, DISC = (16, 12, 32, 32), (4, 4, 32, 32), (16.0, 16.0), 6.0


async def test_tree_and_virtual_image_through_a_job_equal_the_command_and_h5py(
    wclient, request_log, home, h5_python
):
    path = readable(write_4d(home / "scan.h5", SHAPE, CHUNKS))
    machine = wclient.compute("perlmutter")
    seen: list[str] = []
    by_job = machine.h5(
        "scan.h5", python=h5_python, job=True, on_job=lambda job: seen.append(job.jobid)
    )
    by_command = machine.h5("scan.h5", python=h5_python)
    detector = BrightField(*CENTRE, DISC)

    start = len(request_log.seen)
    tree = await by_job.tree()
    sent, requests = sent_since(request_log, start)
    record("hdf5", "tree through a batch job: requests", len(requests))
    record("hdf5", "tree through a batch job: response bytes", sent, "B")
    assert tree.as_dict() == (await by_command.tree()).as_dict()
    assert tree["/data"].shape == SHAPE
    first = by_job.last_job
    assert first is not None and seen == [first.jobid] and first.state.value == "COMPLETED"
    assert any("compute/jobs/perlmutter" in r and r.startswith("POST") for r in requests)
    assert sum("download" in r for r in requests) == 1, requests
    # The answer is left until the next question of this handle (which removes it).
    answers = home / ANSWER_DIR.removeprefix("~/")
    assert sorted(p.suffix for p in answers.iterdir()) == [".err", ".out"]

    costs = {}
    for way, h5 in (("batch job", by_job), ("command", by_command)):
        start, began = len(request_log.seen), time.monotonic()
        costs[way] = await h5.virtual_image("/data", detector)
        seconds = time.monotonic() - began
        sent, requests = sent_since(request_log, start)
        record("hdf5", f"virtual image through a {way}: requests", len(requests))
        record("hdf5", f"virtual image through a {way}: response bytes", sent, "B")
        record("hdf5", f"virtual image through a {way}: seconds (local facility)", seconds, "s")
    image = costs["batch job"]
    assert np.array_equal(image.data, costs["command"].data)
    assert np.array_equal(image.data, local_virtual(path, "/data", CENTRE, 0, DISC))
    mean = await by_job.mean_diffraction("/data")
    np.testing.assert_allclose(mean.data, (await by_command.mean_diffraction("/data")).data)
    assert by_job.jobs == 3 and by_job.commands == 0 and len(seen) == 3
    assert by_job.last_job is not None and by_job.last_job.jobid == seen[-1]
    # The first two questions' answers are gone: only the latest one is there.
    assert len(list(answers.iterdir())) == 2

    # Each job is the user's, under its name, in sacct's list of their jobs.
    listed = {j.jobid: j for j in await machine.jobs(sacct=True)}
    for jobid in seen:
        assert listed[jobid].name == JOB_NAME and listed[jobid].state.value == "COMPLETED"


async def test_job_options_reach_slurm(wclient, home, h5_python):
    """A dict merges over the defaults; a string of sbatch options comes after them."""
    readable(write_4d(home / "scan.h5", SHAPE, CHUNKS))
    machine = wclient.compute("perlmutter")
    for job, qos in (({"qos": "shared", "cpus_per_task": 2}, "shared"), ("-q regular", "regular")):
        h5 = machine.h5("scan.h5", python=h5_python, job=job)
        await h5.tree()
        assert h5.last_job is not None
        rows = await machine.sacct_rows([h5.last_job.jobid], cached=False)
        assert rows and rows[0].get("qos") == qos, rows


async def test_a_question_no_longer_wanted_cancels_its_job(wclient, home, h5_python):
    """A newer question replaces an older one (the viewer's last-wins): the older one's job
    must not go on using the allocation."""
    readable(write_4d(home / "scan.h5", SHAPE, CHUNKS))
    slow = home / "slow-python"
    slow.write_text(f'#!/bin/sh\nsleep 60\nexec {h5_python} "$@"\n')
    slow.chmod(0o755)
    machine = wclient.compute("perlmutter")
    submitted = asyncio.Event()
    h5 = machine.h5("scan.h5", python=str(slow), job=True, on_job=lambda job: submitted.set())
    asking = asyncio.create_task(h5.tree())
    await asyncio.wait_for(submitted.wait(), 30)
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    job = h5.last_job
    assert job is not None
    for _ in range(100):
        await job.refresh()
        if job.is_terminal:
            break
        await asyncio.sleep(0.2)
    assert job.state.value == "CANCELLED"
