"""Worker threads for slow file work (transfers), shared so that no user can take them all.

A transfer copies in a thread. With one small shared pool, one user's copies (into FIFOs
nobody reads, or of huge trees) held every thread and nobody else's transfer ran. Here
at most ``per_user`` threads work for one user at a time; that user's further transfers
wait their turn (still ``ACTIVE``, as a queued Globus task is), and the pool has room for
several users at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

#: Threads in the pool, and how many of them one user's work may hold at once.
THREADS = 8
PER_USER = 2


class UserSlots:
    """A thread pool where each user holds at most ``per_user`` threads."""

    def __init__(self, threads: int = THREADS, per_user: int = PER_USER) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="sfapi-transfer")
        self._per_user = per_user
        self._turns: dict[str, asyncio.Semaphore] = {}

    async def run(self, user: str, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a thread of the pool, once one of ``user``'s turns is free."""
        turn = self._turns.setdefault(user, asyncio.Semaphore(self._per_user))
        async with turn:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, functools.partial(work, *args))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
