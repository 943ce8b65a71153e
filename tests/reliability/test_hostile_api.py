"""The client against a hostile or broken API (issue 14, "the client"): each answer a real
HTTP server on loopback gives, and the one clear error a user gets. Recorded for
``docs/bad-inputs.md``; every message goes to the secret scan, with the tokens the server
echoed counted as secrets.
"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client import RetryPolicy, SfApiError
from tests.client.test_hostile_api import MALFORMED, TOKEN_ANSWERS, fake_jwt
from tests.support.facility import SEEN_SECRETS
from tests.support.figures import record, record_bad_input, record_text
from tests.support.hostile import TOKEN, HostileApi
from tests.support.tokens import new_private_key_pem

SURFACE = "function (hostile API)"
QUICK = RetryPolicy(attempts=2, base=0.01, cap=0.05)


class Case(NamedTuple):
    given: str  # what the user did, as docs/bad-inputs.md shows it
    path: str  # what the API answers badly ...
    status: int
    body: Any  # ... with this body, or a function of the request it saw (an echo)
    call: Any
    key: str | None = None  # the client's key; None: it has an access token
    headers: dict[str, str] | None = None


def shown(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def attempt(api: HostileApi, key: str | None, call: Any) -> str:
    options: dict[str, Any] = {"retry": QUICK}
    if key is None:
        options["access_token"] = "opaque-token-for-the-api-0001"
    else:
        options.update(client_id="hostile0client", key=key)
    async with AsyncClient(api.api_url, api.token_url, **options) as client:
        try:
            await call(client)
        except SfApiError as exc:
            return shown(exc)
    pytest.fail("the call did not raise")


def test_the_client_against_a_hostile_api():
    key = new_private_key_pem()
    SEEN_SECRETS.add(key.strip())
    token = fake_jwt({"sub": "elvis", "scope": "red", "jti": "hostile"})
    SEEN_SECRETS.add(token)

    def user(client: AsyncClient) -> Any:
        return client.user()

    cases = [
        Case(
            "user() against an API that echoes the bearer token in its 401",
            "account/",
            401,
            lambda seen: {"detail": f"Invalid token {seen['headers'].get('Authorization')}"},
            user,
            key,
        ),
        Case(
            "user() against a token endpoint that echoes the client assertion",
            TOKEN,
            401,
            lambda seen: {"error": "invalid_client", "error_description": seen["body"]},
            user,
            key,
        ),
        Case(
            "status('perlmutter') answered 503 with Retry-After: nan",
            "status/perlmutter",
            503,
            {"detail": "busy"},
            lambda c: c.status("perlmutter"),
            headers={"Retry-After": "nan"},
        ),
    ]
    cases += [Case(given, path, 200, body, call) for given, path, body, call, _ in MALFORMED]
    cases += [
        Case(f"user() with a token endpoint answering {given}", TOKEN, 200, body, user, key)
        for given, body, _ in TOKEN_ANSWERS
    ]
    unclear = 0
    for case in cases:
        with HostileApi() as api:
            api.answer(TOKEN, 200, {"access_token": token, "expires_in": 600})
            api.answer("account/", 200, {"name": "elvis"})
            api.answer(case.path, case.status, case.body, case.headers or {})
            message = asyncio.run(attempt(api, case.key, case.call))
            echoed = [r["body"] for r in api.requests if r["path"] == TOKEN]
        SEEN_SECRETS.update(b.split("client_assertion=")[1].split("&")[0] for b in echoed)
        record_text("message", message)
        record_bad_input(SURFACE, case.given, message)
        assert token not in message and "Traceback" not in message, message
        if not message.split(": ", 1)[-1].strip():
            unclear += 1
    record("bad inputs", "hostile API answers tried", len(cases))
    record("bad inputs", "hostile API answers without a clear message", unclear, zero=True)
    assert unclear == 0
