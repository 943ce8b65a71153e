"""The submit form and a transfer in JupyterLab 4 and Notebook 7, against the local facility.

``%sfsubmit``: a field edit changes its ``#SBATCH`` line in the editor, an edited line
changes its field, a broken line shows its error and disables submit, and a submit turns
the form into the job's live card (the script kept for "Edit and submit again").
``%sftransfer``: the card shows the transfer ACTIVE part way, then SUCCEEDED with every
file and byte. The facility is throttled (``SFAPI_FACILITY_TRANSFER_RATE``, set before the
session's facility starts) so that 8 MiB take a few seconds: progress can be seen, not
guessed. Screenshots go to ``test-artifacts/screenshots/<frontend>-submit-*.png`` and
``<frontend>-transfer-*.png``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, expect

from sfapi_jupyter.facility.transfers import RATE_ENV

from .conftest import SCREENSHOTS, shot
from .notebook_ui import NotebookUI, wait_kernel_value
from .servers import FacilityServer

pytestmark = pytest.mark.browser

# Read by the facility when a transfer starts; the session's facility is started after
# collection, so it inherits this. 1 MiB/s: the 8 MiB below take about eight seconds.
os.environ.setdefault(RATE_ENV, str(1024 * 1024))

LOAD = "%load_ext sfapi_jupyter"
TIMEOUT = 45_000  # ms
SCRIPT = """#!/bin/bash
#SBATCH -J scan-42
#SBATCH -C cpu
#SBATCH -q debug
#SBATCH -N 1
#SBATCH -t 00:10:00

