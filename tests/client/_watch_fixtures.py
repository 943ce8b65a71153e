"""Fixtures for the watcher and tail tests: a facility that logs every request it receives.

Import them explicitly (``from ._watch_fixtures import ...``); the request log is kept at
the facility (tests/support/request_log.py), so counts are what the server saw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client._retry import RetryPolicy
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config, make_async_client
from ..support.request_log import RequestLog, log_requests


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def logged_facility(tmp_path, request_log) -> Iterator[LocalFacility]:
    """A facility over real HTTP with 400 perlmutter nodes, logging what it receives."""
    config = fast_config(
        tmp_path / "state",
        nodes={"perlmutter": 400, "dtns": 2, "dtn01": 1},
        min_pending_seconds=1.0,
    )
    with log_requests(LocalFacility(config), request_log) as facility:
        yield facility


def make_client(facility: LocalFacility, **options: Any) -> AsyncClient:
    return make_async_client(facility, facility.create_client("elvis"), **options)


@pytest.fixture
async def wclient(logged_facility) -> AsyncIterator[AsyncClient]:
    """A client with a quick watcher on perlmutter, and retries kept short."""
    retry = RetryPolicy(attempts=2, base=0.05, cap=0.1)
    async with make_client(logged_facility, retry=retry) as client:
        watcher = client.compute("perlmutter").watcher
        watcher.min_interval, watcher.max_interval, watcher.fresh_seconds = 0.2, 1.0, 2.0
        yield client
