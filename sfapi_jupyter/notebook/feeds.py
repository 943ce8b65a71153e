"""The feed machinery: coroutines that keep live widgets up to date, and their registry.

Each feed runs on the client's loop thread. It never touches a widget there: every widget
call goes through :func:`~sfapi_jupyter.widgets.support.mainthread.dispatcher` and so runs on the
kernel's main thread (ipykernel 7 mis-routes comm messages sent from other threads). A feed
holds its widget only weakly, and stops when the widget is closed or collected, or on
:func:`stop`. One module per feature (:mod:`.jobs`, :mod:`.queue`, :mod:`.tail`) subclasses
:class:`Feed`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from ..widgets.support.mainthread import dispatcher

if TYPE_CHECKING:
    from IPython.display import DisplayHandle

    from ..client import AsyncMachine, Client
    from ..widgets._base import SfWidget

log = logging.getLogger(__name__)

#: Seconds between two looks at a file being followed.
TAIL_INTERVAL = 1.0

#: The feed of each live widget, and the display id of widgets shown with one.
FEEDS: weakref.WeakKeyDictionary[Any, Feed] = weakref.WeakKeyDictionary()
DISPLAY_IDS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def call(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` on the kernel's main thread."""
    dispatcher().call(fn, *args)


def closed(widget: Any) -> bool:
    """Whether a widget is gone: collected, or closed (ipywidgets drops its comm)."""
    return widget is None or getattr(widget, "comm", True) is None


class Feed:
    """A coroutine on the client's loop thread that feeds one widget."""

    def __init__(self, client: Client, widget: Any) -> None:
        self.client = client
        self._widget = weakref.ref(widget)
        self._stop: asyncio.Event | None = None
        self.future: concurrent.futures.Future[None] | None = None

    @property
    def widget(self) -> Any:
        return self._widget()

    @property
    def running(self) -> bool:
        return self.future is not None and not self.future.done()

    def start(self) -> Feed:
        self.future = self.client.loop_thread.submit(self._main())
        return self

    def stop(self) -> None:
        """Ask the feed to end (it reads what is left of a file first)."""
        loop = self.client.loop_thread.loop
        if self.running and not loop.is_closed():
            loop.call_soon_threadsafe(self._set_stop)

    def _set_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        watchdog = asyncio.get_running_loop().create_task(self._watch_widget())
        try:
            await self.run()
        except Exception:  # a feed's bug must not go unnoticed, nor kill the loop
            log.exception("live widget feed %r failed", self)
        finally:
            watchdog.cancel()

    async def _watch_widget(self) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            if closed(self.widget):
                self._stop.set()
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 2.0)

    async def run(self) -> None:
        raise NotImplementedError

    def widget_call(self, method: str, *args: Any) -> None:
        """``widget.method(*args)`` on the main thread, if the widget is still there."""
        ref = self._widget

        def apply() -> None:
            widget = ref()
            if not closed(widget):
                getattr(widget, method)(*args)

        call(apply)

    async def follow_file(
        self,
        machine: AsyncMachine,
        path: str,
        emit: Callable[[str], None],
        *,
        restarted: Callable[[str], None] | None = None,
        stop: asyncio.Event,
        follow: bool = True,
        lines: int | None = None,
    ) -> None:
        """Send the text of ``path`` to ``emit`` until ``stop`` (then read the rest).

        ``restarted(reason)`` is told when the file was truncated or replaced. Every feed
        following a file on ``machine`` shares the machine's batched tail
        (``machine.tails``): one remote command per poll for all of them, not one per file.
        """
        tail = machine.tail(
            path, follow=follow, lines=lines, stop=stop, interval=TAIL_INTERVAL, batch=True
        )
        try:
            async for chunk in tail:
                reset = getattr(chunk, "reset", None)
                if reset and restarted is not None:
                    restarted(reset)
                if chunk:
                    emit(str(chunk))
        finally:
            aclose = getattr(tail, "aclose", None)
            if aclose is not None:
                await aclose()


def run_soon(client: Client, coro: Coroutine[Any, Any, Any], then: Callable[[Any], None]) -> None:
    """Run ``coro`` on the loop thread; ``then(result or exception)`` on the main thread."""
    future = client.loop_thread.submit(coro)

    def done(f: concurrent.futures.Future[Any]) -> None:
        if f.cancelled():
            return
        error = f.exception()
        call(then, error if error is not None else f.result())

    future.add_done_callback(done)


def show(widget: SfWidget) -> DisplayHandle | None:
    """Display ``widget`` with a display id, so that its final summary is saved with the notebook.

    Returns the ``DisplayHandle``.
    """
    from IPython.display import DisplayHandle, display

    display(widget)
    display_id = getattr(widget, "display_id", None)
    if display_id is None:
        return None
    DISPLAY_IDS[widget] = display_id
    return DisplayHandle(display_id)


def stop(widget: Any) -> None:
    """Stop keeping ``widget`` up to date (closing the widget does this too)."""
    feed = FEEDS.pop(widget, None)
    if feed is not None:
        feed.stop()
