"""Job watchers: one shared poller per client and machine.

However many jobs are watched, one tick costs one batched squeue request
(``kwargs=jobid=a,b,c``; ``cached=false`` while a job is fresh from submit) plus one sacct
request for the jobs that have left the queue, and nothing for jobs already ended. The
interval adapts: short right after a submit and around state changes, backing off while
nothing changes, never above ``max_interval``. A job not found right after submit is
given ``grace`` seconds to show up (the API's cache can lag). Polling stops for a job at
every terminal state, and the loop stops when no job is left to watch.

Subscribers get :class:`JobEvent`\\ s through callbacks (:meth:`JobWatcher.subscribe`) or an
async iterator (:meth:`JobWatcher.events`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .client._errors import NotFoundError, SfApiError
from .client.models import JobInfo, JobState
from .client.resources.jobs import AsyncJob

if TYPE_CHECKING:
    from .client.resources.machine import AsyncMachine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobEvent:
    """A watched job changed state (``old`` is UNKNOWN the first time it is seen)."""

    jobid: str
    old: JobState
    new: JobState
    job: AsyncJob

    @property
    def is_terminal(self) -> bool:
        return self.new.is_terminal


@dataclass
class _Watched:
    job: AsyncJob
    added: float
    fresh_until: float
    done: asyncio.Event = field(default_factory=asyncio.Event)
    #: Array tasks by their own job id (an array is watched by its array job id).
    tasks: dict[str, JobInfo] = field(default_factory=dict)
    error: SfApiError | None = None


def aggregate_state(infos: list[JobInfo]) -> JobState:
    """One state for an array: running if any runs, pending if any waits, else the worst end."""
    states = [i.state for i in infos]
    for state in (JobState.RUNNING, JobState.COMPLETING, JobState.CONFIGURING, JobState.PENDING):
        if state in states:
            return state
    for info in infos:
        if info.state is not JobState.COMPLETED:
            return info.state
    return JobState.COMPLETED if states else JobState.UNKNOWN


class JobWatcher:
    """Polls the jobs of one machine together; see the module docstring."""

    def __init__(
        self,
        machine: AsyncMachine,
        *,
        min_interval: float = 1.0,
        max_interval: float = 30.0,
        fresh_seconds: float = 10.0,
        grace: float = 30.0,
    ) -> None:
        self.machine = machine
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.fresh_seconds = fresh_seconds
        self.grace = grace
        self.interval = min_interval
        self._watched: dict[str, _Watched] = {}
        self._callbacks: list[Callable[[JobEvent], None]] = []
        self._queues: list[asyncio.Queue[JobEvent]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        #: Ticks run so far (diagnostics and tests).
        self.ticks = 0

    # -- what is watched --------------------------------------------------------------------
    def watch(self, job: AsyncJob, *, just_submitted: bool = False) -> None:
        """Follow ``job`` until it ends (no-op if already followed)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        entry = self._watched.get(job.jobid)
        if entry is None:
            entry = _Watched(job, now, now + (self.fresh_seconds if just_submitted else 0))
            self._watched[job.jobid] = entry
            if job.is_terminal:
                entry.done.set()
        elif entry.job is not job and job.info is None:
            job.info = entry.job.info
        if just_submitted:
            self.interval = self.min_interval / 2
        self._ensure_running()
        self._wake.set()

    def unwatch(self, jobid: str) -> None:
        self._watched.pop(str(jobid), None)

    @property
    def watched(self) -> list[AsyncJob]:
        return [w.job for w in self._watched.values()]

    def _active(self) -> list[_Watched]:
        return [w for w in self._watched.values() if not w.done.is_set()]

    # -- subscribers --------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[JobEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every state change; returns the unsubscribe function."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def events(self) -> AsyncIterator[JobEvent]:
        """State changes as they happen (runs until the consumer stops iterating)."""
        queue: asyncio.Queue[JobEvent] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)

    def _emit(self, event: JobEvent) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not stop the poller
                log.exception("job event callback failed for %s", event.jobid)
        for queue in self._queues:
            queue.put_nowait(event)

    # -- waiting ------------------------------------------------------------------------------
    async def wait(self, job: AsyncJob, timeout: float | None = None) -> AsyncJob:
        """Until ``job`` reaches a terminal state; raises TimeoutError, NotFoundError."""
        self.watch(job)
        entry = self._watched[job.jobid]
        try:
            await asyncio.wait_for(entry.done.wait(), timeout)
        except asyncio.TimeoutError:
            from .client._errors import TimeoutError as SfTimeoutError

            raise SfTimeoutError(
                f"Job {job.jobid} is still {job.state.value} after {timeout} s"
            ) from None
        if entry.error is not None:
            raise entry.error
        if entry.job is not job:
            job.info = entry.job.info
        return job

    # -- the loop -----------------------------------------------------------------------------
    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"job-watcher-{self.machine.name}"
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while self._active():
            self._wake.clear()
            try:
                changed = await self.poll_once()
            except SfApiError as exc:
                # The API is having trouble; the client's retries already ran. Back off.
                log.warning("job watcher on %s: %s", self.machine.name, exc)
                changed = False
                self.interval = min(self.interval * 2, self.max_interval)
            loop = asyncio.get_running_loop()
            if changed or any(w.fresh_until > loop.time() for w in self._active()):
                self.interval = self.min_interval
            else:
                self.interval = min(self.interval * 1.5, self.max_interval)
            if not self._active():
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    async def poll_once(self) -> bool:
        """One tick: one squeue request, plus one sacct request if jobs left the queue."""
        active = self._active()
        if not active:
            return False
        self.ticks += 1
        loop = asyncio.get_running_loop()
        now = loop.time()
        fresh = any(w.fresh_until > now for w in active)
        ids = [w.job.jobid for w in active]
        rows = await self.machine.fetch_rows(ids, cached=not fresh)
        seen = self._assign(rows, active)
        gone = [w for w in active if w.job.jobid not in seen]
        if gone:
            rows = await self.machine.fetch_rows(
                [w.job.jobid for w in gone], sacct=True, cached=False
            )
            seen.update(self._assign(rows, gone))
        changed = False
        for entry in active:
            changed |= self._settle(entry, seen.get(entry.job.jobid), now)
        return changed

    @staticmethod
    def _assign(
        rows: list[dict[str, object]], entries: list[_Watched]
    ) -> dict[str, dict[str, JobInfo]]:
        """Group this tick's rows by the watched job they belong to (arrays by array id)."""
        by_id = {w.job.jobid: w for w in entries}
        seen: dict[str, dict[str, JobInfo]] = {}
        for row in rows:
            info = JobInfo.from_row(dict(row))
            owner = by_id.get(info.jobid) or by_id.get(info.array_job_id or "")
            if owner is None:
                continue
            key = info.jobid
            if info.array_task_id is not None:
                key = f"{info.array_job_id}_{info.array_task_id}"
            seen.setdefault(owner.job.jobid, {})[key] = info
        return seen

    def _settle(self, entry: _Watched, rows: dict[str, JobInfo] | None, now: float) -> bool:
        job = entry.job
        if rows is None:
            if now - entry.added > self.grace and job.info is None:
                entry.error = NotFoundError(
                    f"Job {job.jobid} never appeared on {self.machine.name} "
                    f"within {self.grace:.0f} s of being watched"
                )
                entry.done.set()
            return False
        # Ended tasks never change; everything else is as this tick saw it (a pending
        # remainder like 12_[3-9%2] disappears as its tasks start).
        entry.tasks = {k: v for k, v in entry.tasks.items() if v.is_terminal} | rows
        infos = list(entry.tasks.values())
        if len(infos) == 1:
            new_info = infos[0]
        else:
            base = entry.tasks.get(job.jobid) or min(infos, key=lambda i: i.jobid)
            new_info = base.model_copy(update={"state": aggregate_state(infos)})
        old = job.state
        job.info = new_info
        if new_info.state is not old:
            self._emit(JobEvent(job.jobid, old, new_info.state, job))
        if new_info.is_terminal:
            entry.done.set()
        return new_info.state is not old

    def tasks_of(self, jobid: str) -> list[JobInfo]:
        """The array tasks seen for ``jobid`` (one entry for a plain job)."""
        entry = self._watched.get(str(jobid))
        return list(entry.tasks.values()) if entry else []
