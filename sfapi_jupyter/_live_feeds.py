"""The coroutines that keep live widgets up to date (used by :mod:`sfapi_jupyter.live`).

Each feed runs on the client's loop thread. It never touches a widget there: every widget
call goes through :func:`~sfapi_jupyter._mainthread.dispatcher` and so runs on the kernel's
main thread (ipykernel 7 mis-routes comm messages sent from other threads). A feed holds
its widget only weakly, and stops when the widget is closed or collected, or on ``stop()``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from ._mainthread import dispatcher
from .client import JobInfo, JobState, SfApiError
from .records import JobRecord, job_records

if TYPE_CHECKING:
    from .client import AsyncJob, AsyncMachine, Client

log = logging.getLogger(__name__)

#: Seconds between two looks at a file being followed, and between queue refreshes.
TAIL_INTERVAL = 1.0
QUEUE_INTERVAL = 5.0
#: Recorded jobs shown in a queue table at most (the newest).
MAX_RECORDED = 200
_WAITING = (JobState.UNKNOWN, JobState.PENDING, JobState.CONFIGURING, JobState.REQUEUED)


#: The feed of each live widget, and the display id of widgets shown with one.
FEEDS: weakref.WeakKeyDictionary[Any, Feed] = weakref.WeakKeyDictionary()
DISPLAY_IDS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def call(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` on the kernel's main thread."""
    dispatcher().call(fn, *args)


def closed(widget: Any) -> bool:
    """Whether a widget is gone: collected, or closed (ipywidgets drops its comm)."""
    return widget is None or getattr(widget, "comm", True) is None


def output_paths(job: AsyncJob, record: JobRecord | None) -> tuple[str | None, str | None]:
    """A job's stdout and stderr files, from its script's directives (recorded) or Slurm's default.

    The stderr path is None when stderr goes to the stdout file.
    """
    from .client.scripts import SbatchDirectives, default_output_path

    info = job.info
    work_dir = (info.work_dir if info else None) or (record.work_dir if record else None)
    if not work_dir:
        return None, None
    # squeue/sacct's work dir already has --chdir applied; a recorded one has not.
    chdir = None if info and info.work_dir else (record.chdir if record else None)
    directives = SbatchDirectives(
        job_name=(info.name if info else None) or (record.job_name if record else None),
        output=record.output if record else None,
        error=record.error if record else None,
        array=(record.array if record else None) or (info.array_task_id if info else None),
        chdir=chdir,
    )
    first_task = None
    if directives.array:
        match = re.match(r"\[?(\d+)", directives.array)
        first_task = int(match[1]) if match else None
    user = (info.user if info else None) or (record.user if record else None) or ""
    jobid = (info.array_job_id if info else None) or job.jobid
    options = {"user": user, "array_job_id": jobid, "array_task_id": first_task}
    stdout = default_output_path(directives, jobid, work_dir, **options)  # type: ignore[arg-type]
    stderr = default_output_path(directives, jobid, work_dir, error=True, **options)  # type: ignore[arg-type]
    return stdout, (None if stderr == stdout else stderr)


class Feed:
    """A coroutine on the client's loop thread that feeds one widget."""

    def __init__(self, client: Client, widget: Any) -> None:
        self.client = client
        self._widget = weakref.ref(widget)
        self._stop: asyncio.Event | None = None
        self.future: concurrent.futures.Future[None] | None = None

    @property
    def widget(self) -> Any:
        return self._widget()

    @property
    def running(self) -> bool:
        return self.future is not None and not self.future.done()

    def start(self) -> Feed:
        self.future = self.client.loop_thread.submit(self._main())
        return self

    def stop(self) -> None:
        """Ask the feed to end (it reads what is left of a file first)."""
        loop = self.client.loop_thread.loop
        if self.running and not loop.is_closed():
            loop.call_soon_threadsafe(self._set_stop)

    def _set_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        watchdog = asyncio.get_running_loop().create_task(self._watch_widget())
        try:
            await self.run()
        except Exception:  # a feed's bug must not go unnoticed, nor kill the loop
            log.exception("live widget feed %r failed", self)
        finally:
            watchdog.cancel()

    async def _watch_widget(self) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            if closed(self.widget):
                self._stop.set()
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 2.0)

    async def run(self) -> None:
        raise NotImplementedError

    def widget_call(self, method: str, *args: Any) -> None:
        """``widget.method(*args)`` on the main thread, if the widget is still there."""
        ref = self._widget

        def apply() -> None:
            widget = ref()
            if not closed(widget):
                getattr(widget, method)(*args)

        call(apply)

    async def follow_file(
        self,
        machine: AsyncMachine,
        path: str,
        emit: Callable[[str], None],
        *,
        restarted: Callable[[str], None] | None = None,
        stop: asyncio.Event,
        follow: bool = True,
        lines: int | None = None,
    ) -> None:
        """Send the text of ``path`` to ``emit`` until ``stop`` (then read the rest).

        ``restarted(reason)`` is told when the file was truncated or replaced.
        """
        tail = machine.tail(path, follow=follow, lines=lines, stop=stop, interval=TAIL_INTERVAL)
        try:
            async for chunk in tail:
                reset = getattr(chunk, "reset", None)
                if reset and restarted is not None:
                    restarted(reset)
                if chunk:
                    emit(str(chunk))
        finally:
            aclose = getattr(tail, "aclose", None)
            if aclose is not None:
                await aclose()


