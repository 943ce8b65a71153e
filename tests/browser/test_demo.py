"""``sfapi-jupyter demo`` as a newcomer meets it: open the URL it prints, run the quickstart.

The demo runs as its own process (its facility, its JupyterLab, its state directory and a
home of its own), exactly as ``make demo`` starts it; the test reads the URL from its output
and does what the README says: open it and run the notebook. Nothing covers the notebook
(no kernel dialog, no news prompt), every cell runs without an error, and the job card
ends COMPLETED. Screenshot: ``test-artifacts/screenshots/lab-demo-quickstart.png``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import LOGS, shot
from .notebook_ui import PROMPT_DONE, NotebookUI
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
    process = ManagedProcess(
        "demo",
        [*CLI, "demo", "--state", str(state), "--port", str(free_port()),
         "--lab-port", str(free_port())],
        LOGS / "demo.log",
        env=env,
        cwd=tmp_path,
    ).start()  # fmt: skip
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
    # The kernel starts by itself: no "Select Kernel" dialog, and no news prompt.
    ui.wait_kernel_idle(90)
    assert page.get_by_role("dialog").count() == 0
    expect(page.get_by_text(re.compile("official Jupyter news", re.I))).to_have_count(0)

    ui.run_all()
    last = ui.cells.count() - 1
    while last > 0 and not ui.prompt(last).count():
        last -= 1
    expect(ui.prompt(last)).to_have_text(PROMPT_DONE, timeout=240_000)
    for index in range(ui.cells.count()):
        if ui.prompt(index).count():
            ui.assert_no_errors(index)
    job_card = page.locator('[data-testid="job-card"]').first
    expect(job_card.locator('[data-testid="job-state"]').first).to_have_text(
        re.compile("COMPLETED", re.I), timeout=60_000
    )
    expect(ui.panel).to_contain_text("COMPLETED with exit code 0")
    shot(page, "lab-demo-quickstart", job_card)
    # The user's home is as it was: the demo's key and settings stay in its state directory.
    assert list(demo.home.iterdir()) == []
    assert (demo.state / "demo" / "key.pem").exists()
