"""Fixtures: a local facility served over real HTTP on loopback, clients and API sessions."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.tokens import api_session


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A temporary directory the facility's users can reach when the tests run as root.

    pytest's own ``tmp_path`` lies below a 0700 directory that every new pytest session
    closes again, which would cut the users' commands and jobs off from their homes.
    """
    path = Path(tempfile.mkdtemp(prefix="sfapi-facility-test-"))
    if os.geteuid() == 0:
        path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def facility_config(tmp_path) -> FacilityConfig:
    return fast_config(tmp_path / "state")


@pytest.fixture
def facility(facility_config) -> Iterator[LocalFacility]:
    with LocalFacility(facility_config) as running:
        yield running


@pytest.fixture
def red_client(facility) -> NewClient:
    return facility.create_client("elvis", level="red")


@pytest.fixture
def green_client(facility) -> NewClient:
    return facility.create_client("elvis", level="green")


@pytest.fixture
def api(facility, red_client) -> Iterator[httpx.Client]:
    """An httpx client for elvis's red client (token fetched over the token endpoint)."""
    with api_session(facility, red_client) as session:
        yield session


@pytest.fixture
def anonymous(facility) -> Iterator[httpx.Client]:
    with api_session(facility, None) as session:
        yield session
