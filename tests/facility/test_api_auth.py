"""The token endpoint and bearer checks over plain HTTP, as any SF API client meets them.

Every refusal is checked for its status, its OAuth error / ``detail`` text, and that it never
echoes a secret back: not the assertion, not an access token, not a piece of a private key.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.models import AccountError
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.figures import record_bad_input
from ..support.tokens import fetch_token, make_assertion, token_form
from ..support.waiting import wait_for

INVALID_TOKEN = 'Bearer error="invalid_token"'


def secrets_of(*clients: NewClient) -> list[str]:
    """Fragments of the clients' private keys that must never show up in an answer."""
    found: list[str] = []
    for client in clients:
        found += [line for line in client.private_key_pem.splitlines() if len(line) > 40]
        found += [str(client.private_key_jwk[k]) for k in ("d", "p", "q", "dp", "dq", "qi")]
    return found


def assert_no_secrets(response: httpx.Response, *secrets: str) -> None:
    for secret in secrets:
        assert secret and secret not in response.text
        # The signature alone identifies a JWT as well as the whole of it does.
        if secret.count(".") == 2:
            assert secret.rsplit(".", 1)[1] not in response.text


def jwt_header(token: str) -> dict[str, str]:
    segment = token.split(".")[0]
    header: dict[str, str] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return header


def exchange(facility: LocalFacility, assertion: str, **fields: str) -> httpx.Response:
    form = token_form(assertion)
    form.update(fields)
    return httpx.post(facility.token_url, data=form)