class CardFeed(Feed):
    """State, array tasks and stdout/stderr of one job, into a ``JobCard``."""

    def __init__(
        self,
        client: Client,
        card: Any,
        job: AsyncJob,
        paths: tuple[str | None, str | None],
        on_end: Callable[[], None],
    ) -> None:
        super().__init__(client, card)
        self.job = job
        self.paths = paths
        self._on_end = on_end

    def __repr__(self) -> str:
        return f"<CardFeed job {self.job.jobid} on {self.job.machine.name}>"

    def _show(self) -> None:
        job, watcher = self.job, self.job.machine.watcher
        if job.info is not None:
            self.widget_call("set_job", job.info)
        tasks = watcher.tasks_of(job.jobid)
        if len(tasks) > 1 or any(t.array_task_id is not None for t in tasks):
            self.widget_call("set_array_tasks", tasks)

    async def run(self) -> None:
        job = self.job
        watcher = job.machine.watcher
        assert self._stop is not None
        started, ended = asyncio.Event(), asyncio.Event()

        def on_event(event: Any) -> None:
            if event.jobid == job.jobid:
                self._show()
                if event.new not in _WAITING:
                    started.set()

        unsubscribe = watcher.subscribe(on_event)
        tails = []
        try:
            self._show()
            if job.state not in _WAITING:
                started.set()
            for path, stream in zip(self.paths, ("stdout", "stderr"), strict=True):
                if path:
                    tails.append(asyncio.create_task(self._tail(path, stream, started, ended)))
            waiting = asyncio.create_task(watcher.wait(job))
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait([waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if waiting.done() and waiting.exception() is not None:
                error = waiting.exception()
                text = error.message if isinstance(error, SfApiError) else str(error)
                self.widget_call("set_message", text, "error")
            elif not waiting.done():
                waiting.cancel()
            ended.set()
            started.set()
            await asyncio.gather(*tails, return_exceptions=True)
            self._show()
            if job.is_terminal:
                api_url, machine = job.machine.client.api_base_url, job.machine.name
                await asyncio.to_thread(
                    job_records().set_state, api_url, machine, job.jobid, job.state.value
                )
        finally:
            unsubscribe()
            if job.is_terminal:
                call(self._on_end)

    async def _tail(
        self, path: str, stream: str, started: asyncio.Event, ended: asyncio.Event
    ) -> None:
        await started.wait()
        try:
            await self.follow_file(
                self.job.machine, path,
                lambda text: self.widget_call("append_output", text, stream),
                stop=ended,
            )  # fmt: skip
        except SfApiError as exc:
            self.widget_call("set_message", f"Cannot read {path}: {exc.message}", "warning")


class TailFeed(Feed):
    """A remote file (or a job's output files, until the job ends) into a ``LogTail``."""

    def __init__(
        self,
        client: Client,
        log_tail: Any,
        machine: AsyncMachine,
        paths: list[str],
        *,
        job: AsyncJob | None = None,
        follow: bool = True,
        lines: int | None = None,
    ) -> None:
        super().__init__(client, log_tail)
        self.machine = machine
        self.paths = paths
        self.job = job
        self.follow = follow
        self.lines = lines

    def __repr__(self) -> str:
        return f"<TailFeed {', '.join(self.paths)} on {self.machine.name}>"

    async def run(self) -> None:
        assert self._stop is not None
        stop, job = self._stop, self.job
        waiter = None
        if job is not None and self.follow:

            async def until_job_ends() -> None:
                with contextlib.suppress(SfApiError):
                    await job.machine.watcher.wait(job)
                stop.set()

            waiter = asyncio.create_task(until_job_ends())
        self.widget_call("set_status", "following" if self.follow else "reading")
        results = await asyncio.gather(
            *(self._one(path, stop) for path in self.paths), return_exceptions=True
        )
        if waiter is not None:
            waiter.cancel()
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            error = errors[0]
            text = error.message if isinstance(error, SfApiError) else str(error)
            self.widget_call("set_status", f"error: {text}")
        elif job is not None and job.is_terminal:
            self.widget_call("set_status", f"job {job.jobid} ended {job.state.value}")
        else:
            self.widget_call("set_status", "stopped" if self.follow else "end of file")

    async def _one(self, path: str, stop: asyncio.Event) -> None:
        await self.follow_file(
            self.machine, path, lambda text: self.widget_call("append", text),
            restarted=lambda _reason: self.widget_call("clear"),
            stop=stop, follow=self.follow, lines=self.lines,
        )  # fmt: skip


class QueueFeed(Feed):
    """Periodic refresh of the queue into a ``QueueTable``; ended jobs move to done."""

    def __init__(
        self,
        client: Client,
        table: Any,
        machine: AsyncMachine,
        user: str | None,
        interval: float,
    ) -> None:
        super().__init__(client, table)
        self.machine = machine
        self.user = user
        self.interval = interval
        self.refreshes = 0

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
                found[jobid] = JobInfo(jobid=jobid, name=record.name, state=state,
                                       user=record.user, work_dir=record.work_dir)  # fmt: skip
                done.append(jobid)
        return list(found.values()), done


def run_soon(client: Client, coro: Coroutine[Any, Any, Any], then: Callable[[Any], None]) -> None:
    """Run ``coro`` on the loop thread; ``then(result or exception)`` on the main thread."""
    future = client.loop_thread.submit(coro)

    def done(f: concurrent.futures.Future[Any]) -> None:
        if f.cancelled():
            return
        error = f.exception()
        call(then, error if error is not None else f.result())

    future.add_done_callback(done)
