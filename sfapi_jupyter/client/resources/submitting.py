"""Submitting jobs: one at a time, or many at once without waiting for each id.

A submit is two round trips: the POST (the API answers with a task id) and the task's
result (the job id). ``submit()`` waits for both. ``submit_nowait()`` checks the script,
starts the submit in the background and returns the job at once; the id arrives when the
API answers. So a loop of ``submit_nowait`` (or ``submit_many``) keeps every submit in
flight at once (httpx's connection pool, 100 connections, is the bound) and their task
polls share requests (:class:`~sfapi_jupyter.client.task_batch.TaskBatcher`).

Nothing is submitted twice: each script carries a unique marker (``#SBATCH --comment``);
after an ambiguous failure (a timeout, a dropped connection, a 5xx) the queue is searched
for it before anything is sent again. No error is lost: a background submit's error is
raised by the first use of its job (``jobid``, ``ready()``, ``wait()``, ...), by the summary
(``wait_submitted()``, ``submit_many``'s :class:`SubmitError`), and one nobody looked at is
shown as a :class:`SubmitWarning` when the client closes.
"""

from __future__ import annotations

import asyncio
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import (
    BadScriptError,
    ConnectError,
    RateLimitedError,
    RequestTimeout,
    ScriptWarning,
    ServerError,
    SubmitError,
    SubmitWarning,
    json_object,
)
from ..models import JobInfo, JobState, TaskStatus
from .jobs import AsyncJob

if TYPE_CHECKING:
    from ..scripts import CheckedScript
    from .machine import AsyncMachine

#: Marker added to each script submitted as text, so that after an ambiguous failure the
#: client can find the job it may already have made instead of making a second one.
MARKER_PREFIX = "sfapi-submit:"
_COMMENT_RE = re.compile(r"^#SBATCH\s+(--comment[= ]|-?-comment)", re.MULTILINE)


def looks_like_script(text: str) -> bool:
    return "\n" in text.strip() or text.lstrip().startswith("#!")


def add_submit_marker(script: str, marker: str) -> str | None:
    """The script with ``#SBATCH --comment=<marker>`` after its ``#!`` line.

    None when the script sets its own ``--comment`` (ours would be overridden, so it could
    not be found again).
    """
    if _COMMENT_RE.search(script):
        return None
    first, sep, rest = script.partition("\n")
    return f"{first}\n#SBATCH --comment={marker}\n{rest}" if sep else None


def callback_fields(url: str | None, email: str | None, timeout: int | None) -> dict[str, Any]:
    """The submit form's ``callbackUrl``, ``callbackEmail``, ``callbackTimeout`` (only those
    given). A URL that is not http(s), or an address without ``@``, raises ValueError here,
    before anything is sent."""
    from urllib.parse import urlsplit

    fields: dict[str, Any] = {}
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"callback_url must be an http:// or https:// URL with a host, not {url!r}"
            )
        fields["callbackUrl"] = url
    if email is not None:
        if "@" not in email or any(c in email for c in "\r\n<>,; "):
            raise ValueError(f"callback_email must be one e-mail address, not {email!r}")
        fields["callbackEmail"] = email
    if timeout is not None:
        if int(timeout) <= 0:
            raise ValueError(f"callback_timeout is in seconds and must be positive, not {timeout}")
        fields["callbackTimeout"] = int(timeout)
    return fields


#: Submit POSTs one machine has in flight at once; the others wait their turn (their task
#: polls are not limited). A burst of 100 at once answered slower than a stream of 8 at a
#: time: ``submit_many`` of 100 took 1.7 s (median of 4 rounds) with no limit and 0.64 s
#: with this one, on the local facility (bench/README.md, *Submitting many jobs*); it also
#: keeps a scan's thousand submits from flooding the API.
POSTS_IN_FLIGHT = 8


@dataclass
class Prepared:
    """A checked script, ready to send: the POST's form, and its marker (None: unmarked)."""

    data: dict[str, Any]
    marker: str | None


