"""A Hub user in headless Chromium: the Hub's login page, their lab, their notebooks.

:func:`login` fills the Hub's login form (``/hub/login``) as a person would and waits until
the Hub has spawned the user's server and JupyterLab has drawn itself at ``/user/NAME/lab``.
:class:`UserServer` is that user's single-user server as tests/browser's ``NotebookUI`` wants
a server (base URL, notebook directory, runtime directory, REST API with a token of the
user's own), and :class:`HubNotebookUI` opens notebooks there by the login cookie (no
``?token=`` in the URL: the Hub's OAuth did the login).
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Page, expect

from tests.browser.notebook_ui import NotebookUI
from tests.support.jupyter_api import jupyter_api

from .hub import Hub
from .users import HubUser

SPAWN_TIMEOUT = 90_000  # ms: the Hub starts the server, then Lab loads its bundles


def login(page: Page, hub: Hub, user: HubUser) -> None:
    """Log in through the Hub's login page and wait for ``/user/NAME/lab`` to be drawn."""
    page.goto(f"{hub.url}/hub/login")
    page.locator("#username_input").fill(user.name)
    page.locator("#password_input").fill(user.password)
    page.locator("#login_submit").click()
    page.wait_for_url(re.compile(rf"/user/{user.name}/lab"), timeout=SPAWN_TIMEOUT)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=SPAWN_TIMEOUT)


@dataclass
class UserServer:
    """A user's single-user server, seen from the test (duck-types tests/browser's
    ``JupyterServer`` for ``NotebookUI``)."""

    hub: Hub
    user: HubUser
    token: str

    @property
    def base_url(self) -> str:
        return f"{self.hub.url}/user/{self.user.name}"

    @property
    def root_dir(self) -> Path:
        return self.user.home  # LocalProcessSpawner starts the server in the user's home

    @property
    def runtime_dir(self) -> Path:
        return self.user.home / ".local" / "share" / "jupyter" / "runtime"

    def api(self, path: str, method: str = "GET") -> Any:
        return jupyter_api(self.base_url, self.token, path, method)

    def write_notebook(self, name: str, cells: list[str], kernel: str = "python3") -> Path:
        """A notebook in the user's home, owned by the user (as if they had saved it)."""
        display = {"python3": "Python 3 (ipykernel)", "sfapi": "Python (SF API)"}[kernel]
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": kernel, "display_name": display, "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = self.root_dir / name
        nbformat.write(nb, path)
        self.user.own(path)
        return path

    def extension(self, page: Page, route: str) -> tuple[int, str]:
        """``GET /user/NAME/sfapi-jupyter/<route>`` from the page, with its cookies."""
        answer = page.request.get(f"{self.base_url}/sfapi-jupyter/{route}")
        return answer.status, answer.text()


class HubNotebookUI(NotebookUI):
    """``NotebookUI`` for a server behind the Hub: the login cookie, not a token, lets it in."""

    def url(self, path: str) -> str:
        quoted = urllib.parse.quote(path)
        if self.frontend == "lab":
            return f"{self.server.base_url}/lab/tree/{quoted}?reset"
        return f"{self.server.base_url}/notebooks/{quoted}"
