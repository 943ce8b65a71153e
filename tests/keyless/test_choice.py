"""Which way ``Client()`` reaches the machine (docs/keyless.md, "Choosing the transport").

The order is the client's (``client/_transport.py``); what answers keyless is registered by
``sfapi_jupyter.keyless``. Here the provider is a recorder of when it is asked (its Slurm
parts are tested for real, as ``nobody``, in the other modules of this package).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from sfapi_jupyter import Client
from sfapi_jupyter.client import _transport as transport_module
from sfapi_jupyter.keyless import KeylessError, provide


class Asked:
    """A provider that answers keyless with a local transport, recording each question."""

    def __init__(self) -> None:
        self.asked: list[bool] = []

    def __call__(self, api_base_url: str, required: bool) -> httpx.AsyncBaseTransport:
        self.asked.append(required)
        local = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
        local.keyless_description = "this node's Slurm as tester, no API key"  # type: ignore[attr-defined]
        return local


@pytest.fixture
def asked(tmp_path, monkeypatch) -> Iterator[Asked]:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("SFAPI_CLIENT_ID", "SFAPI_KEY", "SFAPI_SECRET", "SFAPI_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)
    provider = Asked()
    transport_module.register_local_transport(provider)
    try:
        yield provider
    finally:
        transport_module.register_local_transport(provide)


def test_no_key_asks_for_keyless_and_says_so_in_the_repr(asked: Asked) -> None:
    with Client() as client:
        assert asked.asked == [False]
        assert client.aio.keyless and client.aio.authenticated
        assert "keyless: this node's Slurm as tester" in repr(client)


def test_a_key_a_token_or_anonymous_keeps_the_sf_api(asked: Asked, tmp_path) -> None:
    with Client(anonymous=True) as client:
        assert not client.aio.keyless and not client.aio.authenticated
    with Client(access_token="t0ken") as client:
        assert not client.aio.keyless
    with Client(transport="api") as client:
        assert not client.aio.keyless
    assert asked.asked == []


def test_asked_for_slurm_it_is_required_even_with_a_key(asked: Asked, monkeypatch) -> None:
    monkeypatch.setenv("SFAPI_SECRET", "not even read")
    with Client(transport="slurm") as client:
        assert client.aio.keyless and client.aio.credentials is None
    monkeypatch.setenv("SFAPI_TRANSPORT", "slurm")
    with Client() as client:
        assert client.aio.keyless
    assert asked.asked == [True, True]


def test_the_panels_server_goes_keyless_by_the_same_rule(asked: Asked) -> None:
    from sfapi_jupyter.server._upstream import Upstream

    upstream = Upstream()
    state = upstream.key_state()
    assert state == (
        "keyless",
        "Keyless: your jobs go through this node's Slurm as tester, no API key",
    )
    assert asked.asked == [False]
    assert upstream.who().startswith("keyless")
    asyncio.run(upstream.aclose())


def test_the_panels_server_keeps_the_sf_api_when_asked_or_says_why_not(
    asked: Asked, monkeypatch
) -> None:
    from sfapi_jupyter.server._upstream import Upstream

    monkeypatch.setenv("SFAPI_TRANSPORT", "api")
    upstream = Upstream()
    assert upstream.key_state()[0] == "missing" and asked.asked == []
    asyncio.run(upstream.aclose())

    def refusing(api_base_url: str, required: bool) -> None:
        raise KeylessError("no keyless mode: Slurm has no account for user 'tester' (…)")

    monkeypatch.setenv("SFAPI_TRANSPORT", "slurm")
    transport_module.register_local_transport(refusing)  # the fixture puts `provide` back
    upstream = Upstream()
    state, message = upstream.key_state()
    assert state == "unusable" and message is not None
    assert message.startswith("no keyless mode: Slurm has no account for user 'tester'")
    asyncio.run(upstream.aclose())
