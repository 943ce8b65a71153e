"""Driving one notebook in JupyterLab 4 or Notebook 7 through Playwright, as a user would.

The two front ends share JupyterLab's notebook widgets (``.jp-NotebookPanel``, ``.jp-Cell``,
``.jp-InputPrompt``, the ``Run`` menu) and differ in their chrome: Lab has a status bar
(``Python 3 (ipykernel) | Idle``) and tabs; Notebook 7 has one notebook per page and a
kernel indicator in the toolbar. Both are started with ``expose_app_in_browser``, so the
idle wait can also ask the session itself (connected and idle), which is what makes the
first Run All reliable.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Locator, Page, expect

from .servers import JupyterServer

FRONTENDS = ("lab", "nb7")
PROMPT_RAN = re.compile(r"\[[0-9*]+\]")
PROMPT_DONE = re.compile(r"\[[0-9]+\]")

# True when the current notebook's kernel is connected and idle (both front ends).
_KERNEL_IDLE_JS = """() => {
  const app = window.jupyterapp;
  const widget = app && app.shell && app.shell.currentWidget;
  const ctx = widget && widget.sessionContext;
  const kernel = ctx && ctx.session && ctx.session.kernel;
  return !!(ctx && ctx.isReady && kernel && kernel.connectionStatus === 'connected'
            && kernel.status === 'idle');
}"""


def write_notebook(directory: Path, name: str, cells: list[str]) -> Path:
    """A notebook of code cells with the python3 kernel, written with nbformat."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = directory / name
    nbformat.write(nb, path)
    return path


