"""The toolkit under a real JupyterHub (run as root): fixtures for tests/hub.

Session fixtures, each stopped by PID at the end (the Hub first: it stops the users' servers):

``hub_root``      a temporary directory for this run (facility state, the Hub's state)
``hub_facility``  ``sfapi-jupyter facility serve``, whose OS users are the Hub's users
``hub_users``     ``{name: HubUser}``: ``hubalma`` and ``hubbruno``, each with an OS password
                  and a key of their own in ``~/.superfacility`` (see users.py)
``hub_python``    the environment the users' servers run (see env.py)
``hub``           JupyterHub (PAM logins, LocalProcessSpawner, configurable-http-proxy)

Per test:

``hub_session(name)``  logs a user in through the Hub's login form (httpx, with the form's
                       XSRF token), starts their server and returns a :class:`HubSession`
                       whose requests go to ``/user/NAME/...`` with the user's cookies
``as_user(name)``      (browser tests) a browser context of that user's own, logged in on the
                       Hub's login page and on their lab: ``(page, UserServer)``; Chromium
                       comes from tests/browser's ``browser`` fixture (imported below)
``hub_submit(name, body)``  a job of that user, submitted with their own key; its job id

Logs go to ``test-artifacts/hub/``. Without root, the proxy (``npm ci`` in tests/hub) or
jupyterhub, the tests skip with the reason (CI fails on any skip: ci/check_skips.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (  # noqa: F401 - browser, chromium_executable: fixtures
    _STATE_RECORDER,
    ARTIFACTS,
    VIEWPORT,
    browser,
    chromium_executable,
)
from tests.browser.servers import FacilityServer

from .env import hub_python as make_hub_python
from .hub import PROXY, Hub
from .hub_ui import UserServer, login
from .users import HubUser, start_facility, submit_job

LOGS = ARTIFACTS / "hub"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/hub/" in str(item.path):
            item.add_marker(pytest.mark.hub)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """``item.rep_call``: whether the test failed, for the browser fixtures' screenshots."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the JupyterHub tests run as root (the Hub spawns servers as other OS users)"
    if importlib.util.find_spec("jupyterhub") is None:
        return "jupyterhub is not installed: pip install -e '.[test]'"
    if not PROXY.exists():
        return f"configurable-http-proxy is missing: run `npm ci` in {PROXY.parents[2]}"
    if shutil.which("node") is None:
        return "node is not on PATH (configurable-http-proxy runs on it)"
    return None


@pytest.fixture(scope="session")
def hub_root() -> Iterator[Path]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="sfapi-hub-"))
    root.chmod(0o711)  # the users reach their homes in the facility's file system
    LOGS.mkdir(parents=True, exist_ok=True)
    # Logs are appended to (the HTTP and browser runs each start a Hub); old failures go.
    for old in LOGS.glob("FAILED-*"):
        old.unlink()
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _hub_facility_and_users(hub_root: Path) -> Iterator[tuple[FacilityServer, list[HubUser]]]:
    facility, users = start_facility(hub_root, LOGS)
    try:
        yield facility, users
    finally:
        facility.stop()


@pytest.fixture(scope="session")
def hub_facility(_hub_facility_and_users: tuple[FacilityServer, list[HubUser]]) -> FacilityServer:
    return _hub_facility_and_users[0]


@pytest.fixture(scope="session")
def hub_users(
    _hub_facility_and_users: tuple[FacilityServer, list[HubUser]],
) -> dict[str, HubUser]:
    return {user.name: user for user in _hub_facility_and_users[1]}


@pytest.fixture(scope="session")
def hub_python(hub_root: Path) -> Iterator[Path]:
    with make_hub_python() as python:
        yield python


@pytest.fixture(scope="session")
def hub(
    hub_root: Path,
    hub_facility: FacilityServer,
    hub_users: dict[str, HubUser],
    hub_python: Path,
) -> Iterator[Hub]:
    started = time.monotonic()
    server = Hub.start(
        hub_root / "hub-state",
        LOGS,
        python=hub_python,
        users=list(hub_users),
        # Where the toolkit finds the API (a Hub admin's setting); the key is each user's own.
        environment={
            "SFAPI_API_URL": hub_facility.api_url,
            "SFAPI_TOKEN_URL": hub_facility.token_url,
            # the users' environment first, as a Hub admin sets it (not the test run's PATH)
            "PATH": f"{hub_python.parent}:/usr/local/bin:/usr/bin:/bin",
        },
    )
    print(f"[hub] JupyterHub answered after {time.monotonic() - started:.1f} s")
    try:
        yield server
    finally:
        server.stop()


