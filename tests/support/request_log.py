"""What a local facility received: every API request, counted where it arrived.

:class:`RequestLogMiddleware` is a pure ASGI middleware around the facility's app (add it with
:func:`log_requests` before the facility serves), so a count is what the API saw, whichever
client, server or widget sent it. It can also make job listings fail, to see what a client
does with a refusal. :func:`count_ticks` splits the log by the ticks of a job watcher.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sfapi_jupyter.client.watch import JobWatcher
from sfapi_jupyter.facility.server import LocalFacility

API = "/api/v1.2"
_LISTING = re.compile(rf"{re.escape(API)}/compute/jobs/[^/]+")


@dataclass
class Seen:
    """One request as the facility received it, and the body bytes it answered with."""

    method: str
    path: str
    query: dict[str, list[str]]
    bearer: str | None = None
    sent: int = 0

    @property
    def is_listing(self) -> bool:
        """A job listing of a machine (the queue, or sacct's finished jobs)."""
        return self.method == "GET" and bool(_LISTING.fullmatch(self.path))

    @property
    def is_queue(self) -> bool:
        return self.is_listing and self.query.get("sacct") != ["true"]

    @property
    def is_sacct(self) -> bool:
        return self.is_listing and self.query.get("sacct") == ["true"]

    @property
    def is_status(self) -> bool:
        return self.method == "GET" and self.path == f"{API}/status"

    @property
    def jobids(self) -> list[str]:
        """The jobs a listing asked for by id (``kwargs=jobid=1,2``)."""
        for item in self.query.get("kwargs", []):
            if item.startswith("jobid="):
                return item.removeprefix("jobid=").split(",")
        return []


@dataclass
class RequestLog:
    """What the facility received. While ``fail_listing`` is set, job listings are answered
    with that status (and a ``Retry-After`` of ``retry_after`` seconds, when set)."""

    seen: list[Seen] = field(default_factory=list)
    fail_listing: int | None = None
    retry_after: float | None = None

    def since(self, start: int) -> list[Seen]:
        return self.seen[start:]

    def bearers(self) -> set[str]:
        """Every access token the facility was shown."""
        return {s.bearer for s in self.seen if s.bearer}


class RequestLogMiddleware:
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
        bearer = None
        for name, value in scope["headers"]:
            if name.lower() == b"authorization":
                bearer = value.decode().partition(" ")[2] or None
        query = parse_qs(scope["query_string"].decode())
        record = Seen(scope["method"], scope["path"], query, bearer)
        self.log.seen.append(record)
        if record.is_listing and self.log.fail_listing is not None:
            headers = [(b"content-type", b"application/json")]
            if self.log.retry_after is not None:
                headers.append((b"retry-after", str(self.log.retry_after).encode()))
            status, body = self.log.fail_listing, b'{"detail": "injected by the test"}'
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                record.sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


def log_requests(facility: LocalFacility, log: RequestLog) -> LocalFacility:
    """``facility``, recording into ``log`` what it will receive (call before it serves)."""
    facility.app.add_middleware(RequestLogMiddleware, log=log)
    return facility


def count_ticks(watcher: JobWatcher, log: RequestLog) -> list[list[Seen]]:
    """For every tick of ``watcher`` from now on, the requests the facility received during
    it (until ``del watcher.poll_once``)."""
    ticks: list[list[Seen]] = []
    original = watcher.poll_once

    async def counted() -> bool:
        start = len(log.seen)
        try:
            return await original()
        finally:
            ticks.append(log.since(start))

    watcher.poll_once = counted  # type: ignore[method-assign]
    return ticks
