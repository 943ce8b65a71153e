"""``sfapi-jupyter demo`` as a newcomer meets it: open the URL it prints, run the quickstart.

The demo runs as its own process (its facility, its JupyterLab, its state directory and a
home of its own), exactly as ``make demo`` starts it; the test reads the URL from its output
and does what the README says: open it and run the notebook. Nothing covers the notebook
(no kernel dialog, no news prompt), every cell runs without an error, and the job card
ends COMPLETED. Screenshot: ``test-artifacts/screenshots/lab-demo-quickstart.png``.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import LOGS, SCREENSHOTS, shot
from .notebook_ui import PROMPT_DONE, PROMPT_RAN, NotebookUI
from .servers import CLI, JupyterServer, ManagedProcess, free_port

pytestmark = pytest.mark.browser

#: What the demo sets for Jupyter itself (the test run's own values are dropped for it).
DEMO_SETS = (
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "IPYTHONDIR",
    "JUPYTERLAB_SETTINGS_DIR",
    "JUPYTERLAB_WORKSPACES_DIR",
    "SFAPI_JUPYTER_DATA",
)
URL_LINE = re.compile(r"JupyterLab on the quickstart:\s+(http://\S+)")


@dataclass
class RunningDemo:
    url: str
    state: Path
    home: Path
    process: ManagedProcess


@pytest.fixture
def demo(tmp_path: Path, chromium_executable: str) -> Iterator[RunningDemo]:
    state, home = tmp_path / "state", tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    for name in DEMO_SETS:
        env.pop(name, None)  # the demo sets its own, as it would in a user's shell
    (LOGS / "demo.log").unlink(missing_ok=True)  # the URL must be this run's
    ports = ["--port", str(free_port()), "--lab-port", str(free_port())]
    process = ManagedProcess(
        "demo",
        [*CLI, "demo", "--state", str(state), *ports],
        LOGS / "demo.log",
        env=env,
        cwd=tmp_path,
    ).start()
    try:
        deadline = time.monotonic() + 120
        url = None
        while url is None and time.monotonic() < deadline:
            if not process.alive():
                raise AssertionError(f"the demo exited:\n{process.log_tail()}")
            found = URL_LINE.findall(process.log_path.read_text(errors="replace"))
            url = found[-1] if found else None
            time.sleep(0.2)
        assert url, f"the demo printed no JupyterLab URL:\n{process.log_tail()}"
        yield RunningDemo(url, state, home, process)
    finally:
        process.stop(timeout=30)


def test_the_printed_url_opens_the_quickstart_and_it_runs(demo, page):
    base, token = demo.url.split("/lab/")[0], demo.url.split("token=")[1]
    port = int(base.rsplit(":", 1)[1])
    server = JupyterServer(
        root_dir=demo.state / "notebooks",
        runtime_dir=demo.state / "demo" / "jupyter" / "runtime",
        token=token,
        port=port,
        process=demo.process,
    )
    ui = NotebookUI(page, server, "lab")
    ui.path = "quickstart.ipynb"
    page.goto(demo.url)  # exactly what the demo printed
    ui.cells.first.wait_for(timeout=90_000)
    current_tab = page.locator(".lm-TabBar-tab.lm-mod-current").filter(has_text="quickstart")
    expect(current_tab.first).to_be_visible()
    # The kernel starts by itself: no "Select Kernel" dialog, and no news prompt. (The demo's
    # Lab does not expose window.jupyterapp, so idle is read from the page as a user reads it.)
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    expect(idle.first).to_be_attached(timeout=90_000)
    status = page.locator(".jp-StatusBar-Widget").filter(has_text=re.compile(r"\| Idle"))
    expect(status).to_have_count(1, timeout=90_000)
    assert page.get_by_role("dialog").count() == 0
    expect(page.get_by_text(re.compile("official Jupyter news", re.I))).to_have_count(0)

    code_cells = ui.panel.locator(".jp-CodeCell")
    prompts = code_cells.locator(".jp-InputPrompt")
    for _attempt in range(3):  # Run → Run All Cells (again if the click was dropped)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        try:
            expect(prompts.first).to_have_text(PROMPT_RAN, timeout=10_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    job_card = page.locator('[data-testid="job-card"]').first
    badge = job_card.locator('[data-testid="job-state"]').first
    with contextlib.suppress(AssertionError):  # a picture of the card live, if we catch it
        expect(badge).to_have_text(re.compile("RUNNING", re.I), timeout=60_000)
        expect(job_card).to_contain_text("frame batch", timeout=10_000)
        shot(page, "lab-demo-job-running", job_card)
    expect(prompts.last).to_have_text(PROMPT_DONE, timeout=240_000)
    for index in range(code_cells.count()):
        errors = code_cells.nth(index).locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        text = "\n".join(e.inner_text() for e in errors.all())
        assert "Traceback" not in text and "Error" not in text, text
    expect(badge).to_have_text(re.compile("COMPLETED", re.I), timeout=60_000)
    expect(ui.panel).to_contain_text("COMPLETED with exit code 0")
    shot(page, "lab-demo-quickstart", job_card)
    job_card.screenshot(path=str(SCREENSHOTS / "lab-demo-job-card.png"))  # docs/job-card.png
    # The user's home is as it was: the demo's key and settings stay in its state directory.
    assert list(demo.home.iterdir()) == []
    assert (demo.state / "demo" / "key.pem").exists()
