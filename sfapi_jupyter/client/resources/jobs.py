"""``AsyncJob``: a handle on one batch job."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .._errors import JobFailedError, NotFoundError, json_object
from ..models import JobInfo, JobState

if TYPE_CHECKING:
    from .machine import AsyncMachine


class AsyncJob:
    """A job on a machine. ``info`` holds what was last seen; ``refresh()`` asks again."""

    def __init__(self, machine: AsyncMachine, jobid: str, info: JobInfo | None = None) -> None:
        self.machine = machine
        self.jobid = str(jobid)
        self.info = info

    def __repr__(self) -> str:
        return f"<Job {self.jobid} on {self.machine.name}: {self.state.value}>"

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
        from .accounting import rows_of

        rows = rows_of(self.jobid, await self.machine.accounting_rows([self.jobid], cached=False))
        exact = [r for r in rows if self.jobid in (str(r.get("jobidraw")), str(r.get("jobid")))]
        mine = exact or rows
        if mine:
            self._update(JobInfo.from_row(mine[0]))
        return self

    async def wait(self, timeout: float | None = None, *, check: bool = False) -> AsyncJob:
        """Wait until the job ends (any terminal state); ``check=True`` raises unless COMPLETED.

        Waiting costs no extra requests: the machine's shared watcher polls all watched
        jobs together.
        """
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
