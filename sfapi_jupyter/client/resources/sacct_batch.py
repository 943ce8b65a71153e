"""Shared sacct requests: concurrent look-ups of jobs on one machine cost one request.

sacct (``GET /compute/jobs/{machine}?sacct=true``) reports pending, running and ended jobs
alike, so one query tells a job's state wherever it is. ``machine.job()``, ``job.refresh()``
and the watcher's ticks all ask through the machine's :class:`SacctBatcher`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._loop import settle

if TYPE_CHECKING:
    from .machine import AsyncMachine

#: Job ids per listing request (about 4 KB of URL, under the 8 KB proxies allow).
MAX_IDS_PER_REQUEST = 500

Row = dict[str, Any]


@dataclass(eq=False)
class _Batch:
    """Job ids gathered for one shared sacct request, and its answer."""

    future: asyncio.Future[list[Row]]
    ids: set[str] = field(default_factory=set)
    cached: bool = True


def rows_of(jobid: str, rows: list[Row]) -> list[Row]:
    """The rows of one job among a batch's sacct rows (an array's: all its tasks).

    Job steps (``12.batch``, ``12.extern``) are left out.
    """
    jobid = str(jobid)
    mine = []
    for row in rows:
        display = str(row.get("jobid", ""))
        if "." in display:
            continue
        raw = str(row.get("jobidraw", display))
        if jobid in (raw, display) or display.partition("_")[0] == jobid:
            mine.append(row)
    return mine


class SacctBatcher:
    """One machine's shared sacct requests.

    Callers that ask while a request is being gathered join it; callers that ask while one
    is in flight share the next one, sent as soon as the first returns (as NERSC's client
    batches concurrent look-ups). Each caller gets the rows of the whole batch. One caller
    asking ``cached=False`` makes the shared request bypass the API's cache. ``requests``
    counts the requests sent (diagnostics and tests).
    """

    def __init__(self, machine: AsyncMachine) -> None:
        self.machine = machine
        self.requests = 0
        self._batch: _Batch | None = None
        self._in_flight: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def pending_tasks(self) -> list[asyncio.Task[None]]:
        """The requests being gathered or sent (the machine cancels them on close)."""
        return [t for t in self._tasks if not t.done()]

    async def rows(self, jobids: Iterable[str], *, cached: bool = True) -> list[Row]:
        batch = self._batch
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._batch = _Batch(loop.create_future())
            task = loop.create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.ids.update(str(j) for j in jobids)
        batch.cached = batch.cached and cached
        return await asyncio.shield(batch.future)

    async def _send(self, batch: _Batch) -> None:
        me = asyncio.current_task()
        try:
            await settle(batch.future, self._fetch(batch, me), lambda: self._forget(batch))
        finally:
            if self._in_flight is me:
                self._in_flight = None

    async def _fetch(self, batch: _Batch, me: asyncio.Task[Any] | None) -> list[Row]:
        if self._in_flight is not None:
            await asyncio.wait([self._in_flight])
        await asyncio.sleep(0)  # callers started in the same loop pass join this batch
        self._in_flight = me
        self._batch = None  # from here on, new callers gather the next batch
        ids = sorted(batch.ids, key=lambda j: (len(j), j))
        rows: list[Row] = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            self.requests += 1
            chunk = ids[start : start + MAX_IDS_PER_REQUEST]
            rows += await self.machine.fetch_rows(chunk, sacct=True, cached=batch.cached)
        return rows

    def _forget(self, batch: _Batch) -> None:
        if self._batch is batch:
            self._batch = None
