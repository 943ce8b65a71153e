"""The job watcher: see the package docstring of :mod:`sfapi_jupyter.client.watch`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .._errors import (
    NotFoundError,
    SfApiError,
    WaitTimeout,
)
from ..models import JobInfo, JobState
from ..resources.jobs import AsyncJob
from ._entries import PERMANENT_ERRORS, WatchedJob, aggregate_state, task_key
from ._events import JobEvent, JobEventStream

if TYPE_CHECKING:
    from ..resources.machine import AsyncMachine

log = logging.getLogger(__name__)


class JobWatcher:
    """Polls the jobs of one machine together; see the module docstring.

    Normally reached as ``machine.watcher`` (one per client and machine); ``job.wait()``
    and ``machine.submit()`` use it.

    Examples
    --------
    >>> job = await machine.submit(script)                   # doctest: +SKIP
    >>> async for event in machine.watcher.events([job]):    # doctest: +SKIP
    ...     print(event.old.value, "->", event.new.value)
    UNKNOWN -> PENDING
    PENDING -> RUNNING
    RUNNING -> COMPLETED
    """

    def __init__(
        self,
        machine: AsyncMachine,
        *,
        min_interval: float = 1.0,
        steady_interval: float = 4.0,
        max_interval: float = 30.0,
        backoff: float = 1.5,
        fresh_seconds: float = 10.0,
        grace: float = 30.0,
        give_up_after: float | None = 600.0,
        first_look: float = 0.2,
    ) -> None:
        self.machine = machine
        self.min_interval = min_interval
        self.steady_interval = steady_interval
        self.max_interval = max_interval
        self.backoff = backoff
        self.fresh_seconds = fresh_seconds
        self.grace = grace
        self.give_up_after = give_up_after
        #: Seconds from a submit to the first look at the job (submits meanwhile share it).
        self.first_look = first_look
        #: The wait before the next tick, as last planned.
        self.interval = min_interval
        #: Ticks run so far, and the error of the last tick if it failed (diagnostics).
        self.ticks = 0
        self.last_error: SfApiError | None = None
        self._watched: dict[str, WatchedJob] = {}
        self._callbacks: list[Callable[[JobEvent], Any]] = []
        self._streams: weakref.WeakSet[JobEventStream] = weakref.WeakSet()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._next_tick = 0.0
        #: (first, last) loop time of the submits of the current burst (None: no burst).
        self._burst: tuple[float, float] | None = None

    # -- what is watched ----------------------------------------------------------------------
    def watch(self, job: AsyncJob, *, just_submitted: bool = False) -> None:
        """Follow ``job`` until it ends (a job already followed is not followed twice)."""
        now = asyncio.get_running_loop().time()
        entry = self._watched.get(job.jobid)
        fresh_entry = entry is None or entry.error is not None  # a failed watch starts over
        if entry is None or entry.error is not None:
            entry = WatchedJob(job, now, job.state)
            self._watched[job.jobid] = entry
            self.interval = self.min_interval
            if job.info is not None:
                self._emit(JobEvent(job.jobid, JobState.UNKNOWN, job.state, job))
            if job.is_terminal:
                entry.done.set()
        elif job is not entry.job:
            entry.handles.add(job)
            if entry.job.info is not None:
                job.info = entry.job.info
        if just_submitted:
            entry.fresh_until = max(entry.fresh_until, now + self.fresh_seconds)
            self.interval = self.min_interval
            new_burst = self._burst is None or now - self._burst[1] > self.first_look
            self._burst = (now if new_burst or not self._burst else self._burst[0], now)
        if (fresh_entry or just_submitted) and not entry.done.is_set():
            # Nothing known yet: look now. Just submitted: look soon, in one request with
            # the jobs submitted meanwhile. Otherwise batch with whatever else arrives.
            if job.info is None:
                delay = 0.0
            elif just_submitted:
                delay = self.first_look
            else:
                delay = self._steady()  # it was just looked at
            self._schedule(now + delay)
        elif not entry.done.is_set() and not self._running():
            self._schedule(now)

    @property
    def watched(self) -> list[AsyncJob]:
        return [w.job for w in self._watched.values()]

    def _active(self) -> list[WatchedJob]:
        return [w for w in self._watched.values() if not w.done.is_set()]

    def tasks_of(self, jobid: str) -> list[JobInfo]:
        """The array tasks seen for ``jobid`` (one entry for a plain job)."""
        entry = self._watched.get(str(jobid))
        return list(entry.tasks.values()) if entry else []

    # -- subscribers ----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[JobEvent], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` on every state change; returns the unsubscribe function.

        Callbacks run on the client's event loop and must not block it.

        Examples
        --------
        >>> stop = watcher.subscribe(lambda e: print(e.jobid, e.new.value))  # doctest: +SKIP
        >>> stop()                                                           # doctest: +SKIP
        """
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def events(self, jobs: Iterable[AsyncJob | str] | None = None) -> JobEventStream:
        """State changes as an async iterator, from now on.

        With ``jobs``, only theirs: each job's current state comes first (``old`` UNKNOWN)
        and the iteration ends once all of them have ended. Without, every watched job's
        events until ``close()`` or the watcher stops.
        """
        stream = JobEventStream(
            None if jobs is None else set(), self._is_done, self._streams.discard
        )
        self._streams.add(stream)
        for item in jobs or ():
            job = item if isinstance(item, AsyncJob) else AsyncJob(self.machine, str(item))
            assert stream.jobids is not None
            stream.jobids.add(job.jobid)
            entry = self._watched.get(job.jobid)
            if entry is None or entry.error is not None:
                self.watch(job)  # emits the current state, if known, to the stream
            elif entry.state is not JobState.UNKNOWN:
                stream.offer(JobEvent(job.jobid, JobState.UNKNOWN, entry.state, entry.job))
        return stream

    def _is_done(self, jobid: str) -> bool:
        entry = self._watched.get(jobid)
        return entry is None or entry.done.is_set()

    def _emit(self, event: JobEvent) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not stop the poller
                log.exception("job event callback failed for %s", event.jobid)
        for stream in list(self._streams):
            stream.offer(event)

    # -- waiting --------------------------------------------------------------------------------
    async def wait(self, job: AsyncJob, timeout: float | None = None) -> AsyncJob:
        """Until ``job`` reaches a terminal state.

        Raises
        ------
        WaitTimeout
            ``timeout`` seconds passed first (the job stays watched).
        NotFoundError
            The job was in neither squeue nor sacct for ``grace`` seconds.
        SfApiError
            The API failed in a way polling again cannot fix.

        Examples
        --------
        >>> await machine.watcher.wait(job, timeout=600)    # doctest: +SKIP
        <Job 12 on perlmutter: COMPLETED>
        """
        self.watch(job)
        entry = self._watched[job.jobid]
        try:
            await asyncio.wait_for(entry.done.wait(), timeout)
        except asyncio.TimeoutError:
            raise WaitTimeout(
                f"Job {job.jobid} on {self.machine.name} is still {entry.state.value} "
                f"after {timeout:g} s"
            ) from None
        if entry.error is not None:
            raise entry.error
        if entry.job.info is not None:
            job.info = entry.job.info
        return job

    # -- the loop -------------------------------------------------------------------------------
    def _schedule(self, when: float) -> None:
        self._next_tick = min(self._next_tick, when) if self._running() else when
        self._wake.set()
        if not self._running():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"job-watcher-{self.machine.name}"
            )

    def _running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop polling; waiters of unfinished jobs get an error, event streams end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for entry in self._active():
            self._fail(entry, SfApiError("The job watcher was stopped (the client was closed)"))
        for stream in list(self._streams):
            stream.close()

    def _fail(self, entry: WatchedJob, error: BaseException) -> None:
        entry.error = error
        entry.done.set()
        for stream in list(self._streams):
            stream.offer(None)  # lets a stream following only this job end

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failing_since: float | None = None
        me = asyncio.current_task()
        try:
            # ``stop()`` forgets the task before cancelling it: on Python 3.11, wait_for
            # swallows a cancel that arrives as the wake event is set (e.g. by a submit), and
            # the loop must end anyway instead of polling until every job has ended.
            while self._active() and self._task is me:
                while (delay := max(self._next_tick, self._burst_hold()) - loop.time()) > 0:
                    self._wake.clear()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
                    if not self._active() or self._task is not me:
                        return
                self._burst = None  # a submit from now on starts a new burst
                try:
                    changed = await self.poll_once()
                except PERMANENT_ERRORS as exc:
                    for entry in self._active():
                        self._fail(entry, exc)
                    return
                except SfApiError as exc:
                    # The client's own retries already ran: the API is having trouble.
                    self.last_error = exc
                    now = loop.time()
                    failing_since = now if failing_since is None else failing_since
                    if self.give_up_after is not None and now - failing_since >= self.give_up_after:
                        for entry in self._active():
                            self._fail(entry, exc)
                        return
                    log.warning("job watcher on %s: %s", self.machine.name, exc)
                    self.interval = min(
                        max(self.interval, self.min_interval) * 2, self.max_interval
                    )
                else:
                    failing_since, self.last_error = None, None
                    self.interval = self._plan(changed, loop.time())
                self._next_tick = loop.time() + self.interval
        except Exception as exc:  # a bug here must not leave waiters hanging forever
            log.exception("job watcher on %s failed", self.machine.name)
            for entry in self._active():
                self._fail(entry, exc)

    def _burst_hold(self) -> float:
        """No tick while submits keep coming (every look would compete with them for the
        API): until ``first_look`` after the last submit of a burst, but at most
        ``steady_interval`` after its first (a long burst still gets a look now and then)."""
        if self._burst is None:
            return 0.0
        first, last = self._burst
        return min(last + self.first_look, first + self._steady())

    def _steady(self) -> float:
        return min(max(self.steady_interval, self.min_interval), self.max_interval)

    def _plan(self, changed: bool, now: float) -> float:
        """The wait before the next tick: what is changing sets the pace.

        ``min_interval`` while a job is fresh from submit or missing (its state is about to
        show); ``steady_interval`` after a tick that saw a change (jobs are ending: one
        request every few seconds tells about all of them); growing by ``backoff`` while
        nothing changes, up to ``max_interval``.
        """
        active = self._active()
        if any(w.fresh_until > now or w.missing_since is not None for w in active):
            return self.min_interval
        if changed:
            return self._steady()
        return min(max(self.interval, self._steady()) * self.backoff, self.max_interval)

    async def poll_once(self) -> bool:
        """One tick: one sacct request for every watched job that has not ended.

        sacct knows pending, running and ended jobs alike, so one query answers for all of
        them (the request is shared with concurrent ``machine.job()`` look-ups). Returns
        whether any job changed state.
        """
        async with self._lock:
            active = self._active()
            if not active:
                return False
            self.ticks += 1
            now = asyncio.get_running_loop().time()
            cached = not any(w.fresh_until > now for w in active)
            rows = await self.machine.sacct_rows([w.job.jobid for w in active], cached=cached)
            seen = self._assign(rows, active)
            now = asyncio.get_running_loop().time()
            changed = False
            for entry in active:
                # not replaced meanwhile by a fresh watch (a failed watch starts over)
                if self._watched.get(entry.job.jobid) is entry:
                    changed |= self._settle(entry, seen.get(entry.job.jobid), now)
            return changed

    @staticmethod
    def _assign(
        rows: list[dict[str, Any]], entries: list[WatchedJob]
    ) -> dict[str, dict[str, JobInfo]]:
        """Group rows by the watched job they belong to (an array's tasks by its array id)."""
        by_id = {w.job.jobid: w for w in entries}
        seen: dict[str, dict[str, JobInfo]] = {}
        for row in rows:
            if "." in str(row.get("jobid", "")):  # a sacct job step (12.batch, 12.extern)
                continue
            info = JobInfo.from_row(dict(row))
            key = task_key(info)
            for name in {info.jobid, key, info.array_job_id}:
                if name and name in by_id:
                    seen.setdefault(name, {})[key] = info
        return seen

    def _settle(self, entry: WatchedJob, rows: dict[str, JobInfo] | None, now: float) -> bool:
        job = entry.job
        if not rows:
            if entry.missing_since is None:
                entry.missing_since = now
            if now - entry.missing_since >= self.grace:
                where = "left the queue and is not in sacct" if job.info else "never appeared"
                self._fail(
                    entry,
                    NotFoundError(
                        f"Job {job.jobid} {where} on {self.machine.name} "
                        f"(waited {self.grace:g} s for it)"
                    ),
                )
            return False
        entry.missing_since = None
        # Keep what this tick did not mention: ended tasks, and live ones until sacct
        # reports them. A pending remainder such as 12_[3-9%2] goes as its tasks start.
        kept = {k: v for k, v in entry.tasks.items() if "[" not in k}
        entry.tasks = kept | rows
        infos = list(entry.tasks.values())
        if len(infos) == 1 and infos[0].array_task_id is None:
            new_info = infos[0]
        else:
            state = aggregate_state(infos)
            base = next((i for i in infos if i.state is state), infos[0])
            new_info = base.model_copy(update={"state": state, "jobid": job.jobid})
        for handle in (job, *entry.handles):
            handle.info = new_info
        old, entry.state = entry.state, new_info.state
        if new_info.is_terminal:
            entry.done.set()
        if new_info.state is old:
            return False
        self._emit(JobEvent(job.jobid, old, new_info.state, job))
        return True
