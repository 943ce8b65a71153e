"""``AsyncJob``: a handle on one batch job."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

from .._errors import JobFailedError, JobNotReadyError, NotFoundError, json_object
from ..models import JobInfo, JobState

if TYPE_CHECKING:
    from ..cost import JobCost
    from .machine import AsyncMachine


class AsyncJob:
    """A job on a machine. ``info`` holds what was last seen; ``refresh()`` asks again.

    A job from :meth:`AsyncMachine.submit_nowait` has no id until the API answers:
    ``await job.ready()`` waits for it (and raises the submit's error, if it failed);
    ``job.jobid`` raises :class:`JobNotReadyError` until then.
    """

    def __init__(
        self, machine: AsyncMachine, jobid: str | None, info: JobInfo | None = None
    ) -> None:
        self.machine = machine
        self._jobid = None if jobid is None else str(jobid)
        self.info = info
        #: The background submit that gives this job its id (None: it has one).
        self.submission: asyncio.Task[None] | None = None
        #: Why the background submit failed (None: it did not, or has not ended yet).
        self.submit_error: BaseException | None = None
        #: The user has been shown ``submit_error`` (raised to them, or in a summary).
        self.submit_error_seen = False

    def __repr__(self) -> str:
        if self._jobid is None:
            doing = "submit failed" if self.submit_error is not None else "submitting"
            return f"<Job ({doing}) on {self.machine.name}>"
        return f"<Job {self._jobid} on {self.machine.name}: {self.state.value}>"

    # -- the id ---------------------------------------------------------------------------
    @property
    def jobid(self) -> str:
        if self._jobid is None:
            self._raise_submit_error()
            raise JobNotReadyError(
                f"This job on {self.machine.name} is still being submitted, so it has no id "
                "yet: `await job.ready()` waits for it."
            )
        return self._jobid

    @property
    def submitted(self) -> bool:
        """The job has its id (a background submit has succeeded)."""
        return self._jobid is not None

    def _raise_submit_error(self) -> None:
        if self.submit_error is not None:
            self.submit_error_seen = True
            raise self.submit_error

    def _submitted(self, jobid: str, info: JobInfo) -> None:
        self._jobid = jobid
        self.info = info

    async def ready(self) -> AsyncJob:
        """Wait until a background submit has given the job its id; raise its error if it
        failed. A job that has its id is ready at once."""
        if self._jobid is None:
            if self.submission is not None:
                await asyncio.shield(self.submission)
            self.jobid  # noqa: B018 (raises the submit's error, or says there is no id)
        return self

    # -- what is known ------------------------------------------------------------------------
    @property
    def state(self) -> JobState:
        return self.info.state if self.info else JobState.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    @property
    def name(self) -> str | None:
        return self.info.name if self.info else None

    @property
    def exit_code(self) -> int | None:
        return self.info.exit_code if self.info else None

    @property
    def reason(self) -> str | None:
        return self.info.reason if self.info else None

    @property
    def submit_time(self) -> dt.datetime | None:
        return self.info.submit_time if self.info else None

    @property
    def start_time(self) -> dt.datetime | None:
        return self.info.start_time if self.info else None

    @property
    def end_time(self) -> dt.datetime | None:
        return self.info.end_time if self.info else None

    @property
    def elapsed(self) -> dt.timedelta | None:
        return self.info.elapsed if self.info else None

    @property
    def nodes(self) -> int | None:
        return self.info.nodes if self.info else None

    @property
    def array_job_id(self) -> str | None:
        return self.info.array_job_id if self.info else None

    @property
    def array_task_id(self) -> str | None:
        return self.info.array_task_id if self.info else None

    @property
    def raw(self) -> dict[str, Any]:
        return self.info.raw if self.info else {}

    # -- I/O ----------------------------------------------------------------------------------
    def _update(self, info: JobInfo | None) -> None:
        if info is not None:
            self.info = info

    async def refresh(self) -> AsyncJob:
        """Ask the API once (sacct, bypassing its cache: it knows queued, running and ended
        jobs alike); concurrent refreshes of jobs on the machine share that one request."""
        from .sacct_batch import rows_of

        await self.ready()
        rows = rows_of(self.jobid, await self.machine.sacct_rows([self.jobid], cached=False))
        exact = [r for r in rows if self.jobid in (str(r.get("jobidraw")), str(r.get("jobid")))]
        mine = exact or rows
        if mine:
            self._update(JobInfo.from_row(mine[0]))
        return self

    async def cost(self, *, fallback: bool = True) -> JobCost:
        """What the ended job cost (:class:`~sfapi_jupyter.client.cost.JobCost`).

        Read from the API's sacct row; when that row lacks MaxRSS or TotalCPU (they live on
        the job's steps, which the API may not list) and ``fallback`` is true, from ``sacct``
        run on the machine through the command API. Raises :class:`JobNotReadyError` while
        the job has not ended.
        """
        from ..cost import has_usage, job_cost, parse_sacct_table, sacct_command

        await self.ready()
        if not self.is_terminal or self.info is None or self.info.source != "sacct":
            await self.refresh()
        if not self.is_terminal:
            raise JobNotReadyError(
                f"Job {self.jobid} has not ended ({self.state.value}): its cost is known once "
                "it ends; `job.wait()` first."
            )
        if fallback and not has_usage([self.raw]):
            result = await self.machine.run(sacct_command(self.jobid))
            rows = parse_sacct_table(result.output) if result.exit_code in (0, None) else []
            if has_usage(rows):
                try:
                    return job_cost(rows, self.jobid, source="command")
                except ValueError:
                    pass  # sacct did not know the job: the API's row is all there is
        return job_cost([self.raw], self.jobid)

    async def wait(self, timeout: float | None = None, *, check: bool = False) -> AsyncJob:
        """Wait until the job ends (any terminal state); ``check=True`` raises unless COMPLETED.

        Waiting costs no extra requests: the machine's shared watcher polls all watched
        jobs together.
        """
        await self.ready()
        await self.machine.watcher.wait(self, timeout)
        if check and self.state is not JobState.COMPLETED:
            raise JobFailedError(
                f"Job {self.jobid} ended {self.state.value}"
                + (f" with exit code {self.exit_code}" if self.exit_code else "")
                + (f" ({self.reason})" if self.reason and self.reason != "None" else ""),
                job=self,
            )
        return self

    async def cancel(self, *, wait: bool = False, timeout: float | None = 60.0) -> AsyncJob:
        """Cancel the job (``scancel``); with ``wait=True`` until it has ended."""
        await self.ready()
        client = self.machine.client
        where = f"compute/jobs/{self.machine.name}/{self.jobid}"
        body = json_object(await client._request("DELETE", where), f"DELETE {where}")
        if body.get("task_id"):
            task = await client.wait_task(str(body["task_id"]), timeout)
            result = task.result if isinstance(task.result, dict) else {}
            if str(result.get("status", "ok")).lower() == "error":
                message = str(result.get("error") or "")
                if "Invalid job id" in message:
                    raise NotFoundError(message)
                if "already completing or completed" not in message:
                    from .._errors import ApiError

                    raise ApiError(message, body=result)
        if wait:
            await self.wait(timeout)
        return self
