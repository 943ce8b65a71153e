"""Fixtures for the watcher and tail tests: a facility that logs every request it receives.

Import them explicitly (``from ._watch_fixtures import ...``); the request log is kept at
the facility (an ASGI middleware around its app), so counts are what the server saw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client._retry import RetryPolicy
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config, make_async_client

API = "/api/v1.2"


@dataclass
class Seen:
    """One request as the facility received it, and the body bytes it answered with."""

    method: str
    path: str
    query: dict[str, list[str]]
    sent: int = 0

    @property
    def is_squeue(self) -> bool:
        return self.is_listing and self.query.get("sacct") != ["true"]

    @property
    def is_sacct(self) -> bool:
        return self.is_listing and self.query.get("sacct") == ["true"]

    @property
    def is_listing(self) -> bool:
        return self.method == "GET" and self.path == f"{API}/compute/jobs/perlmutter"

    @property
    def jobids(self) -> list[str]:
        for item in self.query.get("kwargs", []):
            if item.startswith("jobid="):
                return item.removeprefix("jobid=").split(",")
        return []


@dataclass
class RequestLog:
    """What the facility received; ``fail_listing`` makes job listings answer that status."""

    seen: list[Seen] = field(default_factory=list)
    fail_listing: int | None = None

    def since(self, start: int) -> list[Seen]:
        return self.seen[start:]


class LoggingMiddleware:
    """Pure ASGI middleware: records each API request and counts the bytes of its answer."""

    def __init__(self, app: Any, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any
    ) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API):
            await self.app(scope, receive, send)
            return
        record = Seen(scope["method"], scope["path"], parse_qs(scope["query_string"].decode()))
        self.log.seen.append(record)
        if record.is_listing and self.log.fail_listing is not None:
            body = b'{"detail": "injected by the test"}'
            headers = [(b"content-type", b"application/json")]
            await send(
                {"type": "http.response.start", "status": self.log.fail_listing, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                record.sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def logged_facility(tmp_path, request_log) -> Iterator[LocalFacility]:
    """A facility over real HTTP with 400 perlmutter nodes, logging what it receives."""
    config = fast_config(
        tmp_path / "state",
        nodes={"perlmutter": 400, "dtns": 2, "dtn01": 1},
        min_pending_seconds=1.0,
    )
    facility = LocalFacility(config)
    facility.app.add_middleware(LoggingMiddleware, log=request_log)
    with facility:
        yield facility


def make_client(facility: LocalFacility, **options: Any) -> AsyncClient:
    return make_async_client(facility, facility.create_client("elvis"), **options)


@pytest.fixture
async def wclient(logged_facility) -> AsyncIterator[AsyncClient]:
    """A client with a quick watcher on perlmutter, and retries kept short."""
    retry = RetryPolicy(attempts=2, base=0.05, cap=0.1)
    async with make_client(logged_facility, retry=retry) as client:
        watcher = client.compute("perlmutter").watcher
        watcher.min_interval, watcher.max_interval, watcher.fresh_seconds = 0.2, 1.0, 2.0
        yield client
