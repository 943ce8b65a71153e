"""The base of every sfapi_jupyter widget: messages both ways and a static fallback.

Protocol (``content`` of anywidget custom messages, always a dict with ``type``):

* browser → kernel: ``{"type": "snapshot?"}`` when a view is drawn, then widget actions
  such as ``{"type": "cancel"}`` or ``{"type": "follow", "value": false}``;
* kernel → browser: diffs (``append``, ``upsert``, ``tasks``, ``done``) and the full
  ``snapshot`` answering ``snapshot?``, so a second view or a re-render is complete.

What the user does comes to Python code as *actions*, one API for every widget:
``widget.on(kind, callback)`` (the kinds and their callbacks' arguments are the class's
``actions``) returns a function that removes the callback again. A widget with a note line
takes :class:`MessageMixin` (``message``, ``message_level``, ``set_message``).

Small state (scalars, the timeline, counts) lives in synced traits and is saved with the
notebook; output lines and table rows only travel as messages.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import traitlets as t

from .support.mainthread import dispatcher

log = logging.getLogger(__name__)

MessageHandler = Callable[[dict[str, Any]], None]
#: A callback of an action; its arguments are said by the widget's ``actions``.
ActionCallback = Callable[..., None]
#: The levels of a widget's note, and the other names they are known by.
LEVELS = ("info", "success", "warning", "error")
_LEVEL_ALIASES = {"warn": "warning", "danger": "error"}


#: Seconds after display at which the kernel sends a snapshot unasked (see SfWidget).
SNAPSHOT_PUSH_DELAYS = (1.0, 3.0, 8.0)


class SfWidget(anywidget.AnyWidget):
    """anywidget with a typed message dispatcher, one action API and a ``text/html`` fallback."""

    #: The actions the user can take, each with what its callback is called with. A browser
    #: message of one of these types calls the callbacks with the message itself, unless the
    #: widget handles that type first (and then calls :meth:`_fire` with what it checked).
    actions: ClassVar[dict[str, str]] = {}

    def __init__(self, **kwargs: Any) -> None:
        unknown = sorted(k for k in kwargs if not self.has_trait(k))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {', '.join(unknown)}"
            )
        super().__init__(**kwargs)
        #: The display id of the output this widget was last shown in (None until shown).
        self.display_id: str | None = None
        self._msg_handlers: dict[str, MessageHandler] = {"snapshot?": self._on_snapshot_request}
        self._callbacks: dict[str, list[ActionCallback]] = {kind: [] for kind in self.actions}
        for kind in self.actions:
            self._handle(kind, lambda content: self._fire(str(content.get("type")), content))
        self.on_msg(self._dispatch)
        # Widgets are made on the kernel's main thread: remember its loop for the live layer.
        dispatcher().bind()

    # -- actions ----------------------------------------------------------------------------
    def on(self, kind: str, callback: ActionCallback) -> Callable[[], None]:
        """Call ``callback`` when the user takes action ``kind`` (see ``actions``).

        Returns a function that removes the callback again.
        """
        if kind not in self._callbacks:
            known = ", ".join(self.actions) or "none"
            raise ValueError(f"{type(self).__name__} has no action {kind!r}; its actions: {known}")
        self._callbacks[kind].append(callback)
        self._actions_changed()
        # Only weakly: a controller keeps its removers, and the registry of controllers
        # must not keep a closed widget (and its buffers) alive through them.
        ref = weakref.ref(self)

        def remove() -> None:
            widget = ref()
            if widget is not None and callback in widget._callbacks[kind]:
                widget._callbacks[kind].remove(callback)
                widget._actions_changed()

        return remove

    def handles(self, kind: str) -> bool:
        """Whether some code answers action ``kind`` now."""
        return bool(self._callbacks.get(kind))

    def _fire(self, kind: str, *args: Any) -> None:
        for callback in list(self._callbacks.get(kind, ())):
            callback(*args)

    def _actions_changed(self) -> None:
        """A callback was added or removed (subclasses show what can be done)."""

    # -- messages ---------------------------------------------------------------------------
    def _handle(self, kind: str, handler: MessageHandler) -> None:
        self._msg_handlers[kind] = handler

    def _dispatch(self, _widget: object, content: Any, _buffers: object = None) -> None:
        if not isinstance(content, dict):
            return
        handler = self._msg_handlers.get(str(content.get("type")))
        if handler is None:
            log.debug("%s: ignoring message %r", type(self).__name__, content.get("type"))
            return
        try:
            handler(content)
        except Exception:  # a broken handler must never take the kernel's comm down
            log.exception("%s: handling %r failed", type(self).__name__, content.get("type"))

    def _send_msg(self, kind: str, **body: Any) -> None:
        self.send({"type": kind, **body})

    def _on_snapshot_request(self, _content: dict[str, Any]) -> None:
        self._send_snapshot()

    def _send_snapshot(self) -> None:
        buffers = self._snapshot_buffers()
        self.send({"type": "snapshot", **self._snapshot()}, buffers=buffers or None)

    def _snapshot(self) -> dict[str, Any]:
        """What a fresh view needs beyond the traits; subclasses add their buffers."""
        return {}

    def _snapshot_buffers(self) -> list[bytes]:
        """Binary buffers the snapshot refers to by number (images); none by default."""
        return []

    # -- static fallback --------------------------------------------------------------------
    def summary_html(self) -> str:
        """Self-contained HTML (inline styles) of what the widget shows."""
        raise NotImplementedError

    def summary_text(self) -> str:
        """One line of plain text."""
        return type(self).__name__

    def _remember_for_notebook(self) -> None:
        """Copy what a kernel-less reopen should show into saved traits (subclasses)."""

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data = dict(data)
        data["text/plain"] = self.summary_text()
        data["text/html"] = self.summary_html()
        return data, metadata

    def _ipython_display_(self) -> None:
        # Always display with a display id, so the live layer can write the final static
        # summary into this very output (a saved notebook then shows the end state).
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        data, metadata = bundle
        handle = display(data, metadata=metadata, raw=True, display_id=True)
        if handle is not None:
            self.display_id = handle.display_id
        self._push_snapshots_soon()

    def _push_snapshots_soon(self) -> None:
        """Send the full state a few times after display, unasked.

        A view asks for a snapshot when it renders, but a kernel blocked in a cell (a
        ``--wait``) only reads that request when the cell ends; what it sends still goes
        out. So the kernel offers the snapshot itself while the view is being drawn.
        """
        ref = weakref.ref(self)

        def push() -> None:
            widget = ref()
            if widget is not None and widget.comm is not None:
                widget._send_snapshot()

        for delay in SNAPSHOT_PUSH_DELAYS:
            timer = threading.Timer(delay, dispatcher().call, args=(push,))
            timer.daemon = True
            timer.start()

    def refresh_static(self) -> dict[str, Any]:
        """The current mime bundle, for ``update_display(..., raw=True)`` at a terminal state.

        It also copies the last lines into the saved state, so a notebook reopened without a
        kernel still shows them.
        """
        self._remember_for_notebook()
        bundle = self._repr_mimebundle_()
        return bundle[0] if bundle else {}


class MessageMixin(t.HasTraits):
    """A note shown on the widget (an outage ahead, an error), with its level."""

    message = t.Unicode("").tag(sync=True)
    """The note; ``""`` shows none. - Type: str"""
    message_level = t.Unicode("info").tag(sync=True)
    """One of :data:`LEVELS`. - Type: str"""

    if TYPE_CHECKING:  # mixed into an SfWidget, which has it

        def hold_sync(self) -> AbstractContextManager[None]: ...

    def set_message(self, text: str, level: str = "info") -> None:
        """Show a note; ``""`` clears it. ``level``: info, success, warning (warn) or error."""
        level = _LEVEL_ALIASES.get(level, level)
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        with self.hold_sync():  # one update for both traits
            self.message = text
            self.message_level = level
