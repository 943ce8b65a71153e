"""A bounded buffer of output lines that tells what changed, for diff messages to the browser."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

#: A line longer than this is cut: one runaway line must not make a message of megabytes.
MAX_LINE_CHARS = 20_000
_CUT = " … [line cut]"


#: Terminal control sequences, as ECMA-48 defines them: CSI (colours, cursor moves, erase;
#: ``ESC [`` or the 8-bit ``\x9b``), OSC (titles, hyperlinks; ended by BEL or ``ESC \``),
#: DCS/SOS/PM/APC strings, and the two- and three-byte escapes (charsets, keypad modes).
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[PX^_][^\x1b]*\x1b\\"
    r"|\x1b[ -/][0-~]|\x1b[0-Z\\-~]"
)
#: A sequence cut off at the end of what has arrived so far (the rest comes next chunk).
_UNFINISHED = re.compile(r"(?:\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|[ -/])?)$")
#: Other control characters a terminal does not print (tab, newline and CR are handled).
_CONTROLS = re.compile(r"[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x9b\x9d]")
_BACKSPACED = re.compile(r"[^\x08\n]\x08")


def terminal_text(text: str) -> str:
    """``text`` as a terminal would show it: colours and other escape sequences (ANSI CSI,
    OSC titles and hyperlinks) and unprintable controls removed, backspaces applied.

    >>> terminal_text("\\x1b[31mred\\x1b[0m \\x1b]8;;https://x\\x07link\\x1b]8;;\\x07 ab\\x08c")
    'red link ac'
    """
    if not _SPECIAL.search(text):  # the common case: plain text, returned as it is
        return text
    text = _UNFINISHED.sub("", _ESCAPES.sub("", text))
    while "\x08" in text:
        applied = _BACKSPACED.sub("", text)
        if applied == text:
            break
        text = applied
    return _CONTROLS.sub("", text.replace("\x08", ""))


def _overwrite(line: str) -> str:
    # A carriage return inside a line is a terminal overwrite (progress bars): keep what is
    # left visible, as a terminal would. A trailing one (from a split "\r\n") is dropped.
    body = terminal_text(line).rstrip("\r")
    if "\r" in body:
        body = body.rsplit("\r", 1)[1]
    if len(body) > MAX_LINE_CHARS:
        body = body[:MAX_LINE_CHARS] + _CUT
    return body


def terminal_lines(text: str) -> list[str]:
    """The lines of ``text`` as a terminal would show them (see :func:`terminal_text`; a
    carriage return overwrites its line); a final newline ends the last line.

    >>> terminal_lines("10%\\r100%\\n\\x1b[1mdone\\x1b[0m\\n")
    ['100%', 'done']
    """
    pieces = text.replace("\r\n", "\n").split("\n")
    if pieces and pieces[-1] == "":
        pieces.pop()
    return [_overwrite(piece) for piece in pieces]


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
