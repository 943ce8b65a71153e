"""Fixtures for the client core: a local facility reached over two transports.

``served`` is parametrised: ``http`` is the facility served by uvicorn on loopback (real
HTTP), ``asgi`` is the same FastAPI app called in process through ``httpx.ASGITransport``
(its job backend then runs on the test's own event loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from sfapi_jupyter import AsyncClient, Client
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.app import create_app
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.config import API_PREFIX, TOKEN_PATH
from sfapi_jupyter.facility.core import Facility
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config, make_async_client


class InProcessFacility:
    """The facility's app without a server: for ``httpx.ASGITransport``."""

    base_url = "http://facility.test"

    def __init__(self, config: FacilityConfig) -> None:
        self.config = config
        self.facility = Facility(config)
        self.app = create_app(self.facility)
        self.api_url = self.base_url + API_PREFIX
        self.token_url = self.base_url + TOKEN_PATH
        self.transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 40000))

    def create_client(self, user: str = "elvis", **options: Any) -> NewClient:
        return self.facility.accounts.create_client(user, **options)


@pytest.fixture
def facility(tmp_path) -> Iterator[LocalFacility]:
    """A facility over real HTTP (for the sync client and HTTP-only tests)."""
    with LocalFacility(fast_config(tmp_path)) as running:
        running.transport = None  # type: ignore[attr-defined]
        yield running


@pytest.fixture(params=["http", "asgi"])
async def served(request, tmp_path) -> AsyncIterator[Any]:
    """The facility over real HTTP, or in process; ``.transport`` is what a client needs."""
    if request.param == "http":
        with LocalFacility(fast_config(tmp_path)) as running:
            running.transport = None  # type: ignore[attr-defined]
            yield running
        return
    in_process = InProcessFacility(fast_config(tmp_path))
    await in_process.facility.startup()
    try:
        yield in_process
    finally:
        await in_process.facility.shutdown()
        in_process.facility.close()


@pytest.fixture
async def aclient(served) -> AsyncIterator[AsyncClient]:
    async with make_async_client(served, served.create_client("elvis")) as client:
        yield client


@pytest.fixture
def creds(facility) -> NewClient:
    return facility.create_client("elvis")


@pytest.fixture
def client(facility, creds) -> Iterator[Client]:
    with Client(
        facility.api_url, facility.token_url, client_id=creds.client_id, key=creds.private_key_pem
    ) as sync_client:
        yield sync_client


def home(served: Any, user: str = "elvis") -> str:
    return str(served.config.home_of(user))
