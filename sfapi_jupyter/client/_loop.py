"""A private event loop in a background thread, so blocking code can run coroutines.

``Client`` (the sync facade) runs every coroutine of its ``AsyncClient`` here. This works
in plain scripts and inside a running Jupyter kernel alike (the kernel's own loop is never
touched or blocked by nested ``asyncio.run`` calls).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
#: Seconds a Ctrl-C'd call waits for its coroutine's clean-up (a task cancel to be sent).
INTERRUPT_GRACE = 10.0

#: ``waiter(future, timeout) -> done``: how a blocking call on the main thread waits for its
#: future. In a notebook the notebook layer sets one that runs the widget updates queued for
#: the main thread meanwhile, so that ``job.wait()`` or a ``machine.run`` in one cell does not
#: freeze every card on the page (None: wait plainly, as in a script).
MainThreadWaiter = Callable[["concurrent.futures.Future[Any]", "float | None"], bool]
_main_thread_waiter: MainThreadWaiter | None = None


def set_main_thread_waiter(waiter: MainThreadWaiter | None) -> None:
    """Install (or with None remove) the main thread's waiter; see :data:`MainThreadWaiter`."""
    global _main_thread_waiter
    _main_thread_waiter = waiter


def fail_future(future: asyncio.Future[Any], exc: BaseException) -> None:
    """End a shared future that many callers wait on with the error its sender met: a cancel
    cancels the waiters, anything else is raised to each of them (done futures are left)."""
    if future.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        future.cancel()
    else:
        future.set_exception(exc)


async def settle(
    future: asyncio.Future[T], work: Coroutine[Any, Any, T], forget: Callable[[], None]
) -> None:
    """Run ``work`` for a future that many callers share (a batch): its result to all of
    them, or its error (``forget`` first, so that no new caller joins a failed batch); a
    cancel or any other ``BaseException`` goes on up once the waiters have it."""
    try:
        result = await work
    except BaseException as exc:
        forget()
        fail_future(future, exc)
        if not isinstance(exc, Exception):
            raise
    else:
        future.set_result(result)


class LoopThread:
    """One daemon thread running one event loop until :meth:`stop`."""

    def __init__(self, name: str = "sfapi-jupyter-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for it; Ctrl-C cancels it.

        After Ctrl-C the call waits (up to :data:`INTERRUPT_GRACE` seconds, or until a
        second Ctrl-C) for the coroutine to wind down, so that what it does on the way out
        (cancelling a running command on the machine) is done when the prompt returns.
        """
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError("a blocking call was made from the client's own loop thread")
        started, ended = threading.Event(), threading.Event()

        async def watched() -> T:
            started.set()  # no await before the try: a cancel from here on reaches it
            try:
                return await coro
            finally:
                ended.set()

        future = self.submit(watched())
        try:
            waiter = _main_thread_waiter
            if waiter is not None and threading.current_thread() is threading.main_thread():
                waiter(future, timeout)  # done or timed out: result() returns or raises
                return future.result(0)
            return future.result(timeout)
        except KeyboardInterrupt:
            future.cancel()
            if started.is_set():  # else it never runs, and there is nothing to wind down
                ended.wait(INTERRUPT_GRACE)
            raise

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self.loop.is_running():
            self.loop.close()
