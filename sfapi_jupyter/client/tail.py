"""Follow a remote file as it grows, moving only the new bytes.

The API has no ranged download, so a poll runs a small shell command on the machine
(``POST /utilities/command``). It prints the file's size and inode, then the bytes from the
last offset on, at most ``chunk_size`` of them, gzip-compressed and base64-encoded: a
multibyte character split between two polls is decoded once its last byte arrives, binary
junk cannot break the JSON, and a log (text) crosses the API smaller than it was written.
What crosses the API per poll is the new bytes (compressed, then 4/3 of that) and a few
hundred bytes of envelope, never the whole file. A poll that hit ``chunk_size`` is followed
at once.

One command per poll serves every file followed on a machine: the polls of all the tails of
one machine that fall within :data:`BATCH_WINDOW` of each other are sent as one command
(:class:`TailBatcher`, ``machine.tails``), which reads the new bytes of each file in turn.
Tails with the same interval fall into step after their first shared poll, so following N
files costs one command per poll, not N.

What happens to the file is handled as ``tail -F`` does:

* not there yet (the job is still pending): wait for it, up to ``missing_timeout``;
* truncated (its size fell below the offset): start again from byte 0;
* replaced (another inode at the path, e.g. rewritten or rotated): start again from byte 0.

No marker is put into the text. Each chunk is a :class:`TailChunk`, a ``str`` whose
``reset`` attribute says ``"truncated"`` or ``"replaced"`` on the first chunk after such a
restart (that chunk may be empty), so that a display can clear itself.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import zlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import (
    ApiError,
    ConnectError,
    NotFoundError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
)
from .tail_batch import PollArgs, TailBatcher, batch_command, parse_poll

if TYPE_CHECKING:
    from .resources.machine import AsyncMachine

#: Bytes read per poll at most (a poll that reads this many is followed at once).
CHUNK_SIZE = 256 * 1024
_TRANSIENT = (ConnectError, ServerError, RateLimitedError, RequestTimeout)


class TailChunk(str):
    """New text of the file; ``reset`` is set on the first chunk after a restart from 0."""

    reset: str | None
    offset: int

    def __new__(cls, text: str, *, reset: str | None = None, offset: int = 0) -> TailChunk:
        chunk = super().__new__(cls, text)
        chunk.reset = reset
        chunk.offset = offset
        return chunk


class RemoteTail:
    """An async iterator of the new text of a remote file; see :func:`tail_remote_file`.

    ``offset`` and ``inode`` say where it is; ``polls``, ``bytes_read`` (file bytes
    received) and ``payload_chars`` (command output received) say what it cost.
    """

    def __init__(
        self,
        machine: AsyncMachine,
        path: str,
        *,
        follow: bool = True,
        interval: float = 1.0,
        max_interval: float = 10.0,
        start: int = 0,
        from_end: bool = False,
        lines: int | None = None,
        stop: Callable[[], bool] | asyncio.Event | None = None,
        missing_timeout: float | None = None,
        chunk_size: int = CHUNK_SIZE,
        encoding: str = "utf-8",
        errors: str = "replace",
        max_failures: int = 5,
        batch: bool = True,
    ) -> None:
        self.machine = machine
        self.path = path
        self.follow = follow
        self.interval = interval
        self.max_interval = max(max_interval, interval)
        self.offset = max(int(start), 0)
        self.lines = 0 if from_end and lines is None else lines
        self.stop = stop
        self.missing_timeout = missing_timeout
        self.chunk_size = chunk_size
        self.max_failures = max_failures
        self.batch = batch
        self.inode: int | None = None
        self.polls = 0
        self.bytes_read = 0
        self.payload_chars = 0
        self._decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
        self._chunks = self._generate()

    def __aiter__(self) -> RemoteTail:
        return self

    async def __anext__(self) -> TailChunk:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        await self._chunks.aclose()

    def _stopping(self) -> bool:
        if isinstance(self.stop, asyncio.Event):
            return self.stop.is_set()
        return bool(self.stop is not None and self.stop())

    async def _sleep(self, seconds: float) -> None:
        if self.batch:
            seconds = self.machine.tails.aligned(seconds)
        if isinstance(self.stop, asyncio.Event):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stop.wait(), seconds)
        else:
            await asyncio.sleep(seconds)

    async def _poll(self, lines: int | None) -> tuple[str, int, int, int, str, bytes]:
        """(status, size, inode, start, reason, data) of one poll."""
        args: PollArgs = (self.path, self.offset, self.inode, self.chunk_size, lines)
        if self.batch:
            header, payload, chars = await self.machine.tails.poll(args)
            self.polls += 1
            self.payload_chars += chars
        else:
            result = await self.machine.run(batch_command([args]))
            self.polls += 1
            self.payload_chars += len(result.output)
            header, _, payload = result.output.partition("\n")
            if not header:
                header = (result.error or result.output).strip()
        try:
            return parse_poll(header, payload)
        except (ValueError, OSError, EOFError, zlib.error):
            raise ApiError(
                f"tail of {self.path} on {self.machine.name} failed: {header.strip()[:300]}"
            ) from None

    async def _generate(self) -> AsyncGenerator[TailChunk, None]:
        loop = asyncio.get_running_loop()
        first, lines = True, self.lines
        missing_since: float | None = None
        failures, wait = 0, self.interval
        while True:
            stopping = self._stopping()
            try:
                status, _size, inode, start, reason, data = await self._poll(lines)
                failures = 0
            except _TRANSIENT:
                failures += 1
                if failures >= self.max_failures or not self.follow:
                    raise
                await self._sleep(min(self.interval * 2**failures, self.max_interval))
                continue
            if status == "NOTFILE":
                raise ApiError(f"{self.path} on {self.machine.name} is not a regular file")
            if status == "MISSING":
                if not self.follow:
                    raise NotFoundError(f"{self.path}: No such file or directory")
                now = loop.time()
                missing_since = now if missing_since is None else missing_since
                if self.missing_timeout is not None and now - missing_since >= self.missing_timeout:
                    raise NotFoundError(
                        f"{self.path} did not appear on {self.machine.name} "
                        f"within {self.missing_timeout:g} s"
                    )
                if stopping:
                    return
                # Whatever appears later is new in full.
                lines = None
                await self._sleep(self.interval)
                continue
            missing_since, lines = None, None
            restarted = None if first or reason == "ok" else reason
            if restarted:
                self._decoder.reset()  # bytes of the old content will never complete
            first = False
            self.inode, self.offset = inode, start + len(data)
            self.bytes_read += len(data)
            text = self._decoder.decode(data)
            if text or restarted:
                yield TailChunk(text, reset=restarted, offset=self.offset)
            if len(data) >= self.chunk_size:
                continue  # more is waiting: no pause
            if not self.follow or stopping:
                rest = self._decoder.decode(b"", final=True)
                if rest:
                    yield TailChunk(rest, offset=self.offset)
                return
            wait = self.interval if data else min(wait * 1.5, self.max_interval)
            await self._sleep(wait)


def tail_remote_file(machine: AsyncMachine, path: str, **options: Any) -> RemoteTail:
    """Follow ``path`` on ``machine``: an async iterator of the text appended to it.

    Parameters
    ----------
    machine
        The machine (``client.compute("perlmutter")``).
    path
        The remote file; relative paths are relative to your home.
    follow
        Keep polling for new text (default); ``False`` reads what is there and stops.
    interval, max_interval
        Seconds between polls: ``interval`` while text arrives, growing to
        ``max_interval`` while none does.
    start, from_end, lines
        Where to begin: a byte offset (default 0), the current end, or the last ``lines``
        lines (like ``tail -n``).
    stop
        A callable or an :class:`asyncio.Event`; once true, the rest is read and the
        iteration ends (``stop=lambda: job.is_terminal`` follows a job's output).
    missing_timeout
        Seconds to wait for a file that does not exist yet (None: no limit).
    chunk_size
        Bytes read per poll at most (default 256 KiB; less when many files share a command).
    batch
        Share each poll's command with the other tails on the machine (default); ``False``
        sends a command of its own.

    Examples
    --------
    >>> async for text in tail_remote_file(machine, "job.out", stop=lambda: job.is_terminal):
    ...     print(text, end="")                                  # doctest: +SKIP
    """
    return RemoteTail(machine, path, **options)


@dataclass(frozen=True)
class TailRead:
    """One read of a file from an offset (:func:`read_since`): the new text, and where the
    next read starts. ``reset`` is ``"truncated"`` or ``"replaced"`` when the file changed
    under the offset (the text is then from byte 0: a display clears itself first);
    ``missing``: the file does not exist (yet); ``more``: the read stopped at its size."""

    text: str
    offset: int
    inode: int | None
    size: int
    reset: str | None = None
    missing: bool = False
    more: bool = False


async def read_since(
    machine: AsyncMachine,
    path: str,
    offset: int = 0,
    inode: int | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> TailRead:
    """The text of ``path`` after byte ``offset``: one poll, shared like a tail's.

    The reader keeps nothing: the offset and inode travel with the caller (a browser polling
    a Jupyter server), so a character cut at the end of what was read is not decoded: the
    returned offset stops before its first byte, and the next read starts there.

    Examples
    --------
    >>> first = await read_since(machine, "job.out")                 # doctest: +SKIP
    >>> later = await read_since(machine, "job.out", first.offset, first.inode)  # doctest: +SKIP
    """
    start_at = max(int(offset), 0)
    # A UTF-8 character is at most 4 bytes: a full read of 4 always completes one, so the
    # offset always moves on.
    chunk_size = max(chunk_size, 4)
    header, payload, _chars = await machine.tails.poll((path, start_at, inode, chunk_size, None))
    try:
        status, size, new_inode, start, reason, data = parse_poll(header, payload)
    except (ValueError, OSError, EOFError, zlib.error):
        raise ApiError(f"reading {path} on {machine.name} failed: {header.strip()[:300]}") from None
    if status == "NOTFILE":
        raise ApiError(f"{path} on {machine.name} is not a regular file")
    if status == "MISSING":
        return TailRead("", start_at, inode, 0, missing=True)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(data)
    cut = len(decoder.getstate()[0])  # bytes of a character not complete yet
    return TailRead(
        text,
        start + len(data) - cut,
        new_inode,
        size,
        reset=None if reason == "ok" else reason,
        more=len(data) >= chunk_size,
    )


async def tail_lines(machine: AsyncMachine, path: str, n: int = 10) -> str:
    """The last ``n`` lines of a remote file, moving only those bytes (like ``tail -n``).

    Examples
    --------
    >>> print(await tail_lines(machine, "job.out", 5))           # doctest: +SKIP
    """
    parts = [str(t) async for t in RemoteTail(machine, path, follow=False, lines=n)]
    return "".join(parts)


__all__ = [
    "CHUNK_SIZE",
    "RemoteTail",
    "TailBatcher",
    "TailChunk",
    "TailRead",
    "batch_command",
    "read_since",
    "tail_lines",
    "tail_remote_file",
]
