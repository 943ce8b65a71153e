"""One remote command per poll for every file followed on a machine.

The polls of all the tails of one machine (:class:`~sfapi_jupyter.client.tail.RemoteTail`)
that fall within :data:`BATCH_WINDOW` of each other are sent as one shell command, which
reads the new bytes of each file in turn: following N files costs one command per poll, not
N. Tails sleeping between polls wake on shared beats of the machine's clock
(:meth:`TailBatcher.aligned`), so that tails at different back-off stages still share.
Each file's new bytes are gzip-compressed (when the machine has gzip, as every login node
does), then base64-encoded.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import math
import shlex
from typing import TYPE_CHECKING, Any

from ._errors import ApiError

if TYPE_CHECKING:
    from .resources.machine import AsyncMachine

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

# A path arrives quoted, so the shell does not expand "~": the script does, as the remote
# shell would for the user ("~" and "~/..." are the user's home there).
# For each file, five arguments: path, offset, inode last read ("" if none), chunk size,
# lines ("" if none). Each file answers two lines: a header (MISSING, NOTFILE, or
# "<size> <inode> <start> <reason> <encoding>") and its new bytes (gzip, then base64; empty
# when there are none).
_SCRIPT = r"""
z=b64; command -v gzip >/dev/null 2>&1 && z=gz
one() {
  f=$1 o=$2 i=$3 n=$4 l=$5
  case $f in "~") f=$HOME ;; "~/"*) f=$HOME/${f#"~/"} ;; esac
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


#: What one poll asks of one file: path, offset, inode, chunk size, lines.
PollArgs = tuple[str, int, int | None, int, int | None]


def batch_command(polls: list[PollArgs]) -> str:
    """One shell command that polls every file of ``polls`` in turn."""
    args: list[str] = []
    for path, offset, inode, chunk_size, lines in polls:
        args += [path, str(offset), "" if inode is None else str(inode), str(chunk_size)]
        args.append("" if lines is None else str(lines))
    return f"bash -c {shlex.quote(_SCRIPT)} tail {shlex.join(args)}"


def parse_poll(header: str, payload: str) -> tuple[str, int, int, int, str, bytes]:
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


__all__ = [
    "BATCH_BUDGET",
    "BATCH_GRID",
    "BATCH_WINDOW",
    "TailBatcher",
    "batch_command",
    "parse_poll",
]
