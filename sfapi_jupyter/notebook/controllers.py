"""The kernel side of every live widget: one :class:`Controller` per widget, one registry.

A controller answers its widget's actions (:meth:`Controller.answer`, over ``widget.on``),
runs requests on the client's loop thread (:meth:`Controller.run_soon`) and changes its
widget only on the kernel's main thread (:meth:`Controller.widget_call`, through
:func:`~sfapi_jupyter.widgets.support.mainthread.dispatcher`: ipykernel 7 mis-routes comm
messages sent from other threads). A :class:`Feed` is a controller that also keeps its
widget up to date from a coroutine on the client's loop (:meth:`Feed.run`).

One lifecycle for all: :meth:`~Controller.start` makes it its widget's controller in
:data:`CONTROLLERS` (stopping the one before) and starts its coroutine, if it has one;
:meth:`~Controller.stop` (or :func:`stop`) ends the coroutine and takes its answers off the
widget. A controller holds its widget only weakly, and a feed stops when its widget is
closed or collected. One module per feature subclasses them (:mod:`.jobs`, :mod:`.queue`,
:mod:`.tail`, :mod:`.status`, :mod:`.transfer`, :mod:`.file_browser`, :mod:`.submit_form`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..widgets.support.mainthread import dispatcher

if TYPE_CHECKING:
    from IPython.display import DisplayHandle

    from ..client import AsyncMachine, Client
    from ..widgets import SfWidget

log = logging.getLogger(__name__)

#: Seconds between two looks at a file being followed.
TAIL_INTERVAL = 1.0

W = TypeVar("W", bound="SfWidget")
C = TypeVar("C", bound="Controller[Any]")

#: The controller of each live widget (dropped with the widget, or at :func:`stop`).
CONTROLLERS: weakref.WeakKeyDictionary[Any, Controller[Any]] = weakref.WeakKeyDictionary()


def call(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` on the kernel's main thread."""
    dispatcher().call(fn, *args)


def closed(widget: Any) -> bool:
    """Whether a widget is gone: collected, or closed (ipywidgets drops its comm)."""
    return widget is None or getattr(widget, "comm", True) is None


def keep_widgets_live_while_blocked() -> None:
    """From the first widget on: a blocking client call on the main thread (``job.wait()``,
    ``machine.run``, a ``machine.tail`` loop in a cell) runs the widgets' queued updates while
    it waits, so the cards on the page go on changing instead of freezing until the cell ends.
    (Installed here, not at import: ``%load_ext`` must not import the client.)"""
    from ..client._loop import set_main_thread_waiter

    set_main_thread_waiter(dispatcher().wait_for_future)


class Controller(Generic[W]):
    """The kernel side of one widget: answers its actions, runs its requests, changes it."""

    #: The coroutine feeding the widget (a :class:`Feed`'s), None for a controller without.
    future: concurrent.futures.Future[None] | None = None

    def __init__(self, client: Client, widget: W) -> None:
        self.client = client
        self._widget = weakref.ref(widget)
        self._detach: list[Callable[[], None]] = []
        keep_widgets_live_while_blocked()

    @property
    def widget(self) -> W | None:
        """The widget while it is open; None once it is closed or collected."""
        widget = self._widget()
        return None if closed(widget) else widget

    @property
    def running(self) -> bool:
        return self.future is not None and not self.future.done()

    def answer(self, kind: str, callback: Callable[..., None]) -> None:
        """Answer the widget's action ``kind`` with ``callback`` until :meth:`stop`."""
        widget = self._widget()
        if widget is not None:
            self._detach.append(widget.on(kind, callback))

    def start(self: C) -> C:
        """Become the widget's controller (the one it had is stopped); returns itself."""
        widget = self._widget()
        if widget is not None:
            previous = CONTROLLERS.get(widget)
            if previous is not None and previous is not self:
                previous.stop()
            CONTROLLERS[widget] = self
        self._begin()
        return self

    def _begin(self) -> None:
        """What starts with the controller (a feed's coroutine); nothing here."""

    def stop(self) -> None:
        """Stop answering the widget (main thread); a feed also stops feeding it."""
        widget = self._widget()
        if widget is not None and CONTROLLERS.get(widget) is self:
            del CONTROLLERS[widget]
        detach, self._detach = self._detach, []
        for remove in detach:
            remove()

    def run_soon(self, coro: Coroutine[Any, Any, Any], then: Callable[[Any], None]) -> None:
        """Run ``coro`` on the loop thread; ``then(result or exception)`` on the main thread."""
        future = self.client.loop_thread.submit(coro)

        def done(f: concurrent.futures.Future[Any]) -> None:
            if f.cancelled():
                return
            error = f.exception()
            call(then, error if error is not None else f.result())

        future.add_done_callback(done)

    def widget_call(self, method: str, *args: Any) -> None:
        """``widget.method(*args)`` on the main thread, if the widget is still there."""
        ref = self._widget

        def apply() -> None:
            widget = ref()
            if not closed(widget):
                getattr(widget, method)(*args)

        call(apply)

    def save_summary(self) -> None:
        """The widget's static summary, into its output (main thread): a notebook saved from
        now on shows the widget as it is now, without a kernel."""
        widget = self._widget()
        if widget is None:
            return
        bundle = widget.refresh_static()
        if widget.display_id and bundle:
            from IPython.display import update_display

            update_display(bundle, display_id=widget.display_id, raw=True)


class Feed(Controller[W]):
    """A controller whose coroutine (:meth:`run`, on the client's loop) feeds its widget."""

    def __init__(self, client: Client, widget: W) -> None:
        super().__init__(client, widget)
        self._stop: asyncio.Event | None = None
        self._stop_asked = False  # read and written on the loop thread only

    def _begin(self) -> None:
        self.future = self.client.loop_thread.submit(self._main())

    def stop(self) -> None:
        """Ask the feed to end (it reads what is left of a file first)."""
        super().stop()
        loop = self.client.loop_thread.loop
        if self.running and not loop.is_closed():
            loop.call_soon_threadsafe(self._set_stop)

    def _set_stop(self) -> None:
        self._stop_asked = True
        if self._stop is not None:
            self._stop.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        if self._stop_asked:  # stopped before the coroutine ran
            self._stop.set()
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
            if self.widget is None:
                self._stop.set()
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 2.0)

    async def run(self) -> None:
        raise NotImplementedError

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


def show(widget: SfWidget) -> DisplayHandle | None:
    """Display ``widget`` with a display id, so that its final summary is saved with the notebook.

    Returns the ``DisplayHandle``.
    """
    from IPython.display import DisplayHandle, display

    display(widget)
    display_id = getattr(widget, "display_id", None)
    return None if display_id is None else DisplayHandle(display_id)


def controller_of(widget: Any) -> Controller[Any] | None:
    """The controller answering ``widget`` (None when it has none, or it was stopped)."""
    return CONTROLLERS.get(widget)


def stop(widget: Any) -> None:
    """Stop keeping ``widget`` up to date and answering it (closing the widget does this too)."""
    controller = CONTROLLERS.get(widget)
    if controller is not None:
        controller.stop()