def refused(response: httpx.Response, status: int, error: str, *fragments: str) -> str:
    """Check an OAuth error answer; return its description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert "access_token" not in body
    for fragment in fragments:
        assert fragment in body["error_description"]
    return str(body["error_description"])


@pytest.fixture
def short_lived(tmp_path: Path) -> Iterator[LocalFacility]:
    """A facility whose access tokens live one second."""
    with LocalFacility(fast_config(tmp_path / "short", token_lifetime=1)) as running:
        yield running


# -- the token endpoint ---------------------------------------------------------------------------
def test_good_exchange_returns_a_short_lived_bearer_jwt(facility, red_client) -> None:
    response = exchange(facility, make_assertion(red_client, facility.token_url))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert "refresh_token" not in body
    header = jwt_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256" and header["kid"]
    me = httpx.get(
        f"{facility.api_url}/account/",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.status_code == 200 and me.json()["name"] == "elvis"


def test_assertion_without_iat_is_accepted_but_not_without_jti(facility, red_client) -> None:
    # NERSC's minimal shell example sends only iss, sub, aud and exp. Without a jti an
    # assertion could be replayed until it expires, so the facility asks for one (issue 10).
    assertion = make_assertion(red_client, facility.token_url, iat=None)
    assert exchange(facility, assertion).status_code == 200
    no_jti = make_assertion(red_client, facility.token_url, iat=None, jti=None)
    refused(exchange(facility, no_jti), 401, "invalid_client", "needs a jti claim")


def test_malformed_requests_are_refused(facility, red_client) -> None:
    assertion = make_assertion(red_client, facility.token_url)
    secrets = [assertion, *secrets_of(red_client)]

    wrong_grant = exchange(facility, assertion, grant_type="password")
    refused(wrong_grant, 400, "unsupported_grant_type", "client_credentials")
    assert_no_secrets(wrong_grant, *secrets)

    wrong_type = exchange(facility, assertion, client_assertion_type="urn:example:password")
    refused(wrong_type, 401, "invalid_client", "client_assertion_type must be")
    assert_no_secrets(wrong_type, *secrets)

    for garbage in ("", "not-a-jwt", "a.b.c", assertion[:40]):
        answer = exchange(facility, garbage)
        refused(answer, 401, "invalid_client", "not a JWT")
        assert_no_secrets(answer, *secrets)

    # A JWT whose claims are not a JSON object is no client assertion either.
    header = base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b"[1, 2]").rstrip(b"=").decode()
    refused(exchange(facility, f"{header}.{payload}.c2ln"), 401, "invalid_client", "not a JWT")

    # The token is still good: none of these spent the assertion's jti.
    assert exchange(facility, assertion).status_code == 200


def test_forged_signature_is_refused(facility, red_client) -> None:
    mallory = facility.create_client("mallory")
    forged = make_assertion(
        mallory, facility.token_url, iss=red_client.client_id, sub=red_client.client_id
    )
    answer = exchange(facility, forged)
    refused(answer, 401, "invalid_client", "signature does not match")
    assert_no_secrets(answer, forged, *secrets_of(red_client, mallory))


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"sub": "someoneelse12"}, "sub must equal iss"),
        ({"aud": "https://oidc.nersc.gov/c2id/token"}, "aud must be the token URL"),
        ({"aud": 12345}, "aud must be the token URL"),
        ({"lifetime": -30}, "expired"),
        ({"exp": None}, "needs a numeric exp"),
        ({"exp": "tomorrow"}, "needs a numeric exp"),
        # NaN passed every time check and was then refused as "already used" (a replay).
        ({"exp": float("nan")}, "needs a numeric exp claim (seconds since 1970, a finite"),
        ({"exp": float("inf")}, "needs a numeric exp claim (seconds since 1970, a finite"),
        ({"iat": float("nan")}, "needs a numeric iat claim"),
    ],
)
def test_bad_claims_are_refused(facility, red_client, claims, message) -> None:
    assertion = make_assertion(red_client, facility.token_url, **claims)
    answer = exchange(facility, assertion)
    text = refused(answer, 401, "invalid_client", message)
    assert "already used" not in text
    assert_no_secrets(answer, assertion, *secrets_of(red_client))
    record_bad_input("facility", f"token request: client_assertion with {claims}", text)


def test_wrong_aud_names_the_right_token_url(facility, red_client) -> None:
    assertion = make_assertion(red_client, facility.token_url, aud=facility.api_url)
    refused(exchange(facility, assertion), 401, "invalid_client", facility.token_url)


def test_replayed_jti_is_refused(facility, red_client) -> None:
    assertion = make_assertion(red_client, facility.token_url)
    assert exchange(facility, assertion).status_code == 200
    replay = exchange(facility, assertion)
    refused(replay, 401, "invalid_client", "already used")
    assert_no_secrets(replay, assertion, *secrets_of(red_client))


def test_unknown_revoked_and_expired_clients_are_refused(facility, red_client) -> None:
    unknown = make_assertion(
        red_client, facility.token_url, iss="zzzzzzzzzzzzz", sub="zzzzzzzzzzzzz"
    )
    refused(exchange(facility, unknown), 401, "invalid_client", "Unknown client", "zzzzzzzzzzzzz")

    facility.facility.accounts.revoke_client(red_client.client_id)
    assertion = make_assertion(red_client, facility.token_url)
    answer = exchange(facility, assertion)
    refused(answer, 401, "invalid_client", red_client.client_id, "revoked", "create a new client")
    assert_no_secrets(answer, assertion, *secrets_of(red_client))

    expired = facility.create_client("elvis", lifetime=dt.timedelta(seconds=-1))
    assertion = make_assertion(expired, facility.token_url)
    answer = exchange(facility, assertion)
    refused(answer, 401, "invalid_client", expired.client_id, "expired", "create a new client")
    assert_no_secrets(answer, assertion, *secrets_of(expired))


def test_source_address_outside_the_clients_ranges_is_refused(facility) -> None:
    remote = facility.create_client("elvis", ip_ranges=["10.9.8.0/24"])
    assertion = make_assertion(remote, facility.token_url)
    answer = exchange(facility, assertion)
    refused(answer, 403, "invalid_client", "may not be used from 127.0.0.1", "10.9.8.0/24")
    assert_no_secrets(answer, assertion, *secrets_of(remote))


def test_red_client_with_three_ranges_is_refused_at_creation(facility) -> None:
    ranges = ["10.0.0.0/24", "10.0.1.0/24", "127.0.0.0/8"]
    with pytest.raises(AccountError, match="at most 2 source IP ranges"):
        facility.create_client("elvis", ip_ranges=ranges)
    green = facility.create_client("elvis", level="green", ip_ranges=ranges)
    assert exchange(facility, make_assertion(green, facility.token_url)).status_code == 200
    with pytest.raises(AccountError, match="not an IP range"):
        facility.create_client("elvis", ip_ranges=["the lab"])


# -- bearer tokens on API calls -------------------------------------------------------------------
def test_missing_malformed_and_garbage_tokens(facility, red_client) -> None:
    token = fetch_token(facility.token_url, red_client)
    cases = {
        None: "Not authenticated",
        "Bearer": "must be 'Bearer <access token>'",
        f"Basic {token}": "must be 'Bearer <access token>'",
        "Bearer not.a.token": "Invalid access token",
        # A client assertion is a JWT too, but not one the facility signed.
        f"Bearer {make_assertion(red_client, facility.token_url)}": "Invalid access token",
        f"Bearer {token[:-4]}AAAA": "Invalid access token",
    }
    for header, message in cases.items():
        headers = {} if header is None else {"Authorization": header}
        answer = httpx.get(f"{facility.api_url}/account/", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == INVALID_TOKEN
        assert message in answer.json()["detail"]
        assert_no_secrets(answer, token, *secrets_of(red_client))


def test_unsigned_token_is_refused(facility, red_client) -> None:
    claims = {"sub": "elvis", "client_id": red_client.client_id, "exp": 4102444800}
    segments = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "none", "typ": "at+jwt"}, claims)
    ]
    answer = httpx.get(
        f"{facility.api_url}/account/",
        headers={"Authorization": f"Bearer {segments[0]}.{segments[1]}."},
    )
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == INVALID_TOKEN


def test_expired_access_token(short_lived) -> None:
    client = short_lived.create_client("elvis")
    token = fetch_token(short_lived.token_url, client)
    headers = {"Authorization": f"Bearer {token}"}

    def account() -> httpx.Response:
        return httpx.get(f"{short_lived.api_url}/account/", headers=headers)

    answer = wait_for(lambda: (r := account()).status_code == 401 and r, timeout=5, interval=0.1)
    assert answer.headers["www-authenticate"] == INVALID_TOKEN
    assert "expired" in answer.json()["detail"]
    assert_no_secrets(answer, token, *secrets_of(client))
    # A new exchange gives a working token again.
    fresh = fetch_token(short_lived.token_url, client)
    ok = httpx.get(f"{short_lived.api_url}/account/", headers={"Authorization": f"Bearer {fresh}"})
    assert ok.status_code == 200


def test_revoking_a_client_stops_its_tokens_at_once(facility, red_client, api) -> None:
    other = facility.create_client("elvis")
    other_api = httpx.Client(
        base_url=facility.api_url + "/",
        headers={"Authorization": f"Bearer {fetch_token(facility.token_url, other)}"},
    )
    assert api.get("account/").status_code == 200
    facility.facility.accounts.revoke_client(red_client.client_id)
    answer = api.get("account/")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == INVALID_TOKEN
    assert "revoked" in answer.json()["detail"]
    assert api.post("utilities/command/perlmutter", data={"executable": "true"}).status_code == 401
    # The user's other client is untouched.
    with other_api:
        assert other_api.get("account/").status_code == 200


def test_public_routes_need_no_token(anonymous) -> None:
    assert anonymous.get("status/perlmutter").status_code == 200
    assert anonymous.get("meta/config").status_code == 200
    answer = anonymous.get("tasks")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == INVALID_TOKEN


# -- security levels ------------------------------------------------------------------------------
def test_green_client_reads_but_may_not_write(facility, green_client, home_file) -> None:
    token = fetch_token(facility.token_url, green_client)
    with httpx.Client(
        base_url=facility.api_url + "/", headers={"Authorization": f"Bearer {token}"}
    ) as green:
        assert green.get("account/").json()["name"] == "elvis"
        assert green.get("account/projects").status_code == 200
        assert green.get("compute/jobs/perlmutter").json()["status"] == "OK"
        listing = green.get(f"utilities/ls/perlmutter/{home_file}").json()
        assert listing["status"] == "OK"
        assert green.get(f"utilities/download/perlmutter/{home_file}").json()["file"] == "hi\n"

        repo = green.get("account/projects").json()[0]["repo_name"]
        writes = [
            green.post("compute/jobs/perlmutter", data={"job": "#!/bin/bash\n", "isPath": "false"}),
            green.post("utilities/command/perlmutter", data={"executable": "touch pwned"}),
            green.put(
                f"utilities/upload/perlmutter/{home_file}", files={"file": ("x", b"overwritten")}
            ),
            green.post("account/groups", data={"name": "grn", "repo_name": repo}),
            green.put("account/groups/elvis", data={"usernames": "elvis", "action": "batch_add"}),
            green.delete("compute/jobs/perlmutter/1"),
            green.delete("tasks/1"),
            green.post(
                "storage/globus/transfer",
                data={
                    "source_uuid": "dtn",
                    "target_uuid": "dtn",
                    "source_dir": "a",
                    "target_dir": "b",
                },
            ),
        ]
        for answer in writes:
            assert answer.status_code == 403, answer.request.url
            detail = answer.json()["detail"]
            assert "red client" in detail and "(green)" in detail
            assert_no_secrets(answer, token, *secrets_of(green_client))
        assert "www-authenticate" not in writes[0].headers  # the token is fine, the level is not
    assert Path(home_file).read_text() == "hi\n"
    assert not (Path(home_file).parent / "pwned").exists()
    assert facility.facility.store.get_group("grn") is None


@pytest.fixture
def home_file(facility) -> str:
    path = facility.config.home_of("elvis") / "hello.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("hi\n")
    return str(path)
