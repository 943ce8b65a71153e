"""Fixtures for the magics: IPython's test shell, a local facility, a session client.

The facility is shared by the tests of a module (each test uses its own job names); the
session client and the local job record are fresh for each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sfapi_jupyter import Client
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility
from sfapi_jupyter.notebook.magics import jobs as job_magics
from sfapi_jupyter.notebook.records import forget_records
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.widgets import JobCard
from sfapi_jupyter.widgets.support.mainthread import dispatcher

from ..support.facility import fast_config, make_client
from ..support.scripts import batch_script


@pytest.fixture(scope="module")
def facility(tmp_path_factory) -> Iterator[LocalFacility]:
    config = fast_config(tmp_path_factory.mktemp("facility"))
    with LocalFacility(config) as running:
        yield running


@pytest.fixture(scope="module")
def creds(facility) -> NewClient:
    return facility.create_client("elvis")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    monkeypatch.setenv("SFAPI_JUPYTER_DATA", str(path))
    monkeypatch.setenv("SFAPI_MACHINE", "perlmutter")
    forget_records()
    yield path
    forget_records()


@pytest.fixture
def client(facility, creds, data_dir) -> Iterator[Client]:
    """The session's client: what the magics use."""
    sync = make_client(facility, creds)
    set_client(sync)
    yield sync
    set_client(None)
    sync.close()
    dispatcher().drain()


@pytest.fixture(scope="session")
def ip() -> Any:
    from IPython.testing.globalipapp import get_ipython, start_ipython

    # The shell is a process singleton: a module that imports this fixture (the reliability
    # suite's) gets the one already started, not None.
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "sfapi_jupyter")
    return shell


def wait_for(done: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll ``done`` on the main thread, running widget updates meanwhile."""
    assert dispatcher().wait_until(done, timeout), f"timed out waiting for {what or done}"


def script(body: str, *options: str) -> str:
    return batch_script(body, *options, time="00:05:00")


def finish(card: JobCard, state: str = "COMPLETED") -> None:
    wait_for(lambda: card.state == state, what=f"job {card.jobid} to be {state}")


def shown_cards(monkeypatch) -> list:
    """Cards that the magics display themselves (``--wait``)."""
    shown: list = []
    original = job_magics.show

    def record(widget):
        shown.append(widget)
        return original(widget)

    monkeypatch.setattr(job_magics, "show", record)
    return shown
