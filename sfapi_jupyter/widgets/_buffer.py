"""A bounded buffer of output lines that tells what changed, for diff messages to the browser."""

from __future__ import annotations

from collections import deque
from typing import Any

#: A line longer than this is cut: one runaway line must not make a message of megabytes.
MAX_LINE_CHARS = 20_000
_CUT = " … [line cut]"


def _overwrite(line: str) -> str:
    # A carriage return inside a line is a terminal overwrite (progress bars): keep what is
    # left visible, as a terminal would. A trailing one (from a split "\r\n") is dropped.
    body = line.rstrip("\r")
    if "\r" in body:
        body = body.rsplit("\r", 1)[1]
    if len(body) > MAX_LINE_CHARS:
        body = body[:MAX_LINE_CHARS] + _CUT
    return body


class LineBuffer:
    """Complete lines (at most ``max_lines``) plus the unfinished last line.

    >>> buf = LineBuffer(max_lines=2)
    >>> buf.append("a\\nb\\nc\\npart")
    (['b', 'c'], 'part')
    >>> buf.lines, buf.partial, buf.dropped
    (['b', 'c'], 'part', 1)
    """

    def __init__(self, max_lines: int = 5000) -> None:
        if max_lines < 1:
            raise ValueError("max_lines must be at least 1")
        self.max_lines = max_lines
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._partial = ""
        #: How many complete lines fell off the front since the start.
        self.dropped = 0

    def append(self, text: str) -> tuple[list[str], str]:
        """Add ``text``; return the lines it completed and the unfinished line now shown."""
        if not text:
            return [], _overwrite(self._partial)
        pieces = (self._partial + text).replace("\r\n", "\n").split("\n")
        partial = pieces.pop()
        if len(partial) > 4 * MAX_LINE_CHARS:  # a line that never ends: keep its tail
            partial = partial[-4 * MAX_LINE_CHARS :]
        self._partial = partial
        complete = [_overwrite(piece) for piece in pieces]
        self.dropped += max(0, len(self._lines) + len(complete) - self.max_lines)
        self._lines.extend(complete)
        return complete[-self.max_lines :], _overwrite(partial)

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    @property
    def partial(self) -> str:
        return _overwrite(self._partial)

    @property
    def text(self) -> str:
        """The buffer as text: complete lines end in a newline, the partial line does not."""
        body = "".join(line + "\n" for line in self._lines)
        return body + self.partial

    def tail(self, count: int) -> list[str]:
        """The last ``count`` lines, the partial one included if it has text."""
        lines = list(self._lines)
        if self.partial:
            lines.append(self.partial)
        return lines[-count:] if count > 0 else []

    def snapshot(self) -> dict[str, Any]:
        """The whole buffer, in the shape of an ``append`` message body."""
        return {"lines": self.lines, "partial": self.partial, "dropped": self.dropped}

    def clear(self) -> None:
        self._lines.clear()
        self._partial = ""
        self.dropped = 0
