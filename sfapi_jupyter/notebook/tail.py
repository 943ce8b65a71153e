"""Following remote files: a live ``LogTail`` of a file, or of a job's output until it ends.

:func:`log_tail` is what ``%sftail`` shows.
"""

from __future__ import annotations

import asyncio
import contextlib

from ..client import AsyncJob, AsyncMachine, Client, Job, Machine, NotFoundError, SfApiError
from ..widgets import LogTail
from ._common import as_job, resolve_machine
from .controllers import Feed
from .jobs import output_paths
from .records import job_records


class TailFeed(Feed[LogTail]):
    """A remote file (or a job's output files, until the job ends) into a ``LogTail``."""

    def __init__(
        self,
        client: Client,
        log_tail: LogTail,
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
            self.machine,
            path,
            lambda text: self.widget_call("append", text),
            restarted=lambda _reason: self.widget_call("clear"),
            stop=stop,
            follow=self.follow,
            lines=self.lines,
        )


def log_tail(
    job_or_path: Job | AsyncJob | str | int,
    machine: str | Machine | None = None,
    *,
    lines: int | None = None,
    follow: bool = True,
    client: Client | None = None,
) -> LogTail:
    """A live ``LogTail`` of a remote file, or of a job's stdout/stderr until the job ends.

    Parameters
    ----------
    job_or_path
        A job (handle or id: its output files come from its recorded ``#SBATCH
        --output/--error``, else Slurm's default) or a path on the machine.
    lines
        Start with the last ``lines`` lines (default: the whole file).
    follow
        Keep following as the file grows (default); False reads it once.

    Examples
    --------
    >>> log_tail("/pscratch/sd/e/elvis/run.log", lines=20)         # doctest: +SKIP
    """
    client, handle = resolve_machine(client, machine)
    job: Job | None = None
    if isinstance(job_or_path, (Job, AsyncJob, int)) or str(job_or_path).replace("_", "").isdigit():
        job = as_job(job_or_path, handle)
        record = job_records().get(client.aio.api_base_url, handle.name, job.jobid)
        paths = [p for p in output_paths(job.aio, record) if p]
        if not paths:
            raise NotFoundError(f"Where job {job.jobid} writes its output is not known")
        title = f"job {job.jobid} on {handle.name}"
    else:
        paths, title = [str(job_or_path)], f"{job_or_path} on {handle.name}"
    widget = LogTail(title=title, path=", ".join(paths), max_lines=max(lines or 0, 1000))
    TailFeed(
        client, widget, handle.aio, paths, job=job.aio if job else None, follow=follow, lines=lines
    ).start()
    return widget
