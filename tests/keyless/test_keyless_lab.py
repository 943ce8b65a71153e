"""Keyless in JupyterLab: the job card and the side panel, with no key, as ``nobody``.

JupyterLab runs as the ordinary OS user ``nobody`` (as NERSC's JupyterHub runs it as you),
with an empty ``~/.superfacility``, no ``SFAPI_*`` variable but the tripwire's API URL, and
the Slurm commands on ``PATH``: its kernels and its server extension both go keyless. In
headless Chromium a notebook's ``%%sfjob`` card follows a job to COMPLETED with its output;
the NERSC panel says it works keyless through this node's Slurm as nobody, lists the jobs,
and cancels the long one through its dialog. The tripwire sees public status reads only.
Screenshots: ``test-artifacts/screenshots/lab-keyless-{card,panel}.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (  # noqa: F401 - browser, chromium_executable: fixtures
    _STATE_RECORDER,
    VIEWPORT,
    browser,
    chromium_executable,
    shot,
)
from tests.browser.notebook_ui import NotebookUI, write_notebook
from tests.browser.panel_ui import PanelUI
from tests.browser.test_job_cards import LOAD, card, sfjob, shown_jobid, stdout_lines

from .conftest import NOBODY, KeylessHost
from .lab import LOGS, UserJupyter, start_jupyter_as_user

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms
QUICK = 'for i in 1 2 3; do echo "step $i of 3"; sleep 1; done\necho "all done"\n'
LONG = 'echo "long job started"\nsleep 600\n'
KEY_LINE = "Keyless: your jobs go through this node's Slurm as nobody, no API key"


@pytest.fixture
def keyless_lab(keyless_lab_host: KeylessHost) -> Iterator[tuple[KeylessHost, UserJupyter, Path]]:
    host = keyless_lab_host
    home = host.new_home("home-lab")
    server = start_jupyter_as_user(
        host, home, app="jupyterlab", options=("--LabApp.expose_app_in_browser=True",)
    )
    try:
        yield host, server, home
    finally:
        server.stop()


@pytest.fixture
def lab_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_STATE_RECORDER)
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_job_card_and_the_panel_work_keyless_in_jupyterlab(keyless_lab, lab_page) -> None:
    host, server, home = keyless_lab
    path = write_notebook(home, "keyless.ipynb", [LOAD, sfjob("", QUICK), sfjob("", LONG)])
    os.chown(path, NOBODY, NOBODY)

    try:
        ui = NotebookUI(lab_page, server, "lab").open(path.name, timeout=120)
        ui.run_all()
        quick, long = shown_jobid(ui, 1), shown_jobid(ui, 2)
        expect(card(ui, 1)).to_contain_text("COMPLETED", timeout=TIMEOUT)
        expect(stdout_lines(ui, 1)).to_contain_text("all done", timeout=TIMEOUT)
        expect(stdout_lines(ui, 1)).to_contain_text("step 1 of 3")
        # the kernel said once, under the first %%sfjob cell, which way it reaches the machine
        said = "\n".join(ui.output_text(i) for i in range(3))
        assert said.count("through this node's Slurm as nobody") == 1, said
        shot(lab_page, "lab-keyless-card", card(ui, 1))

        panel = PanelUI(lab_page, "lab").open(timeout=90)
        expect(panel.root.locator(".sfp-keyless")).to_have_text(KEY_LINE, timeout=TIMEOUT)
        expect(panel.root.locator(".sfp-key-message")).to_have_count(0)
        expect(panel.queued(long)).to_be_visible(timeout=TIMEOUT)
        expect(panel.recent(quick)).to_have_attribute("data-state", "COMPLETED", timeout=TIMEOUT)
        shot(lab_page, "lab-keyless-panel")

        view = panel.open_output(quick)
        expect(view.locator(".sfp-output-text")).to_contain_text("all done", timeout=TIMEOUT)
        dialog = panel.cancel(long)
        dialog.get_by_role("button", name="Cancel job").click()
        expect(panel.recent(long)).to_have_attribute("data-state", "CANCELLED", timeout=TIMEOUT)
        ui.shutdown_kernel()
    except Exception:
        LOGS.mkdir(parents=True, exist_ok=True)
        lab_page.screenshot(path=str(LOGS / "FAILED-lab-keyless.png"), full_page=True)
        raise

    assert all(" /api/v1.2/status" in p for p in host.tripwire_seen), host.tripwire_seen
