"""The queue table (``%sfjobs``) and the log tail (``%sftail``) in JupyterLab 4 and Notebook 7.

A job is submitted and waited for (``%%sfjob --wait``); the queue then lists it in its done
section, and ``%sftail JOBID`` shows its output. Screenshots of both widgets go to
``test-artifacts/screenshots/<frontend>-queue-table.png`` and ``<frontend>-log-tail.png``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, shot

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms
JOB = (
    "%%sfjob --wait --out job\n#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 5\n"
    "#SBATCH -J queue-demo\n"
    'for i in 1 2 3; do echo "frame $i of 3 reconstructed"; done\n'
)


def test_queue_lists_the_finished_job_and_the_tail_shows_its_output(open_notebook, page, frontend):
    ui = open_notebook(["%load_ext sfapi_jupyter", JOB, "%sfjobs", "%sftail {job.jobid}"])
    ui.run_all()
    jobid = ui.kernel_eval("job.jobid", timeout=180).strip("'\"")
    assert jobid.isdigit()

    table = ui.cell(2).locator('[data-testid="queue-table"]')
    row = table.locator(f'[data-testid="queue-row"][data-jobid="{jobid}"]')
    expect(row.first).to_be_attached(timeout=TIMEOUT)
    done = table.locator('[data-testid="done-section"]')
    if done.count() and not done.first.get_attribute("open"):
        done.first.locator("summary").click()
    expect(row.first).to_contain_text("COMPLETED", timeout=TIMEOUT)
    expect(row.first).to_contain_text("queue-demo")
    shot(page, f"{frontend}-queue-table", table)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    table.screenshot(path=str(SCREENSHOTS / f"{frontend}-queue-table-widget.png"))

    tail = ui.cell(3).locator(".sfj-tail")
    expect(tail).to_contain_text("frame 3 of 3 reconstructed", timeout=TIMEOUT)
    expect(tail).to_contain_text(f"job {jobid}")
    shot(page, f"{frontend}-log-tail", tail)
    tail.screenshot(path=str(SCREENSHOTS / f"{frontend}-log-tail-widget.png"))
