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
import base64
import codecs
import contextlib
import gzip
import math
import shlex
import zlib
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from ._errors import (
    ApiError,
    ConnectError,
    NotFoundError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
)

if TYPE_CHECKING:
    from .resources.machine import AsyncMachine

#: Bytes read per poll at most (a poll that reads this many is followed at once).
CHUNK_SIZE = 256 * 1024
_TRANSIENT = (ConnectError, ServerError, RateLimitedError, RequestTimeout)

#: Seconds a poll waits for the polls of other tails on the machine to share its command.
BATCH_WINDOW = 0.1
#: Tails sleeping between polls wake on multiples of this many seconds (of the event loop's
#: clock), so that their polls fall into the same command.
BATCH_GRID = 0.5
#: Bytes of file content one batched command reads at most (all files together); each file
#: gets its share, at least :data:`MIN_SHARE`, and a file that filled its share is polled
#: again at once.
BATCH_BUDGET = 1024 * 1024
MIN_SHARE = 64 * 1024

# For each file, five arguments: path, offset, inode last read ("" if none), chunk size,
# lines ("" if none). Each file answers two lines: a header (MISSING, NOTFILE, or
# "<size> <inode> <start> <reason> <encoding>") and its new bytes (gzip, then base64; empty
# when there are none).
_SCRIPT = r"""
z=b64; command -v gzip >/dev/null 2>&1 && z=gz
one() {
  f=$1 o=$2 i=$3 n=$4 l=$5
  [ -e "$f" ] || { echo MISSING; echo; return; }
  [ -f "$f" ] || { echo NOTFILE; echo; return; }
  set -- $(stat -L -c '%s %i' -- "$f" 2>/dev/null)
  [ -n "$1" ] || { echo MISSING; echo; return; }
  s=$1 ino=$2 r=ok
  if [ -n "$i" ] && [ "$ino" != "$i" ]; then o=0 r=replaced
  elif [ "$s" -lt "$o" ]; then o=0 r=truncated
  elif [ -n "$l" ]; then o=$((s - $(tail -n "$l" -- "$f" | wc -c))); [ "$o" -ge 0 ] || o=0
  fi
  echo "$s $ino $o $r $z"
  if [ "$s" -gt "$o" ]; then
    if [ $z = gz ]; then
      dd if="$f" iflag=skip_bytes,count_bytes skip="$o" count="$n" bs=65536 status=none \
        | gzip -c -1 | base64 -w0
    else
      dd if="$f" iflag=skip_bytes,count_bytes skip="$o" count="$n" bs=65536 status=none \
        | base64 -w0
    fi
  fi
  echo
}
while [ $# -ge 5 ]; do one "$1" "$2" "$3" "$4" "$5"; shift 5; done
"""


class TailChunk(str):
    """New text of the file; ``reset`` is set on the first chunk after a restart from 0."""

    reset: str | None
    offset: int

    def __new__(cls, text: str, *, reset: str | None = None, offset: int = 0) -> TailChunk:
        chunk = super().__new__(cls, text)
        chunk.reset = reset
        chunk.offset = offset
        return chunk


def tail_command(
    path: str, offset: int, inode: int | None, chunk_size: int, lines: int | None
) -> str:
    """The shell command of one poll of one file (see the module docstring)."""
    return batch_command([(path, offset, inode, chunk_size, lines)])


#: What one poll asks of one file: path, offset, inode, chunk size, lines.
PollArgs = tuple[str, int, int | None, int, int | None]


def batch_command(polls: list[PollArgs]) -> str:
    """One shell command that polls every file of ``polls`` in turn."""
    args: list[str] = []
    for path, offset, inode, chunk_size, lines in polls:
        args += [path, str(offset), "" if inode is None else str(inode), str(chunk_size)]
        args.append("" if lines is None else str(lines))
    return f"bash -c {shlex.quote(_SCRIPT)} tail {shlex.join(args)}"


def _parse(header: str, payload: str) -> tuple[str, int, int, int, str, bytes]:
    """(status, size, inode, start, reason, data) from one file's two lines."""
    if header in ("MISSING", "NOTFILE"):
        return header, 0, 0, 0, "", b""
    size, inode, start, reason, encoding = header.split()
    data = base64.b64decode(payload.strip()) if payload.strip() else b""
    if data and encoding == "gz":
        data = gzip.decompress(data)
    return "OK", int(size), int(inode), int(start), reason, data


class TailBatcher:
    """The polls of every tail on one machine, sent as one command per window.

    Reached as ``machine.tails``. ``commands`` counts the commands sent and ``polls`` the
    file polls they carried (diagnostics and tests).
    """

    def __init__(
        self, machine: AsyncMachine, *, window: float = BATCH_WINDOW, budget: int = BATCH_BUDGET
    ) -> None:
        self.machine = machine
        self.window = window
        self.budget = budget
        self.grid = BATCH_GRID
        self.commands = 0
        self.polls = 0
        self._pending: list[tuple[PollArgs, asyncio.Future[tuple[str, str]]]] = []
        self._flush: asyncio.Task[None] | None = None
        self._sending: asyncio.Task[Any] | None = None

    def pending_tasks(self) -> list[asyncio.Task[None]]:
        """The command being gathered or sent, if any (the machine cancels it on close)."""
        tasks = [self._flush, self._sending]
        return [t for t in tasks if t is not None and not t.done()]

    def aligned(self, seconds: float) -> float:
        """``seconds``, stretched to the next beat of the machine's clock.

        Beats are multiples of :data:`BATCH_GRID`, doubled while that stays under half of
        ``seconds``: tails that sleep different times (one backing off on an idle file, one
        just started) wake together, so they share commands, and idle tails at their longest
        interval all wake on the same few beats. At most one command per beat per machine,
        however many files are followed; no sleep grows by more than half.
        """
        now = asyncio.get_running_loop().time()
        beat = self.grid
        while beat * 2 <= seconds / 2:
            beat *= 2
        return math.ceil((now + seconds) / beat) * beat - now

    async def poll(self, args: PollArgs) -> tuple[str, str, int]:
        """(header, payload, chars of output this file's share cost) of one file's poll."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[str, str]] = loop.create_future()
        self._pending.append((args, future))
        if self._flush is None:
            self._flush = loop.create_task(self._send_later())
        header, payload = await future
        return header, payload, len(header) + len(payload) + 2

    async def _send_later(self) -> None:
        await asyncio.sleep(self.window)
        batch, self._pending = self._pending, []
        self._flush = None
        self._sending = asyncio.current_task()
        batch = [(args, future) for args, future in batch if not future.done()]
        if not batch:
            return
        share = max(MIN_SHARE, self.budget // len(batch))
        polls = [(p, o, i, min(n, share), lines) for (p, o, i, n, lines), _ in batch]
        self.commands += 1
        self.polls += len(batch)
        try:
            result = await self.machine.run(batch_command(polls))
            lines = result.output.split("\n")
            if len(lines) < 2 * len(batch):
                raise ApiError(
                    f"tail on {self.machine.name} failed: "
                    f"{(result.error or result.output).strip()[:300]}"
                )
        except BaseException as exc:
            for _, future in batch:
                if future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for k, (_, future) in enumerate(batch):
            if not future.done():
                future.set_result((lines[2 * k], lines[2 * k + 1]))


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
            return _parse(header, payload)
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
    "batch_command",
    "tail_lines",
    "tail_remote_file",
]
