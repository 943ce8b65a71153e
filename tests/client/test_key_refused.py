"""Public calls (status, outages, notes) with a key the token endpoint refuses: they go on
anonymously and say so once; calls that need the key still fail clearly."""

from __future__ import annotations

import warnings

import pytest

from sfapi_jupyter import AsyncClient, Client
from sfapi_jupyter.client import AuthenticationError
from sfapi_jupyter.client._auth import KeyRefusedWarning

from ..support.facility import make_async_client


def refused(records: list[warnings.WarningMessage]) -> list[str]:
    return [str(r.message) for r in records if issubclass(r.category, KeyRefusedWarning)]


async def test_revoked_key_still_reads_status_and_warns_once(served):
    creds = served.create_client("elvis")
    served.facility.accounts.revoke_client(creds.client_id)
    async with make_async_client(served, creds) as client:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            status = await client.status("perlmutter")
            planned = await client.planned_outages()
            notes = await client.notes()
            outages = await client.outages("perlmutter")
        assert status.name == "perlmutter"
        assert isinstance(planned, list) and isinstance(notes, list) and outages
        messages = refused(records)
        assert len(messages) == 1, messages
        assert creds.client_id in messages[0]
        assert "refused" in messages[0] and "Public calls" in messages[0]
        assert client.key_refused == messages[0]
        # A call that needs the key says why it cannot be made.
        with pytest.raises(AuthenticationError, match="refused"):
            await client.projects()


async def test_refused_key_is_not_asked_for_again_by_public_calls(served):
    creds = served.create_client("elvis")
    served.facility.accounts.revoke_client(creds.client_id)
    async with make_async_client(served, creds) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await client.status()
        auth = client._auth
        fetched = auth.tokens_fetched  # type: ignore[union-attr]
        await client.status()
        await client.outages()
        assert auth.tokens_fetched == fetched == 0  # type: ignore[union-attr]


def test_sync_client_with_a_found_but_refused_key_warns_in_the_callers_thread(
    facility, tmp_path, monkeypatch
):
    creds = facility.create_client("elvis")
    facility.facility.accounts.revoke_client(creds.client_id)
    key = tmp_path / "key.pem"
    key.write_text(creds.key_file_text)
    key.chmod(0o600)
    # The key is *found* (environment), not passed.
    monkeypatch.setenv("SFAPI_KEY", str(key))
    monkeypatch.delenv("SFAPI_CLIENT_ID", raising=False)
    monkeypatch.delenv("SFAPI_SECRET", raising=False)
    with Client(facility.api_url, facility.token_url) as client:
        assert client.aio.credentials is not None
        with pytest.warns(KeyRefusedWarning, match="refused client") as records:
            assert client.status("perlmutter").name == "perlmutter"
            client.planned_outages("perlmutter")
        assert len(refused(list(records))) == 1
        assert records[0].filename == __file__


async def test_anonymous_client_looks_for_no_key(served, tmp_path, monkeypatch):
    monkeypatch.setenv("SFAPI_KEY", str(tmp_path / "missing.pem"))
    async with AsyncClient(
        served.api_url, served.token_url, anonymous=True, transport=served.transport
    ) as client:
        assert not client.authenticated
        assert (await client.status("perlmutter")).name == "perlmutter"
        with pytest.raises(AuthenticationError, match="needs an API client"):
            await client.projects()
