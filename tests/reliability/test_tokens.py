"""Tokens: access tokens that live 5 s during a 2-minute watch of running jobs (with a tail
of their output): no authentication error reaches the user. Meanwhile another client is
revoked mid-watch: its user gets one clear message, and the client stops asking."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from sfapi_jupyter.client import AuthenticationError, JobState
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import (
    CountingTransport,
    async_client,
    fast_config,
    new_client,
    script,
    serve,
)
from tests.support.figures import record, record_text

SECTION = "tokens (access tokens live 5 s)"
WATCH_SECONDS = 120
LIFETIME = 5


@pytest.fixture(scope="module")
def short_tokens(tmp_path_factory) -> Iterator[LocalFacility]:
    config = fast_config(tmp_path_factory.mktemp("tokens") / "state", token_lifetime=LIFETIME)
    with serve(config) as running:
        yield running


async def watch_for_two_minutes(facility: LocalFacility) -> dict[str, float]:
    creds = new_client(facility, "tokens")
    transport = CountingTransport()
    home = facility.config.home_of("tokens")
    errors: list[BaseException] = []
    lines: list[str] = []
    started = time.monotonic()
    async with async_client(facility, creds, transport=transport) as client:
        machine = client.compute("perlmutter")
        # Jobs that run from now until the two minutes are up, one printing every 2 s.
        ticker = script(
            f"for i in $(seq 1 {WATCH_SECONDS // 2}); do echo tick $i; sleep 2; done",
            "-J ticker",
            f"-o {home}/ticker.out",
        )
        jobs = [await machine.submit(ticker)]
        for seconds in (30, 60, 90):
            jobs.append(await machine.submit(script(f"sleep {seconds}", f"-J sleep{seconds}")))

        async def follow() -> None:
            try:
                async for text in machine.tail(
                    f"{home}/ticker.out", stop=lambda: jobs[0].is_terminal, interval=1.0
                ):
                    lines.extend(text.splitlines())
            except Exception as exc:
                errors.append(exc)

        async def wait(job) -> None:
            try:
                await job.wait(timeout=WATCH_SECONDS + 60)
            except Exception as exc:
                errors.append(exc)

        await asyncio.gather(follow(), *map(wait, jobs))
        renewals = client._auth.tokens_fetched if client._auth else 0  # type: ignore[attr-defined]
    for exc in errors:
        record_text("exception", f"{type(exc).__name__}: {exc}")
    auth_errors = sum(isinstance(e, AuthenticationError) for e in errors)
    assert not errors, errors
    assert [job.state for job in jobs] == [JobState.COMPLETED] * 4
    assert lines[-1] == f"tick {WATCH_SECONDS // 2}", lines[-3:]
    return {
        "watch": time.monotonic() - started,
        "auth_errors": auth_errors,
        "errors": len(errors),
        "api": transport.total - transport.counts["token"],
        "tokens": transport.counts["token"],
        "renewals": renewals,
        "401": transport.statuses[401],
    }


async def revoke_mid_watch(facility: LocalFacility) -> dict[str, float]:
    creds = new_client(facility, "revoked")
    transport = CountingTransport()
    async with async_client(facility, creds, transport=transport) as client:
        machine = client.compute("perlmutter")
        jobs = [await machine.submit(script("sleep 40", f"-J doomed{i}")) for i in range(3)]
        waits = [asyncio.ensure_future(job.wait(timeout=120)) for job in jobs]
        await asyncio.sleep(6)  # a token renewal or two under the belt
        facility.facility.accounts.revoke_client(creds.client_id)
        before = transport.total
        revoked_at = time.monotonic()
        results = await asyncio.gather(*waits, return_exceptions=True)
        told_after = time.monotonic() - revoked_at
        at_message = transport.total - before
        await asyncio.sleep(15)  # and then: nothing more is sent
        later = transport.total - before - at_message
    messages = {str(r) for r in results if isinstance(r, BaseException)}
    for message in messages:
        record_text("exception", message)
    assert all(isinstance(r, AuthenticationError) for r in results), results
    assert len(messages) == 1, messages
    assert "revoked" in next(iter(messages))
    return {"told_after": told_after, "requests": at_message, "later": later, "messages": 1}


async def test_short_tokens_and_a_revoked_client(short_tokens):
    watched, revoked = await asyncio.gather(
        watch_for_two_minutes(short_tokens), revoke_mid_watch(short_tokens)
    )
    record(SECTION, "watch length", round(watched["watch"]), "s")
    record(SECTION, "API requests during the watch", watched["api"])
    record(SECTION, "token requests during the watch", watched["tokens"])
    record(SECTION, "HTTP 401 answers (renewed silently)", watched["401"])
    record(SECTION, "auth errors reaching the user", watched["auth_errors"], zero=True)
    record(SECTION, "revoked: requests until the user was told", revoked["requests"])
    record(SECTION, "revoked: seconds until the user was told", round(revoked["told_after"], 1))
    record(SECTION, "revoked: requests in the 15 s after", revoked["later"], zero=True)
    record(SECTION, "revoked: distinct messages", revoked["messages"])
    # One tick's worth: the refused request, its one renewal attempt at the token endpoint.
    assert revoked["requests"] <= 4, revoked
    assert watched["tokens"] <= watched["watch"] / (LIFETIME / 2) + 5, watched
