"""private_key_jwt client assertions and tokens, as authlib (and so sfapi_client) make them;
and a facility task's result."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from sfapi_jupyter.facility.auth import ASSERTION_TYPE
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility

from .waiting import wait_for


def make_assertion(
    client: NewClient, token_url: str, *, lifetime: int = 300, **overrides: Any
) -> str:
    """A private_key_jwt client assertion as authlib (and so sfapi_client) makes it."""
    now = int(time.time())
    claims = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": token_url,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(27),
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    key = RSAKey.import_key(client.private_key_pem)
    return jwt.encode({"typ": "JWT", "alg": "RS256"}, claims, key)


def token_form(assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def fetch_token(token_url: str, client: NewClient) -> str:
    response = httpx.post(token_url, data=token_form(make_assertion(client, token_url)))
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def task_result(api: httpx.Client, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait for a task to leave ``new`` and return its parsed result (with ``_status``)."""

    def done() -> dict[str, Any] | None:
        body = api.get(f"tasks/{task_id}").json()
        return body if body["status"] != "new" else None

    body = wait_for(done, timeout)
    result = json.loads(body["result"]) if body["result"] else {}
    if isinstance(result, dict):
        result["_status"] = body["status"]
    return result


def api_session(facility: LocalFacility, client: NewClient | None) -> httpx.Client:
    """An httpx client on the facility's API, with a token of ``client`` (None: anonymous)."""
    headers = {}
    if client is not None:
        headers["Authorization"] = f"Bearer {fetch_token(facility.token_url, client)}"
    return httpx.Client(base_url=facility.api_url + "/", headers=headers, timeout=30)


def new_private_key_pem() -> str:
    """A fresh RSA private key in PEM, made at test time (no key is ever committed)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
