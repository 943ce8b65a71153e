"""Fixtures: a logged facility, elvis's key, and a Jupyter server with the extension.

Imported by tests/server/conftest.py, and by tests/reliability modules that need them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config, new_client, remember_facility
from ..support.request_log import RequestLog, log_requests
from ._servers import Jupyter, start_jupyter


@pytest.fixture
def api_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def facility(tmp_path: Path, api_log: RequestLog) -> Iterator[LocalFacility]:
    config = fast_config(tmp_path / "state", nodes={"perlmutter": 8, "dtns": 2, "dtn01": 1})
    with log_requests(LocalFacility(config), api_log) as running:
        remember_facility(running)
        yield running


@pytest.fixture
def elvis(facility: LocalFacility) -> NewClient:
    return new_client(facility, "elvis")


@pytest.fixture
def jupyter(tmp_path: Path, facility: LocalFacility, elvis: NewClient) -> Iterator[Jupyter]:
    """A server holding elvis's key, asking the API at most every second per view."""
    settings = {"min_interval": 1.0, "output_interval": 1.0}
    server = start_jupyter(tmp_path / "jupyter", facility, elvis, settings)
    yield server
    server.stop()


@pytest.fixture
def keyless_jupyter(tmp_path: Path, facility: LocalFacility) -> Iterator[Jupyter]:
    server = start_jupyter(tmp_path / "keyless", facility, None, {"min_interval": 1.0})
    yield server
    server.stop()
