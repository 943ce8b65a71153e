"""The client against a hostile or broken API (a real HTTP server on loopback, see
``tests/support/hostile.py``): what a user sees must be one clear error of the client's own
tree, never a secret, never a raw ``AttributeError`` or pydantic error, and retries must
back off whatever the server says.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client import ApiError, RetryPolicy, SfApiError
from sfapi_jupyter.client._errors import UnexpectedAnswerError

from ..support.figures import record_bad_input
from ..support.hostile import TOKEN, HostileApi
from ..support.tokens import new_private_key_pem


@pytest.fixture
def api() -> Iterator[HostileApi]:
    with HostileApi() as server:
        yield server


@pytest.fixture(scope="module")
def key_pem() -> str:
    return new_private_key_pem()


def keyed_client(api: HostileApi, key_pem: str, **options: Any) -> AsyncClient:
    options.setdefault("retry", RetryPolicy(attempts=1))
    return AsyncClient(
        api.api_url, api.token_url, client_id="hostile0client", key=key_pem, **options
    )


def everything_shown(exc: BaseException) -> str:
    """All a user (or a log) can get out of an exception: message, args, repr, body."""
    return " ".join(
        [str(exc), repr(exc), repr(exc.args), json.dumps(getattr(exc, "body", None), default=str)]
    )


def fake_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLWJ5dGVz"


# -- secrets echoed back ---------------------------------------------------------------------------
async def test_a_server_echoing_the_bearer_token_does_not_put_it_in_the_exception(api, key_pem):
    token = fake_jwt({"sub": "elvis", "scope": "red"})
    api.answer(TOKEN, 200, {"access_token": token, "expires_in": 600})
    api.answer(
        "account/",
        401,
        lambda seen: {
            "detail": f"Invalid token {seen['headers'].get('Authorization')} for {token}"
        },
    )
    async with keyed_client(api, key_pem) as client:
        with pytest.raises(SfApiError) as caught:
            await client.user()
    shown = everything_shown(caught.value)
    assert token not in shown and token.split(".")[1] not in shown
    assert "Invalid token Bearer <redacted> for <redacted>" in str(caught.value)
    record_bad_input("function", "user() against an API that echoes the token", str(caught.value))


async def test_an_opaque_token_and_the_client_assertion_are_hidden_too(api, key_pem):
    # A token that is not a JWT is known by value; the assertion (a JWT) is what the token
    # endpoint would echo when it refuses the key.
    def refusal(seen: dict[str, Any]) -> dict[str, str]:
        return {"error": "invalid_client", "error_description": f"bad assertion in {seen['body']}"}

    api.answer(TOKEN, 401, refusal)
    async with keyed_client(api, key_pem) as client:
        with pytest.raises(SfApiError) as refused:
            await client.user()
    assertion = api.requests[-1]["body"].split("client_assertion=")[1].split("&")[0]
    assert len(assertion) > 100
    assert assertion not in everything_shown(refused.value)
    assert "client_assertion=<redacted>" in str(refused.value)

    opaque = "opaque-9f8e7d6c5b4a39281706f5e4"
    api.answer(TOKEN, 200, {"access_token": opaque, "expires_in": 600})
    api.answer("account/projects", 500, {"detail": f"backend said: token {opaque} unknown"})
    async with keyed_client(api, key_pem) as client:
        with pytest.raises(SfApiError) as failed:
            await client.projects()
    assert opaque not in everything_shown(failed.value)
    assert "token <redacted> unknown" in str(failed.value)


# -- answers of the wrong shape ----------------------------------------------------------------
Call = Callable[[AsyncClient], Awaitable[Any]]
MALFORMED: list[tuple[str, str, Any, Call, str]] = [
    (
        "status('perlmutter') answered with a list for its name",
        "status/perlmutter",
        {"name": [1]},
        lambda c: c.status("perlmutter"),
        "shape of a Status",
    ),
    (
        "status() answered with an object",
        "status",
        {"name": "perlmutter"},
        lambda c: c.status(),
        "GET status: the API's answer is not a list",
    ),
    (
        "user() answered with a string",
        "account/",
        "elvis",
        lambda c: c.user(),
        "GET account/: the API's answer is not an object",
    ),
    (
        "user() answered with a number for a name",
        "account/",
        {"name": 7},
        lambda c: c.user(),
        "name: Input should be a valid string",
    ),
    (
        "task() answered with an unknown status",
        "tasks/42",
        {"id": "42", "status": "exploded"},
        lambda c: c.task("42"),
        "status is 'exploded'",
    ),
    (
        "jobs() answered with a string of rows",
        "compute/jobs/perlmutter",
        {"output": "oops"},
        lambda c: c.compute("perlmutter").jobs(all_users=True),
        "not a list of objects",
    ),
    (
        "jobs() answered with a row whose time is a list",
        "compute/jobs/perlmutter",
        {"output": [{"jobid": "1", "state": "RUNNING", "time": [1]}]},
        lambda c: c.compute("perlmutter").jobs(all_users=True),
        "squeue/sacct would not write",
    ),
    (
        "ls() answered with a list",
        "utilities/ls/perlmutter/x",
        [],
        lambda c: c.compute("perlmutter").files.ls("x"),
        "not an object",
    ),
    (
        "outages() answered with rows not grouped",
        "status/outages",
        [{"name": "x"}],
        lambda c: c.outages(),
        "not a list per resource",
    ),
    (
        "config() answered with rows without a key",
        "meta/config",
        [1],
        lambda c: c.config(),
        "rows have no key",
    ),
    (
        "status('perlmutter') answered with HTML",
        "status/perlmutter",
        b"<html>proxy</html>",
        lambda c: c.status("perlmutter"),
        "is not JSON",
    ),
]


@pytest.mark.parametrize(
    ("what", "path", "body", "call", "message"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
async def test_malformed_api_answers_are_one_clear_api_error(api, what, path, body, call, message):
    api.answer(path, 200, body)
    async with AsyncClient(
        api.api_url, access_token="opaque-token-for-the-api-0001", retry=RetryPolicy(attempts=1)
    ) as client:
        with pytest.raises(UnexpectedAnswerError) as caught:
            await call(client)
    assert isinstance(caught.value, ApiError)
    assert message in str(caught.value)
    record_bad_input("function", what, f"{type(caught.value).__name__}: {caught.value}")


TOKEN_ANSWERS = [
    ("a list", [], "not with a JSON object"),
    ("no access_token", {"token": "x"}, "without an access_token"),
    (
        "expires_in 'soon'",
        {"access_token": "abcdefgh12345678", "expires_in": "soon"},
        "expires_in is not a positive number",
    ),
    (
        "expires_in NaN",
        {"access_token": "abcdefgh12345678", "expires_in": float("nan")},
        "expires_in is not a positive number",
    ),
    ("HTML", b"<html>login</html>", "not with a JSON object"),
]


@pytest.mark.parametrize(
    ("what", "body", "message"), TOKEN_ANSWERS, ids=[t[0] for t in TOKEN_ANSWERS]
)
async def test_malformed_token_answers_are_one_clear_api_error(api, key_pem, what, body, message):
    api.answer(TOKEN, 200, body)
    api.answer("account/", 200, {"name": "elvis"})
    async with keyed_client(api, key_pem) as client:
        with pytest.raises(UnexpectedAnswerError) as caught:
            await client.user()
    assert message in str(caught.value)
    record_bad_input("function", f"a token endpoint answering {what}", str(caught.value))


# -- Retry-After ------------------------------------------------------------------------------
class RecordingPolicy(RetryPolicy):
    """The client's policy, remembering each delay it chose (the jitter taken at its top)."""

    def __init__(self) -> None:
        class Top(random.Random):
            def uniform(self, a: float, b: float) -> float:
                return b

        super().__init__(attempts=4, base=0.05, cap=0.5, random=Top())
        self.delays: list[float] = []

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        chosen = super().delay(attempt, retry_after)
        self.delays.append(chosen)
        return chosen


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "soon"])
async def test_a_retry_after_that_is_no_delay_leaves_the_backoff_to_the_client(api, value):
    api.answer("status/perlmutter", 503, {"detail": "busy"}, {"Retry-After": value})
    policy = RecordingPolicy()
    async with AsyncClient(api.api_url, anonymous=True, retry=policy) as client:
        with pytest.raises(SfApiError, match="HTTP 503"):
            await client.status("perlmutter")
    # Before: "nan" slept nan (no time at all), "-5" zero seconds: six tries at once.
    assert policy.delays == [0.05, 0.1, 0.2], policy.delays
    assert len(api.requests) == 4


async def test_a_huge_retry_after_is_capped(api):
    api.answer("status/perlmutter", 429, {"detail": "slow down"}, {"Retry-After": "1e9"})
    policy = RecordingPolicy()
    policy.attempts = 2
    async with AsyncClient(api.api_url, anonymous=True, retry=policy) as client:
        with pytest.raises(SfApiError, match="Rate limited"):
            await client.status("perlmutter")
    assert policy.delays == [policy.cap]


# -- remote paths reach the server as given ------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "sent"),
    [("~/..", "~/%2E%2E"), (".", "%2E"), ("a/./b/../c", "a/%2E/b/%2E%2E/c"), ("~/.bashrc", None)],
)
async def test_dot_segments_in_remote_paths_are_not_collapsed(api, path, sent):
    async with AsyncClient(
        api.api_url, access_token="opaque-token-for-the-api-0001", retry=RetryPolicy(attempts=1)
    ) as client:
        with pytest.raises(SfApiError):  # the server here knows no path: a 404
            await client.compute("perlmutter").files.ls(path)
    # Before, httpx resolved "~/.." to "" and ls('~/..') asked for another endpoint.
    assert api.requests[-1]["raw"] == f"/api/v1.2/utilities/ls/perlmutter/{sent or path}"
