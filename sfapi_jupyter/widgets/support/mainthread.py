"""Run callables on the kernel's main thread, from any thread.

Widget traits and comm messages must only be touched on the kernel's main thread:
ipykernel 7 mis-routes messages sent from other threads. Job watchers and tails run on the
client's private loop thread, so everything they want to show goes through here:

* while the kernel is idle, queued callables run on the kernel's own event loop (woken
  with ``call_soon_threadsafe``);
* while a cell blocks (``job.wait()``, ``machine.run``, any call of the sync client, or
  ``%%sfjob --wait``), the blocking code calls :meth:`MainThreadDispatcher.wait_until` or
  :meth:`~MainThreadDispatcher.wait_for_future` (the client's main-thread waiter, installed
  by the notebook layer), which run them between naps;
* with no kernel loop at all (a plain script, IPython's test shell), they run at the next
  ``wait_until`` or :meth:`MainThreadDispatcher.drain` (the magics drain after each cell).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class MainThreadDispatcher:
    """A queue of callables that only the main thread runs."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main = threading.main_thread()

    @property
    def on_main_thread(self) -> bool:
        return threading.current_thread() is self._main

    def bind(self) -> None:
        """Remember the kernel's event loop; call on the main thread (a magic, a widget)."""
        if not self.on_main_thread:
            return
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop_policy().get_event_loop()
            except RuntimeError:
                return
            if loop.is_running() or self._loop is None:
                self._loop = loop

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the main thread: now if we are on it, else soon."""
        if self.on_main_thread:
            self._run(fn, args)
            return
        self._queue.put((fn, args))
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed between the check and the call
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.drain)

    def drain(self) -> int:
        """Run what is queued (main thread only); return how many ran."""
        if not self.on_main_thread:
            return 0
        count = 0
        while True:
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                return count
            self._run(fn, args)
            count += 1

    @staticmethod
    def _run(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except Exception:  # one broken update must not stop the others
            log.exception("update on the main thread failed: %r", fn)

    def wait_until(
        self, done: Callable[[], bool], timeout: float | None = None, nap: float = 0.05
    ) -> bool:
        """Block the main thread until ``done()``, running queued updates meanwhile.

        Returns False on timeout. Ctrl-C (KeyboardInterrupt) comes through to the caller.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.drain()
            if done():
                self.drain()
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(nap)

    def wait_for_future(
        self, future: concurrent.futures.Future[Any], timeout: float | None, nap: float = 0.05
    ) -> bool:
        """Block the main thread until ``future`` is done (True) or ``timeout`` (False),
        running queued updates meanwhile; returns as soon as it is done (no nap's delay)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.drain()
            if future.done():
                self.drain()
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            concurrent.futures.wait([future], timeout=nap if left is None else min(nap, left))


_dispatcher = MainThreadDispatcher()


def dispatcher() -> MainThreadDispatcher:
    """The process's dispatcher (there is one main thread)."""
    return _dispatcher
