"""Fixtures: a local facility served over real HTTP on loopback, clients and API sessions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.accounts import NewClient
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.tokens import api_session


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
