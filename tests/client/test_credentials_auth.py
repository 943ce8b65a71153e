"""Where the client finds its key, how it refuses unsafe ones, and token renewal."""

from __future__ import annotations

import json
import time

import pytest

from sfapi_jupyter import AsyncClient, Client
from sfapi_jupyter.client import AuthenticationError, CredentialsError, discover_credentials
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config, make_async_client


@pytest.fixture
def fake_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in (
        "SFAPI_CLIENT_ID",
        "SFAPI_KEY",
        "SFAPI_SECRET",
        "SFAPI_API_URL",
        "SFAPI_TOKEN_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


def write_key(path, text, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_key_readable_by_others_is_refused_with_the_fix(fake_home, creds):
    key = write_key(fake_home / ".superfacility" / "key.pem", creds.key_file_text, 0o644)
    with pytest.raises(CredentialsError) as raised:
        discover_credentials()
    assert f"chmod 600 {key}" in str(raised.value)
    assert "PRIVATE KEY" not in str(raised.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_modes_are_accepted(fake_home, creds, mode):
    write_key(fake_home / ".superfacility" / "key.pem", creds.key_file_text, mode)
    found = discover_credentials()
    assert found.client_id == creds.client_id
    assert "PRIVATE KEY" not in repr(found)


def test_every_format_the_official_client_reads(fake_home, creds, facility):
    folder = fake_home / ".superfacility"
    formats = {
        "pem-with-id.pem": creds.key_file_text,
        "json-pem.json": json.dumps(
            {"client_id": creds.client_id, "secret": creds.private_key_pem}
        ),
        "json-jwk.json": json.dumps(
            {"client_id": creds.client_id, "secret": creds.private_key_jwk}
        ),
    }
    for name, text in formats.items():
        path = write_key(folder / name, text)
        with Client(facility.api_url, facility.token_url, key=str(path)) as client:
            assert client.user().name == "elvis", name
    # a nickname, as the official client's key= allows
    with Client(facility.api_url, facility.token_url, key="json-jwk") as client:
        assert client.user().name == "elvis"
    # several keys and none chosen: say which and how to choose
    with pytest.raises(CredentialsError, match="Several keys"):
        discover_credentials()


def test_environment_variables(fake_home, creds, facility, monkeypatch):
    monkeypatch.setenv("SFAPI_API_URL", facility.api_url)
    monkeypatch.setenv("SFAPI_TOKEN_URL", facility.token_url)
    monkeypatch.setenv("SFAPI_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("SFAPI_SECRET", creds.private_key_pem)
    with Client() as client:
        assert client.user().name == "elvis"
    monkeypatch.delenv("SFAPI_SECRET")
    key = write_key(fake_home / "keys" / "priv.pem", creds.private_key_pem)
    monkeypatch.setenv("SFAPI_KEY", str(key))
    with Client() as client:
        assert client.user().name == "elvis"


def test_no_credentials_is_anonymous(fake_home, facility):
    with Client(facility.api_url, facility.token_url) as client:
        assert not client.aio.authenticated
        assert client.status("perlmutter").name == "perlmutter"
        with pytest.raises(AuthenticationError, match="SFAPI_CLIENT_ID"):
            client.compute("perlmutter").jobs()


def test_access_token_from_elsewhere(facility, creds):
    with Client(
        facility.api_url, facility.token_url, client_id=creds.client_id, key=creds.private_key_pem
    ) as first:
        first.user()
        token = first.aio._auth._token
    with Client(facility.api_url, access_token=token) as client:
        assert client.user().name == "elvis"
        assert token not in repr(client)


def test_revoked_client_gets_a_clear_error(facility, creds):
    facility.facility.accounts.revoke_client(creds.client_id)
    key = creds.private_key_pem
    with (
        Client(facility.api_url, facility.token_url, client_id=creds.client_id, key=key) as client,
        pytest.raises(AuthenticationError) as raised,
    ):
        client.user()
    assert "revoked" in str(raised.value)
    assert "BEGIN" not in str(raised.value)


async def test_short_lived_tokens_are_renewed(tmp_path):
    with LocalFacility(fast_config(tmp_path, token_lifetime=62)) as facility:
        creds = facility.create_client("elvis")
        facility.transport = None
        async with make_async_client(facility, creds) as client:
            # 62 s tokens with 60 s leeway: stale after 2 s, renewed before the next call
            await client.user()
            first = client._auth._token
            time.sleep(2.2)
            await client.user()
            assert client._auth.tokens_fetched == 2 and client._auth._token != first


async def test_a_401_renews_once_and_retries(tmp_path):
    with LocalFacility(fast_config(tmp_path, token_lifetime=600)) as facility:
        creds = facility.create_client("elvis")
        facility.transport = None
        async with make_async_client(facility, creds) as client:
            await client.user()
            client._auth._token = "not-a-token"  # e.g. revoked early; the client still trusts it
            assert (await client.user()).name == "elvis"
            assert client._auth.tokens_fetched == 2


async def test_wrong_key_is_an_authentication_error(tmp_path):
    with LocalFacility(fast_config(tmp_path)) as facility:
        creds = facility.create_client("elvis")
        other = facility.create_client("elvis")
        async with AsyncClient(
            facility.api_url,
            facility.token_url,
            client_id=creds.client_id,
            key=other.private_key_pem,
        ) as client:
            with pytest.raises(AuthenticationError, match="signature") as raised:
                await client.user()
            assert "PRIVATE" not in str(raised.value)


async def test_a_key_that_is_not_rsa_is_refused_before_any_request(tmp_path):
    """The client loads its PEM key itself (skipping cryptography's 0.1 s check of the
    primes); an EC key, or text that is no key, must still be refused clearly."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    # A PEM frame (the generated key's own first and last lines) around bytes that are no key.
    frame = ec_pem.strip().splitlines()
    broken_pem = "\n".join([frame[0], "bm90IGEga2V5", frame[-1]]) + "\n"
    with LocalFacility(fast_config(tmp_path)) as facility:
        creds = facility.create_client("elvis")
        for key in (ec_pem, broken_pem):
            async with AsyncClient(
                facility.api_url, facility.token_url, client_id=creds.client_id, key=key
            ) as client:
                with pytest.raises(CredentialsError, match="is not an RSA private key"):
                    await client.user()
        async with AsyncClient(
            facility.api_url,
            facility.token_url,
            client_id=creds.client_id,
            key=creds.private_key_pem,
        ) as client:
            assert (await client.user()).name == "elvis"