class HubSession:
    """One user logged in through the Hub's login form: their cookies, their server."""

    def __init__(self, hub: Hub, user: HubUser) -> None:
        self.hub, self.user = hub, user
        self.http = httpx.Client(base_url=hub.url, follow_redirects=True, timeout=60)
        #: Every body this session received, for the secret scans.
        self.bodies: list[str] = []
        #: The answer to ``/user/NAME/lab`` once the server has started.
        self.lab: httpx.Response | None = None

    @property
    def prefix(self) -> str:
        return f"/user/{self.user.name}/"

    def login(self, password: str | None = None) -> httpx.Response:
        form = self.http.get("/hub/login")
        form.raise_for_status()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        data = {"username": self.user.name, "password": password or self.user.password}
        if xsrf:
            data["_xsrf"] = xsrf.group(1)
        return self.http.post("/hub/login", data=data, follow_redirects=False)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        answer = self.http.get(path, **kwargs)  # type: ignore[arg-type]
        self.bodies.append(answer.text)
        return answer

    def ext(self, route: str) -> httpx.Response:
        """``GET /user/NAME/sfapi-jupyter/<route>`` (the server extension) as this user."""
        return self.get(f"{self.prefix}sfapi-jupyter/{route}")

    def close(self) -> None:
        self.http.close()


def start_server(hub: Hub, name: str, timeout: float = 90) -> None:
    """Start a user's server through the Hub's API and wait until the Hub says it is ready."""
    answer = hub.api("POST", f"/users/{name}/server")
    if answer.status_code not in (201, 202, 400):  # 400: it is running already
        raise AssertionError(f"starting {name}'s server: {answer.status_code} {answer.text}")
    deadline = time.monotonic() + timeout
    while not hub.server_ready(name):
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}'s server was not ready within {timeout} s")
        time.sleep(0.2)


@pytest.fixture
def hub_session(hub: Hub, hub_users: dict[str, HubUser]) -> Iterator[Callable[[str], HubSession]]:
    sessions: list[HubSession] = []

    def _login(name: str) -> HubSession:
        session = HubSession(hub, hub_users[name])
        sessions.append(session)
        answer = session.login()
        assert answer.status_code == 302, f"login of {name}: {answer.status_code}"
        start_server(hub, name)
        # As a browser: the lab page sends the user through the Hub's OAuth once, which
        # leaves the server's own cookie (API requests alone are refused, not redirected).
        session.lab = session.get(f"/user/{name}/lab")
        return session

    yield _login
    for session in sessions:
        with contextlib.suppress(Exception):
            session.close()


@pytest.fixture
def hub_submit(hub_facility: FacilityServer, hub_users: dict[str, HubUser]) -> Callable[..., str]:
    """``hub_submit(name, body)``: a perlmutter job of ``name``, submitted with their own key
    (the one in their home) from the test process; returns its job id."""

    def _submit(name: str, body: str) -> str:
        return submit_job(hub_facility, hub_users[name], body)

    return _submit


@pytest.fixture
def as_user(
    browser: Any, hub: Hub, hub_users: dict[str, HubUser], request: pytest.FixtureRequest
) -> Iterator[Callable[[str], tuple[Page, UserServer]]]:
    """``as_user(name)``: a new browser context, logged in as ``name`` through the Hub's
    login page, on their lab; and their server (for notebooks and the REST API)."""
    contexts: list[tuple[str, Any, Page]] = []

    def _open(name: str) -> tuple[Page, UserServer]:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(_STATE_RECORDER)
        context.set_default_timeout(30_000)
        page = context.new_page()
        contexts.append((name, context, page))
        login(page, hub, hub_users[name])
        return page, UserServer(hub, hub_users[name], hub.user_token(name))

    yield _open
    failed = getattr(getattr(request.node, "rep_call", None), "failed", False)
    for name, context, page in contexts:
        if failed:
            LOGS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(LOGS / f"FAILED-hub-{request.node.name}-{name}.png"))
        context.close()
