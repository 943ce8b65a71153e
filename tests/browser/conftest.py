"""Browser tests: JupyterLab 4 and Notebook 7 in headless Debian Chromium, against the facility.

Session fixtures (started by the test run, stopped by PID at the end):

``browser_root``   a temporary directory for this run (state, notebooks, HOME, keys)
``facility``       ``sfapi-jupyter facility serve`` subprocess + a key file for user elvis
``kernel_env``     the environment a kernel needs to reach it (SFAPI_API_URL, ...)
``jupyter``        ``jupyter lab`` subprocess (serves Lab and Notebook 7), kernels get kernel_env
``browser``        Playwright Chromium (``/usr/bin/chromium``, or ``$SFAPI_CHROMIUM``)
``browser_context``  one context: pages share its HTTP cache; ``state_recorder.js`` injected

Per test: ``page`` (a new page; a screenshot and the console log are saved on failure),
``frontend`` (parametrizes with ``lab``/``nb7``), ``open_notebook(cells, name=None)`` (write
a notebook, open it in the test's front end, wait for an idle kernel; the kernel is shut
down afterwards). Helpers: ``shot(page, name, target=None)`` in this module; ``NotebookUI``
(run_all, run_cell, output_text, kernel_eval, ...) in ``notebook_ui.py``.

Logs stay in ``test-artifacts/browser/`` and screenshots in ``test-artifacts/screenshots/``.
Without Chromium the tests skip, unless ``SFAPI_REQUIRE_BROWSER=1`` (then they fail).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .notebook_ui import FRONTENDS, NotebookUI, write_notebook
from .servers import REPO, FacilityServer, JupyterServer

ARTIFACTS = Path(os.environ.get("SFAPI_TEST_ARTIFACTS", REPO / "test-artifacts"))
LOGS = ARTIFACTS / "browser"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives JupyterLab / Notebook 7 in headless Chromium (ci/browser-deps.sh "
        "installs it; SFAPI_REQUIRE_BROWSER=1 turns a missing browser into a failure)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def shot(page: Any, name: str, target: Any = None) -> Path:
    """Save a screenshot for people to look at: ``test-artifacts/screenshots/<name>.png``.

    With ``target`` (a locator), it is scrolled into view first.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if target is not None:
        # A widget may redraw while we scroll; the screenshot matters more than the scroll.
        with contextlib.suppress(Exception):
            target.scroll_into_view_if_needed(timeout=5_000)
    path = SCREENSHOTS / (name if name.endswith(".png") else f"{name}.png")
    page.screenshot(path=str(path))
    return path


# -- the browser ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = os.environ.get("SFAPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if os.access(path, os.X_OK):
        return path
    reason = (
        f"no Chromium at {path}: run `bash ci/browser-deps.sh` as root (Debian's chromium) "
        "or set SFAPI_CHROMIUM"
    )
    if os.environ.get("SFAPI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SFAPI_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


_STATE_RECORDER = (Path(__file__).with_name("state_recorder.js")).read_text()


@pytest.fixture(scope="session")
def browser_context(browser: Any) -> Iterator[Any]:
    """One context for the run: pages share its HTTP cache, so Lab's bundles load once."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(_STATE_RECORDER)
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    console: list[str] = []
    page = browser_context.new_page()
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    try:
        yield page
    finally:
        failed = any(
            getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
            for when in ("setup", "call")
        )
        if failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            LOGS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(LOGS / f"FAILED-{name}.png"), full_page=True)
            except Exception as exc:  # the page may be gone; keep the console log anyway
                console.append(f"[harness] screenshot failed: {exc}")
            (LOGS / f"FAILED-{name}.console.log").write_text("\n".join(console) + "\n")
        page.close()


# -- the servers --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_root(chromium_executable: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="sfapi-browser-"))
    LOGS.mkdir(parents=True, exist_ok=True)
    # Only what this suite writes: logs of the last run, and its own screenshots.
    stale = list(LOGS.glob("*"))
    for frontend in FRONTENDS:
        stale.extend(SCREENSHOTS.glob(f"{frontend}-*.png"))
    for old in stale:
        if old.is_file():
            old.unlink()
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def facility(browser_root: Path) -> Iterator[FacilityServer]:
    server = FacilityServer.start(browser_root, LOGS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kernel_env(facility: FacilityServer, browser_root: Path) -> dict[str, str]:
    data = browser_root / "sfapi-data"
    data.mkdir(exist_ok=True)
    return {
        "SFAPI_API_URL": facility.api_url,
        "SFAPI_TOKEN_URL": facility.token_url,
        "SFAPI_CLIENT_ID": facility.client_id,
        "SFAPI_KEY": str(facility.key_file),
        "SFAPI_JUPYTER_DATA": str(data),
    }


@pytest.fixture(scope="session")
def jupyter(browser_root: Path, kernel_env: dict[str, str]) -> Iterator[JupyterServer]:
    server = JupyterServer.start(browser_root, LOGS, kernel_env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=FRONTENDS)
def frontend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_notebook(
    page: Any, jupyter: JupyterServer, frontend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., NotebookUI]]:
    """``open_notebook(cells, name=None)``: write a notebook, open it, wait for an idle kernel."""
    opened: list[NotebookUI] = []

    def _open(cells: list[str], name: str | None = None) -> NotebookUI:
        test = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")
        filename = name or f"{test}.ipynb"
        write_notebook(jupyter.root_dir, filename, cells)
        ui = NotebookUI(page, jupyter, frontend)
        opened.append(ui)
        return ui.open(filename)

    yield _open
    for ui in opened:
        with contextlib.suppress(Exception):  # teardown must not hide the test's result
            ui.shutdown_kernel()
