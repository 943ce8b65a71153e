"""One upstream request for every open tab: a short cache with one request in flight per key.

Each panel tab polls on its own clock. Without sharing, ten tabs would send ten requests per
interval to the SF API; here an answer younger than its ``ttl`` is served as it is, and
callers that arrive while it is being fetched wait for that one request. After a 429 no
request is sent until the ``Retry-After`` has passed (nor after a failure, for the floor
interval): the last answer is served meanwhile, marked ``stale``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..client import ConnectError, RateLimitedError, RequestTimeout, ServerError, SfApiError

#: Seconds to wait after a 429 that named no Retry-After.
DEFAULT_RETRY_AFTER = 30.0
#: Failures of the API itself (not of one request's arguments): nobody asks again for a while.
TRANSIENT = (ConnectError, RateLimitedError, RequestTimeout, ServerError)


@dataclass
class Answer:
    """Data as the API gave it, when (``fetched_at``, wall clock), and whether it is stale:
    older than its interval because the API could not be asked again (``error`` says why)."""

    value: Any
    fetched_at: dt.datetime
    stale: bool = False
    error: str | None = None
    #: Seconds until the API is asked again, when it said 429 or failed (else None).
    retry_in: float | None = None

    def meta(self) -> dict[str, Any]:
        return {
            "fetched_at": self.fetched_at.isoformat(timespec="milliseconds"),
            "stale": self.stale,
            "error": self.error,
            "retry_in": None if self.retry_in is None else round(self.retry_in, 1),
        }


@dataclass
class _Entry:
    value: Any
    fetched_at: dt.datetime
    fresh_until: float


class SharedCache:
    """Answers by key; ``upstream`` counts the requests this cache let through."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.upstream = 0
        self._entries: dict[Hashable, _Entry] = {}
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}
        #: No request before this time (monotonic): the API said 429, or just failed.
        self._quiet_until = 0.0
        self._quiet_error: SfApiError | None = None

    def forget(self, key: Hashable) -> None:
        """The next caller asks again (after a change made here, e.g. a cancel)."""
        self._entries.pop(key, None)

    def prune(self, match: Callable[[Hashable], bool], older_than: float) -> None:
        """Drop the entries of keys ``match`` accepts that went stale ``older_than`` seconds
        ago: keys that are never asked again (an output read at an offset left behind)
        must not pile up for as long as the server runs."""
        limit = self.clock() - older_than
        for key in [k for k, e in self._entries.items() if e.fresh_until < limit and match(k)]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        return None if entry is None else entry.value

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[Any]], ttl: float) -> Answer:
        """The answer for ``key``: cached while younger than ``ttl``, else one shared fetch.

        A failure with nothing cached is raised to every waiting caller; with an older
        answer cached, that answer is returned, ``stale``, with the failure's message.
        """
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry.fresh_until:
            return Answer(entry.value, entry.fetched_at)
        if now < self._quiet_until and self._quiet_error is not None:
            if entry is None:
                raise self._quiet_error
            reason, wait = self._quiet_error.message, self.quiet_for()
            return Answer(entry.value, entry.fetched_at, True, reason, wait)
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fetch(key, fetch, ttl))
            self._inflight[key] = future
            future.add_done_callback(lambda _f: self._inflight.pop(key, None))
        try:
            # A tab that goes away must not cancel the request the other tabs wait for.
            return await asyncio.shield(future)
        except SfApiError as exc:
            entry = self._entries.get(key)
            if entry is None:
                raise
            return Answer(
                entry.value, entry.fetched_at, True, exc.message, self.quiet_for() or None
            )

    async def _fetch(
        self, key: Hashable, fetch: Callable[[], Awaitable[Any]], ttl: float
    ) -> Answer:
        self.upstream += 1
        try:
            value = await fetch()
        except RateLimitedError as exc:
            wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
            exc.retry_after = wait
            self._quiet(wait, exc)
            raise
        except TRANSIENT as exc:
            # Every tab would otherwise retry a failing API at its own pace.
            self._quiet(ttl, exc)
            raise
        fetched_at = dt.datetime.now(dt.timezone.utc)
        self._entries[key] = _Entry(value, fetched_at, self.clock() + ttl)
        return Answer(value, fetched_at)

    def _quiet(self, seconds: float, error: SfApiError) -> None:
        until = self.clock() + seconds
        if until > self._quiet_until:
            self._quiet_until, self._quiet_error = until, error

    def quiet_for(self) -> float:
        """Seconds until the API may be asked again (0: now)."""
        return max(0.0, self._quiet_until - self.clock())
