"""``LogTail``: the lines of a remote file as they are written."""

from __future__ import annotations

from typing import Any

import traitlets as t

from ._base import SfWidget
from ._static import css, esm
from .support import static_html
from .support.lines import LineBuffer

#: How many of the last lines the static fallback and the saved notebook keep.
SUMMARY_LINES = 20


class LogTail(SfWidget):
    """A bounded, searchable view of a growing text file, with follow/pause and copy.

    The widget only holds lines; something else (``sfapi_jupyter.notebook.tail``) feeds it.

    Examples
    --------
    >>> tail = LogTail(title="stdout", path="/pscratch/u/run.out", max_lines=1000)
    >>> tail.append("iteration 1\\niteration 2\\n")
    >>> tail.text
    'iteration 1\\niteration 2\\n'
    """

    actions = {"follow": "callback(following) when the user pauses or resumes following"}

    _esm = esm("log_tail")
    _css = css("log_tail")

    title = t.Unicode("").tag(sync=True)
    """Heading of the panel. - Type: str - Default: ``""``"""
    path = t.Unicode("").tag(sync=True)
    """The remote path being followed. - Type: str - Default: ``""``"""
    status = t.Unicode("").tag(sync=True)
    """``"waiting for file"``, ``"following"``, ``"ended"``… - Type: str - Default: ``""``"""
    max_lines = t.Int(5000).tag(sync=True)
    """Lines kept, here and in the browser. - Type: int - Default: 5000"""
    last_lines = t.List(t.Unicode()).tag(sync=True)
    """The last lines as saved with the notebook (set at ``refresh_static``/``set_status``)."""

    def __init__(self, *, title: str = "", path: str = "", max_lines: int = 5000) -> None:
        super().__init__(title=title, path=path, max_lines=max_lines)
        self._buffer = LineBuffer(max_lines)
        self.following = True
        self._handle("follow", self._on_follow)

    # -- feeding ------------------------------------------------------------------------------
    def append(self, text: str) -> None:
        """Add new text (it may end mid-line); only the new lines are sent to the browser."""
        if not text:
            return
        lines, partial = self._buffer.append(text)
        self._send_msg("append", stream="", lines=lines, partial=partial)

    def set_status(self, text: str) -> None:
        """Show where the tail stands, e.g. ``"waiting for file"``, ``"following"``, ``"ended"``."""
        self.status = text
        self._remember_for_notebook()

    def clear(self) -> None:
        self._buffer.clear()
        self._send_msg("snapshot", **self._snapshot())

    @property
    def text(self) -> str:
        """The buffer: at most ``max_lines`` complete lines, then the unfinished one."""
        return self._buffer.text

    @property
    def lines(self) -> list[str]:
        return self._buffer.lines

    # -- protocol -----------------------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        return {"streams": {"": self._buffer.snapshot()}}

    def _on_follow(self, content: dict[str, Any]) -> None:
        self.following = bool(content.get("value"))
        self._fire("follow", self.following)

    # -- static -------------------------------------------------------------------------------
    def _remember_for_notebook(self) -> None:
        self.last_lines = self._buffer.tail(SUMMARY_LINES)

    def summary_text(self) -> str:
        parts = ["LogTail", self.title or self.path or "output"]
        if self.status:
            parts.append(f"({self.status})")
        parts.append(f"{len(self._buffer.lines)} lines")
        return " ".join(parts)

    def summary_html(self) -> str:
        head = static_html.heading(
            static_html.strong(self.title or "Output"),
            static_html.muted(self.path, mono=True) if self.path else "",
            static_html.muted(f"· {self.status}") if self.status else "",
        )
        lines = self._buffer.tail(SUMMARY_LINES) or list(self.last_lines)
        body = static_html.pre(lines) or static_html.muted("(no output yet)")
        return static_html.box(head + body, kind="log-tail")