def _summary(machine: str, jobs: list[AsyncJob], failed: list[AsyncJob]) -> str:
    """``N of M submits to MACHINE failed (#i: Error: message; ...)``, ``#i`` being the
    job's place in ``jobs`` (from 0: the place of its script in ``submit_many``'s list)."""
    place = {id(job): number for number, job in enumerate(jobs)}
    shown = "; ".join(
        f"#{place[id(j)]}: {type(j.submit_error).__name__}: {j.submit_error}" for j in failed[:5]
    )
    more = f"; and {len(failed) - 5} more" if len(failed) > 5 else ""
    return f"{len(failed)} of {len(jobs)} submits to {machine} failed ({shown}{more})."


class Submitter:
    """One machine's submits (``machine.submit``, ``submit_nowait``, ``submit_many``)."""

    def __init__(self, machine: AsyncMachine) -> None:
        self.machine = machine
        self._running: set[asyncio.Task[None]] = set()
        #: Background submits not yet summarised by ``wait_submitted`` (in submit order).
        self._unsummarised: list[AsyncJob] = []
        #: Every background submit that failed, until the user has seen its error.
        self._failed: list[AsyncJob] = []
        self._posting = asyncio.Semaphore(POSTS_IN_FLIGHT)

    # -- preparing ------------------------------------------------------------------------
    def prepare(
        self, script: str | CheckedScript, args: list[str] | None = None, *, stacklevel: int = 3
    ) -> Prepared:
        """Check the script (a bad one raises here, before any request) and mark it.

        A :class:`~sfapi_jupyter.client.scripts.CheckedScript` checked for this machine is
        not checked again, nor are its warnings repeated: whoever checked it has them.
        ``stacklevel`` points warnings at the user's line (3: the caller of the machine's
        method that called this)."""
        from ..scripts import CheckedScript, checked_script

        if isinstance(script, CheckedScript) and script.machine != self.machine.name:
            script = script.text  # checked for another machine: its rules may differ
        is_path = isinstance(script, str) and not looks_like_script(script)
        marker: str | None = None
        if isinstance(script, str) and is_path:
            job_text = script.strip()
        else:
            if isinstance(script, str):
                script = checked_script(script, machine=self.machine.name)
                for issue in script.warnings:
                    warnings.warn(str(issue), ScriptWarning, stacklevel=stacklevel)
            marker = MARKER_PREFIX + uuid.uuid4().hex
            marked = add_submit_marker(script.text, marker)
            if marked is None:
                marker = None
            job_text = marked or script.text
        data: dict[str, Any] = {"job": job_text, "isPath": is_path}
        if args:
            data["args"] = [str(a) for a in args]
        return Prepared(data, marker)

    # -- sending --------------------------------------------------------------------------
    async def send(self, prepared: Prepared, job: AsyncJob | None = None) -> AsyncJob:
        """Submit a prepared script; the job (``job`` filled in, if given) with its id."""
        machine = self.machine
        await machine.ensure_available()
        policy = machine.client.retry
        for attempt in range(policy.attempts):
            try:
                async with self._posting:
                    response = await machine.client._request(
                        "POST", f"compute/jobs/{machine.name}", data=prepared.data, retry=False
                    )
                break
            except (RequestTimeout, ConnectError, ServerError, RateLimitedError) as exc:
                if prepared.marker is None:
                    raise type(exc)(
                        f"{exc.message}. The job may or may not have been submitted; look "
                        f"at the queue (jobs()) before submitting again.",
                        status_code=exc.status_code,
                    ) from None
                found = await self.find(prepared.marker)
                if found is not None:
                    if job is None:
                        return found
                    job._submitted(found.jobid, found.info or JobInfo(jobid=found.jobid))
                    machine.watcher.watch(job)
                    return job
                if attempt == policy.attempts - 1:
                    raise
                await asyncio.sleep(policy.delay(attempt))
        body = json_object(response, f"POST compute/jobs/{machine.name}")
        if body.get("status") == "ERROR" or not body.get("task_id"):
            raise BadScriptError(f"Submit refused: {body.get('error')}", body=body)
        task = await machine.client.wait_task(str(body["task_id"]))
        result = task.result if isinstance(task.result, dict) else {}
        if str(result.get("status", "")).lower() != "ok" or not result.get("jobid"):
            message = result.get("error") or task.result or "no job id returned"
            raise BadScriptError(str(message).strip(), body=task.result)
        jobid = str(result["jobid"])
        # sbatch queued it: it is PENDING as of now. The watcher looks at once, bypassing
        # the API's cache, sharing one request with the other jobs just submitted, and keeps
        # the state current from there; the caller does not wait for that look.
        info = JobInfo(jobid=jobid, state=JobState.PENDING, source="submit")
        if job is None:
            job = AsyncJob(machine, jobid, info)
        else:
            job._submitted(jobid, info)
        machine.watcher.watch(job, just_submitted=True)
        return job

    async def find(self, marker: str, settle_timeout: float = 60.0) -> AsyncJob | None:
        """After an ambiguous submit: let running submit tasks finish, then look for the marker."""
        machine = self.machine
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settle_timeout
        while loop.time() < deadline:
            pending = [t for t in await machine.client.tasks() if t.status is TaskStatus.new]
            if not pending:
                break
            await asyncio.sleep(0.3)
        me = await machine.client.whoami()
        rows = await machine.fetch_rows(sacct=True, cached=False, user=me.name)
        ids = [JobInfo.from_row(r) for r in rows if marker in str(r.get("comment", ""))]
        if not ids:
            return None
        first = min(ids, key=lambda info: int(info.array_job_id or info.jobid))
        job = AsyncJob(machine, first.array_job_id or first.jobid, first)
        machine.watcher.watch(job)
        return job

    # -- in the background ----------------------------------------------------------------
    def start(self, prepared: Prepared, *, summarised: bool = True) -> AsyncJob:
        """Send ``prepared`` in the background; its job at once (no id yet)."""
        job = AsyncJob(self.machine, None)
        task = asyncio.get_running_loop().create_task(self._in_background(job, prepared))
        job.submission = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        if summarised:
            self._unsummarised.append(job)
        return job

    async def _in_background(self, job: AsyncJob, prepared: Prepared) -> None:
        try:
            await self.send(prepared, job)
        except asyncio.CancelledError:
            job.submit_error = SubmitError(
                "The client closed before this submit finished: look at the queue (jobs()) "
                "before submitting it again."
            )
            self._failed.append(job)
            raise
        except Exception as exc:  # kept for the user: raised on first use and summarised
            job.submit_error = exc
            self._failed.append(job)

    def submit_nowait(self, script: str | CheckedScript, args: list[str] | None = None) -> AsyncJob:
        return self.start(self.prepare(script, args, stacklevel=4))

    async def submit_many(
        self, scripts: Iterable[str | CheckedScript], args: list[str] | None = None
    ) -> list[AsyncJob]:
        prepared = []  # every script is checked before anything is sent
        for script in scripts:
            prepared.append(self.prepare(script, args, stacklevel=4))
        jobs = [self.start(p, summarised=False) for p in prepared]
        await self._settle(jobs)
        return jobs

    async def wait_submitted(self) -> list[AsyncJob]:
        jobs, self._unsummarised = self._unsummarised, []
        await self._settle(jobs)
        return jobs

    async def _settle(self, jobs: list[AsyncJob]) -> None:
        """Wait for the background submits of ``jobs``; raise a summary of those that failed."""
        running = [j.submission for j in jobs if j.submission is not None]
        if running:
            await asyncio.wait(running)
        failed = [j for j in jobs if j.submit_error is not None]
        if failed:
            for job in failed:
                job.submit_error_seen = True
            raise SubmitError(
                _summary(self.machine.name, jobs, failed)
                + " The others were submitted (error.jobs); error.failed holds the failed "
                "ones, each with its submit_error. Fix what the errors say and submit those "
                "again.",
                jobs=[j for j in jobs if j.submit_error is None],
                failed=failed,
            )

    async def aclose(self) -> None:
        """Let background submits finish (one stopped half-way could leave a job nobody
        knows of), then warn about failures nobody has seen."""
        while self._running:
            await asyncio.wait(set(self._running))
        unseen = [j for j in self._failed if not j.submit_error_seen]
        self._failed = []
        if unseen:
            errors = "; ".join(
                f"{type(j.submit_error).__name__}: {j.submit_error}" for j in unseen[:5]
            )
            more = f"; and {len(unseen) - 5} more" if len(unseen) > 5 else ""
            warnings.warn(
                f"{len(unseen)} background submit(s) to {self.machine.name} failed and nobody "
                f"looked at the error ({errors}{more}). machine.wait_submitted() or "
                "job.ready() raise such errors as they happen.",
                SubmitWarning,
                stacklevel=2,
            )
