"""Helpers for facility tests: client assertions, tokens and polling."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from sfapi_jupyter.facility.accounts import NewClient
from sfapi_jupyter.facility.auth import ASSERTION_TYPE

T = TypeVar("T")


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


def wait_for(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    """Poll until ``predicate()`` is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s; last value: {last!r}")


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


def give(facility: Any, user: str, *paths: Any) -> None:
    """Hand files the test made (as root, in CI) to ``user``, as if the user had made them.

    A facility run as root isolates users by real OS accounts, so a directory the test
    process creates in a home belongs to root, and the user could not write into it.
    """
    import os

    if os.geteuid() != 0:
        return
    account = facility.facility.accounts.get_user(user)
    for path in paths:
        for root, dirs, files in os.walk(path):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), account.uid, account.gid)
        os.lchown(path, account.uid, account.gid)
