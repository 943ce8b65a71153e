"""The queue: a live ``QueueTable`` of your jobs, with the recorded ones that ended.

:func:`queue_table` is what ``%sfjobs`` shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ..client import AsyncJob, AsyncMachine, Client, JobInfo, JobState, Machine, SfApiError
from ..widgets import QueueTable
from ..widgets.support.mainthread import dispatcher
from ._common import resolve_machine, say
from .controllers import Feed
from .records import JobRecord, job_records

log = logging.getLogger(__name__)

#: Seconds between queue refreshes.
QUEUE_INTERVAL = 5.0
#: Recorded jobs shown in a queue table at most (the newest).
MAX_RECORDED = 200


class QueueFeed(Feed[QueueTable]):
    """Periodic refresh of the queue into a ``QueueTable``; ended jobs move to done. Its cancel
    button cancels the selected jobs."""

    def __init__(
        self,
        client: Client,
        table: QueueTable,
        machine: AsyncMachine,
        user: str | None,
        interval: float,
        first_rows: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(client, table)
        self.machine = machine
        self.user = user
        self.interval = interval
        #: The first listing, made before the table was shown (so that it could fail).
        self._first_rows = first_rows
        self.refreshes = 0
        self.answer("cancel", self._cancel)

    def _cancel(self, jobids: list[str]) -> None:
        self.run_soon(_cancel_quietly(self.machine, jobids), lambda _: None)

    def __repr__(self) -> str:
        return f"<QueueFeed {self.machine.name} user={self.user}>"

    async def run(self) -> None:
        assert self._stop is not None
        machine = self.machine
        api_url = machine.client.api_base_url
        newest = await asyncio.to_thread(job_records().jobs, api_url, machine.name)
        recorded = {r.jobid: r for r in newest[:MAX_RECORDED]}
        live: set[str] = set()
        shown_done: set[str] = set()
        first = True
        while not self._stop.is_set():
            try:
                rows, self._first_rows = self._first_rows, None
                if rows is None:
                    rows = await machine.fetch_rows(user=self.user)
                infos = [JobInfo.from_row(r) for r in rows]
                queued = {i.jobid for i in infos}
                gone = live - queued
                if first:
                    gone |= {j for j in recorded if j not in queued}
                ended, done = await self._ended(sorted(gone - shown_done), recorded, first)
                self.widget_call("upsert", infos + ended)
                if done:
                    self.widget_call("mark_done", done)
                    shown_done.update(done)
                    await asyncio.to_thread(self._remember, recorded, ended, done)
                # A job that left squeue but is not in sacct yet is asked about again.
                live = queued | (gone - set(done) - shown_done)
                first = False
                self.refreshes += 1
            except SfApiError as exc:
                log.warning("queue refresh on %s failed: %s", machine.name, exc)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    def _remember(
        self, recorded: dict[str, JobRecord], ended: list[JobInfo], done: list[str]
    ) -> None:
        api_url, machine = self.machine.client.api_base_url, self.machine.name
        for info in ended:
            if info.jobid in recorded and info.jobid in done:
                job_records().set_state(api_url, machine, info.jobid, info.state.value)

    async def _ended(
        self, jobids: list[str], recorded: dict[str, JobRecord], first: bool
    ) -> tuple[list[JobInfo], list[str]]:
        """What sacct says of jobs that left the queue, and which of them have ended.

        On the first refresh, recorded jobs that sacct no longer knows are shown as recorded.
        """
        if not jobids:
            return [], []
        rows = await self.machine.fetch_rows(jobids, sacct=True)
        found = {
            info.jobid: info
            for info in map(JobInfo.from_row, rows)
            if "." not in info.jobid and info.jobid in jobids
        }
        done = [jobid for jobid, info in found.items() if info.is_terminal]
        for jobid in jobids:
            record = recorded.get(jobid)
            if jobid not in found and record is not None and first:
                state, _ = JobState.parse(record.state or "")
                found[jobid] = JobInfo(
                    jobid=jobid,
                    name=record.name,
                    state=state,
                    user=record.user,
                    work_dir=record.work_dir,
                )
                done.append(jobid)
        return list(found.values()), done


def queue_table(
    machine: str | Machine | None = None,
    *,
    all_users: bool = False,
    client: Client | None = None,
    interval: float | None = None,
) -> QueueTable:
    """A live ``QueueTable`` of your jobs (or everyone's), with jobs recorded here that ended.

    Refreshed every ``interval`` seconds (default 5); jobs that leave the queue move to the
    done section with their final state. Its cancel button cancels the selected jobs.
    """
    client, handle = resolve_machine(client, machine)
    user = None if all_users else client.run_coroutine(client.aio.whoami()).name
    # The first listing before any table: a machine the API does not know (or a key that
    # may not list) is an error here, not an empty table that never fills.
    rows = client.run_coroutine(handle.aio.fetch_rows(user=user))
    table = QueueTable(machine=handle.name, user=user or "")
    QueueFeed(client, table, handle.aio, user, interval or QUEUE_INTERVAL, rows).start()
    return table


async def _cancel_quietly(machine: AsyncMachine, jobids: list[str]) -> None:
    for jobid in jobids:
        try:
            await AsyncJob(machine, str(jobid)).cancel()
        except SfApiError as exc:
            text = f"Cancelling job {jobid} failed: {exc.message}"
            dispatcher().call(lambda text=text: say(text, error=True))
