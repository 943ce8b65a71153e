"""The shared cache on its own: one fetch for concurrent callers, stale answers, 429 quiet."""

from __future__ import annotations

import asyncio

import pytest

from sfapi_jupyter.client import NotFoundError, RateLimitedError, ServerError
from sfapi_jupyter.server._cache import SharedCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """A fetch that counts its calls; ``fail`` is raised instead of answering while set."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail: Exception | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> int:
        self.calls += 1
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return self.calls


async def test_concurrent_callers_share_one_fetch_until_the_ttl() -> None:
    clock, upstream = Clock(), Upstream()
    cache = SharedCache(clock)
    upstream.gate.clear()
    waiting = [asyncio.ensure_future(cache.get("k", upstream, 5)) for _ in range(20)]
    await asyncio.sleep(0.01)
    upstream.gate.set()
    answers = await asyncio.gather(*waiting)
    assert upstream.calls == 1 and {a.value for a in answers} == {1}
    assert len({a.fetched_at for a in answers}) == 1 and not any(a.stale for a in answers)
    clock.now += 4.9
    assert (await cache.get("k", upstream, 5)).value == 1
    clock.now += 0.2
    assert (await cache.get("k", upstream, 5)).value == 2
    assert (await cache.get("other", upstream, 5)).value == 3, "each key has its own entry"


async def test_a_caller_going_away_does_not_cancel_the_others_fetch() -> None:
    upstream = Upstream()
    cache = SharedCache(Clock())
    upstream.gate.clear()
    first = asyncio.ensure_future(cache.get("k", upstream, 5))
    second = asyncio.ensure_future(cache.get("k", upstream, 5))
    await asyncio.sleep(0.01)
    first.cancel()
    upstream.gate.set()
    assert (await second).value == 1 and upstream.calls == 1


async def test_a_429_quiets_every_key_for_its_retry_after_serving_stale_answers() -> None:
    clock, upstream = Clock(), Upstream()
    cache = SharedCache(clock)
    good = await cache.get("k", upstream, 1)
    clock.now += 2
    upstream.fail = RateLimitedError("slow down", retry_after=30)
    stale = await cache.get("k", upstream, 1)
    assert stale.stale and stale.value == good.value and stale.fetched_at == good.fetched_at
    assert stale.error == "slow down" and stale.retry_in == 30
    clock.now += 29
    for key in ("k", "k", "k"):
        assert (await cache.get(key, upstream, 1)).stale
    with pytest.raises(RateLimitedError):  # nothing cached for this key: the 429 itself
        await cache.get("new", upstream, 1)
    assert upstream.calls == 2, "no request during the Retry-After"
    clock.now += 1.1
    upstream.fail = None
    fresh = await cache.get("k", upstream, 1)
    assert not fresh.stale and upstream.calls == 3


async def test_a_failing_api_is_asked_once_per_interval_not_once_per_tab() -> None:
    clock, upstream = Clock(), Upstream()
    cache = SharedCache(clock)
    await cache.get("k", upstream, 2)
    clock.now += 3
    upstream.fail = ServerError("HTTP 502")
    answers = [await cache.get("k", upstream, 2) for _ in range(10)]
    assert all(a.stale and a.error == "HTTP 502" for a in answers)
    assert upstream.calls == 2


async def test_a_bad_request_fails_alone_and_quiets_nothing() -> None:
    upstream = Upstream()
    cache = SharedCache(Clock())
    upstream.fail = NotFoundError("Job 9 is not known")
    with pytest.raises(NotFoundError):
        await cache.get("job 9", upstream, 2)
    upstream.fail = None
    assert (await cache.get("job 10", upstream, 2)).value == 2


async def test_keys_left_behind_are_pruned_others_kept() -> None:
    clock, upstream = Clock(), Upstream()
    cache = SharedCache(clock)
    for offset in range(50):
        await cache.get(("output", offset), upstream, 2)
        clock.now += 3
    await cache.get("queue", upstream, 2)
    clock.now += 100
    cache.prune(lambda key: key[0] == "output", 60)
    assert len(cache) == 1 and cache.peek("queue") is not None