echo "reconstructing scan 42 on $(hostname)"
sleep 1
echo "done"
"""


def element_shot(target: Locator, name: str) -> Path:
    """A screenshot of one widget (for the docs), next to the page screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    for attempt in range(3):  # a widget that ends is drawn again with its final summary
        try:
            target.screenshot(path=str(path), timeout=10_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            target.page.wait_for_timeout(500)
    return path


def field(form: Locator, name: str) -> Locator:
    return form.locator(f'[data-testid="field-{name}"]')


def test_submit_form_keeps_fields_and_script_in_step_and_submits(
    open_notebook: Any, page: Any, frontend: str
) -> None:
    write = f"open('scan42-{frontend}.sbatch', 'w').write({SCRIPT!r})"
    ui: NotebookUI = open_notebook([LOAD, write, f"%sfsubmit scan42-{frontend}.sbatch --out form"])
    ui.run_all()
    form = ui.cell(2).locator('[data-testid="submit-form"]')
    expect(form).to_be_visible(timeout=TIMEOUT)
    editor = form.locator('[data-testid="script-editor"]')
    expect(editor).to_have_value(SCRIPT)
    expect(field(form, "job_name")).to_have_value("scan-42")
    expect(field(form, "nodes")).to_have_value("1")
    # The user's projects arrive from the API: the account list and the cost show them.
    expect(field(form, "account").locator("option")).not_to_have_count(1, timeout=TIMEOUT)
    expect(form.locator('[data-testid="form-cost"]')).to_contain_text("CPU node-hours of the")

    # A field edit rewrites its #SBATCH line.
    field(form, "nodes").fill("3")
    field(form, "nodes").press("Enter")
    expect(editor).to_have_value(re.compile(r"^#SBATCH -N 3$", re.M), timeout=TIMEOUT)
    field(form, "qos").select_option("regular")
    expect(editor).to_have_value(re.compile(r"^#SBATCH -q regular$", re.M), timeout=TIMEOUT)
    expect(form.locator('[data-testid="form-cost"]')).to_contain_text("0.5 CPU node-hours")

    # An edited line changes its field.
    text = editor.input_value().replace("-t 00:10:00", "-t 00:20:00").replace("scan-42", "scan-43")
    editor.fill(text)
    expect(field(form, "time")).to_have_value("00:20:00", timeout=TIMEOUT)
    expect(field(form, "job_name")).to_have_value("scan-43")
    expect(form.locator('[data-testid="form-cost"]')).to_contain_text("1 CPU node-hour of the")
    shot(page, f"{frontend}-submit-form", form)
    element_shot(form, f"{frontend}-submit-form-widget")

    # A broken line: its error, with the line number, and no submit.
    editor.fill(text.replace("#SBATCH -N 3", "#SBATCH --nodez=3"))
    error = form.locator('[data-testid="form-checks"] [data-severity="error"]')
    expect(error).to_contain_text("line 5: unknown #SBATCH option '--nodez'", timeout=TIMEOUT)
    expect(form.locator('[data-testid="submit-button"]')).to_be_disabled()
    shot(page, f"{frontend}-submit-form-error", form)
    editor.fill(text)
    expect(error).to_have_count(0, timeout=TIMEOUT)
    expect(field(form, "nodes")).to_have_value("3")

    # Submit: the form turns into the job's card, which follows the job to its end.
    submit = form.locator('[data-testid="submit-button"]')
    expect(submit).to_be_enabled(timeout=TIMEOUT)
    submit.click()
    job_view = ui.cell(2).locator('[data-testid="form-job"]')
    expect(job_view).to_be_visible(timeout=TIMEOUT)
    card = job_view.locator('[data-testid="job-card"]')
    expect(card.locator('[data-testid="job-name"]')).to_have_text("scan-43", timeout=TIMEOUT)
    expect(card.locator('[data-testid="job-state"]').first).to_have_text(
        "COMPLETED", timeout=TIMEOUT
    )
    expect(card).to_contain_text("reconstructing scan 42", timeout=TIMEOUT)
    jobid = card.locator('[data-testid="job-id"]').first.inner_text().strip()
    assert wait_kernel_value(ui, "form.submitted[-1]['jobid']", re.escape(jobid))
    shot(page, f"{frontend}-submit-form-job", job_view)
    element_shot(job_view, f"{frontend}-submit-form-job-widget")

    # The script is kept: edit and submit again.
    job_view.locator('[data-testid="edit-again"]').click()
    expect(form).to_be_visible()
    expect(editor).to_have_value(text)
    expect(form.locator('[data-testid="show-job"]')).to_have_text(f"Show job {jobid} →")


def test_transfer_shows_progress_to_the_end(
    open_notebook: Any, page: Any, frontend: str, facility: FacilityServer
) -> None:
    home = facility.state_dir / "fs" / "homes" / "elvis"
    source = home / f"scan42-raw-{frontend}"
    source.mkdir(parents=True, exist_ok=True)
    for i in range(8):
        (source / f"frame{i:03d}.raw").write_bytes(os.urandom(1024 * 1024))
    target = home / f"results-{frontend}"
    line = f"%sftransfer perlmutter:{source} dtns:{target} --label 'scan 42 raw frames' --out t"
    ui: NotebookUI = open_notebook([LOAD, line])
    ui.run_all()
    card = ui.cell(1).locator('[data-testid="transfer-card"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    expect(card.locator('[data-testid="transfer-label"]')).to_have_text("scan 42 raw frames")
    expect(card.locator('[data-testid="transfer-source"]')).to_contain_text("perlmutter")
    # Part way: ACTIVE with some of the files and bytes done.
    percent = card.locator('[data-testid="transfer-percent"]')
    expect(percent).to_have_text(re.compile(r"^([1-9]|[1-9]\d)%$"), timeout=TIMEOUT)
    expect(card.locator('[data-testid="transfer-state"]')).to_have_text("ACTIVE")
    expect(card.locator('[data-testid="transfer-files"]')).to_contain_text(" of 8")
    shot(page, f"{frontend}-transfer-active", card)
    element_shot(card, f"{frontend}-transfer-active-widget")
    # The end: every file and byte.
    expect(card.locator('[data-testid="transfer-state"]')).to_have_text(
        "SUCCEEDED", timeout=TIMEOUT
    )
    expect(percent).to_have_text("100%")
    expect(card.locator('[data-testid="transfer-files"]')).to_have_text("8 of 8")
    expect(card.locator('[data-testid="transfer-bytes"]')).to_have_text("8.0 MiB of 8.0 MiB")
    shot(page, f"{frontend}-transfer-done", card)
    element_shot(card, f"{frontend}-transfer-done-widget")
    assert wait_kernel_value(ui, "t.state.value", "SUCCEEDED")
    copied = sorted(p.name for p in (target / source.name).iterdir())
    assert copied == [f"frame{i:03d}.raw" for i in range(8)]