@dataclass
class NotebookUI:
    """One open notebook in one front end (``lab`` or ``nb7``)."""

    page: Page
    server: JupyterServer
    frontend: str
    path: str = ""
    started: float = 0.0

    def lap(self, what: str) -> None:
        """Print a timing line (pytest shows it with a failure, or with ``-s``)."""
        if not self.started:
            self.started = time.monotonic()
        print(f"[{self.frontend} {time.monotonic() - self.started:6.2f}s] {what}", flush=True)

    # -- opening -------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        quoted = urllib.parse.quote(path)
        if self.frontend == "lab":
            return f"{self.server.base_url}/lab/tree/{quoted}?reset&token={self.server.token}"
        return f"{self.server.base_url}/notebooks/{quoted}?token={self.server.token}"

    def open(self, path: str, timeout: float = 60) -> NotebookUI:
        """Open the notebook and wait until its kernel is connected and idle."""
        self.path = path
        self.lap(f"open {path}")
        self.page.goto(self.url(path))
        self.cells.first.wait_for(timeout=timeout * 1000)
        self.lap("cells shown")
        self.wait_kernel_idle(timeout)
        self.lap("kernel idle")
        # Safety net if the settings (autoStartDefaultKernel) did not apply.
        select = self.page.get_by_role("button", name="Select Kernel", exact=True)
        if select.count():
            select.click()
            self.wait_kernel_idle(timeout)
        return self

    @property
    def panel(self) -> Locator:
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    @property
    def cells(self) -> Locator:
        return self.panel.locator(".jp-Cell")

    def cell(self, index: int) -> Locator:
        return self.cells.nth(index)

    def prompt(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-InputPrompt")

    # -- kernel state ----------------------------------------------------------------------------
    def wait_kernel_idle(self, timeout: float = 60) -> None:
        """Idle as a user sees it (toolbar, Lab's status bar) and as the session says."""
        ms = timeout * 1000
        indicator = self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        expect(indicator.first).to_be_attached(timeout=ms)
        if self.frontend == "lab":
            status = self.page.locator(".jp-StatusBar-Widget").filter(
                has_text=re.compile(r"\| Idle")
            )
            expect(status).to_have_count(1, timeout=ms)
        self.page.wait_for_function(_KERNEL_IDLE_JS, timeout=ms)

    # -- running -----------------------------------------------------------------------------------
    def _menu(self, top: str, item: re.Pattern[str]) -> None:
        self.page.get_by_role("menuitem", name=top, exact=True).click()
        self.page.get_by_role("menuitem", name=item).click()

    def run_all(self, attempts: int = 3) -> None:
        """Run → Run All Cells, retried if the first cell never started (a dropped click)."""
        first = self.prompt(0)
        for _attempt in range(attempts):
            self._menu("Run", re.compile(r"^Run All Cells"))
            try:
                expect(first).to_have_text(PROMPT_RAN, timeout=10_000)
                self.lap("run all started")
                return
            except AssertionError:
                self.lap("run all was dropped; again")
                self.page.keyboard.press("Escape")
                self.wait_kernel_idle()
        raise AssertionError(f"Run All Cells never started the first cell of {self.path}")

    def run_cell(self, index: int) -> None:
        """Select a cell and run it with Ctrl+Enter (no new cell); waits until it has started."""
        before = self.prompt(index).inner_text()
        self.cell(index).locator(".jp-InputArea-prompt, .jp-InputPrompt").first.click()
        self.cell(index).locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Control+Enter")
        expect(self.prompt(index)).not_to_have_text(before, timeout=10_000)

    def wait_cell_done(self, index: int, timeout: float = 60) -> None:
        expect(self.prompt(index)).to_have_text(PROMPT_DONE, timeout=timeout * 1000)

    def cell_busy(self, index: int) -> bool:
        return "*" in self.prompt(index).inner_text()

    # -- outputs -----------------------------------------------------------------------------------
    def outputs(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea-output")

    def output_text(self, index: int) -> str:
        out = self.outputs(index)
        return "\n".join(out.nth(i).inner_text() for i in range(out.count()))

    def wait_output(self, index: int, text: str | re.Pattern[str], timeout: float = 30) -> None:
        expect(self.cell(index).locator(".jp-OutputArea")).to_contain_text(
            text, timeout=timeout * 1000
        )

    def assert_no_errors(self, index: int) -> None:
        errors = self.cell(index).locator(".jp-RenderedText[data-mime-type*='stderr']")
        tracebacks = self.cell(index).locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        text = "\n".join(e.inner_text() for e in errors.all() + tracebacks.all())
        assert "Traceback" not in text and "Error" not in text, text

    # -- the kernel, out of band ---------------------------------------------------------------
    def kernel_id(self) -> str:
        for session in self.server.api("/api/sessions"):
            if session.get("path") == self.path or session.get("path", "").endswith(
                "/" + self.path
            ):
                return str(session["kernel"]["id"])
        raise AssertionError(f"no kernel session for {self.path}")

    def kernel_eval(self, expression: str, timeout: float = 30) -> str:
        """``repr`` of an expression in the notebook's kernel, through a second client.

        Uses a silent execute with a user expression, so the notebook's execution count
        and outputs are untouched. A kernel busy with a cell answers after that cell.
        """
        return kernel_eval(self.server, self.kernel_id(), expression, timeout)

    def shutdown_kernel(self) -> None:
        for session in self.server.api("/api/sessions"):
            if session.get("path") == self.path:
                self.server.api(f"/api/sessions/{session['id']}", method="DELETE")


def kernel_eval(server: JupyterServer, kernel_id: str, expression: str, timeout: float) -> str:
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(
        connection_file=str(server.runtime_dir / f"kernel-{kernel_id}.json")
    )
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        msg_id = client.execute(
            "", silent=True, store_history=False, user_expressions={"value": expression}
        )
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.1, deadline - time.monotonic())
            reply: dict[str, Any] = client.get_shell_msg(timeout=left)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        result = reply["content"]["user_expressions"]["value"]
        if result.get("status") != "ok":
            raise AssertionError(
                f"{expression!r} raised {result.get('ename')}: {result.get('evalue')}"
            )
        return str(result["data"]["text/plain"])
    finally:
        client.stop_channels()


def wait_kernel_value(
    ui: NotebookUI, expression: str, pattern: str | re.Pattern[str], timeout: float = 30
) -> str:
    """Poll ``kernel_eval`` until its repr matches (for state the watchers update)."""
    deadline = time.monotonic() + timeout
    value = ""
    while time.monotonic() < deadline:
        value = ui.kernel_eval(expression, timeout=max(1.0, deadline - time.monotonic()))
        if re.search(pattern, value):
            return value
        time.sleep(0.25)
    raise AssertionError(f"{expression} = {value!r}, expected /{pattern}/ within {timeout} s")
