"""Waiting for and cancelling jobs, the pre-submit machine check, and shared helpers.

Part of :mod:`sfapi_jupyter.live`, which re-exports the public names.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Iterable
from typing import Any

from ._live_feeds import FEEDS
from ._mainthread import dispatcher
from .client import AsyncJob, Client, Job, Machine, SfApiError
from .client.models.status import Status, StatusValue
from .session import default_machine, get_client


def say(text: str, *, error: bool = False) -> None:
    # Printed on purpose: these lines belong above the widget in the cell's output.
    print(text, file=sys.stderr if error else sys.stdout)


def resolve_machine(client: Client | None, machine: str | Machine | None) -> tuple[Client, Machine]:
    dispatcher().bind()
    if isinstance(machine, Machine):
        return machine._client, machine
    client = client or get_client()
    return client, client.compute(machine or default_machine())


def as_job(job: Job | AsyncJob | str | int, machine: Machine) -> Job:
    if isinstance(job, Job):
        return job
    if isinstance(job, AsyncJob):
        return Job(machine._client, job)
    return machine.job(check_jobid(job))


def check_jobid(jobid: str | int) -> str:
    """``jobid`` as text, if it looks like a Slurm job id (``12``, ``12_3``); else ValueError."""
    text = str(jobid).strip()
    head, sep, task = text.partition("_")
    if not head.isdigit() or (sep and not task.isdigit()):
        raise ValueError(f"{text!r} is not a job id (a number, or 12_3 for an array task)")
    return text


# -- before a submit --------------------------------------------------------------------------
async def machine_warnings(
    client: Client, machine: str, walltime: dt.timedelta, assumed: bool = False
) -> list[str]:
    """Why a job submitted now may not run as expected: machine status, outages in its walltime.

    Failures to ask are not warnings (the submit itself will say what is wrong).
    """
    from .client.scripts import outage_conflicts

    aio = client.aio
    found: tuple[Any, ...] = await asyncio.gather(
        aio.status(machine), aio.outages(machine), aio.planned_outages(machine),
        return_exceptions=True,
    )  # fmt: skip
    status, current, planned = found
    notices = []
    if isinstance(status, Status) and status.status is not StatusValue.active:
        why = "; ".join(status.notes) or status.description or ""
        notices.append(f"{machine} is {status.status.value}" + (f": {why}" if why else ""))
    outages = [o for group in (current, planned) if isinstance(group, list) for o in group]
    try:
        conflicts = outage_conflicts(outages, walltime)
    except TypeError:  # an outage time without a zone: cannot be compared
        conflicts = []
    span = f"{_hours(walltime)}" + (" (no --time given)" if assumed else "")
    for outage in conflicts:
        start = outage.start_at.astimezone().strftime("%Y-%m-%d %H:%M") if outage.start_at else "?"
        end = outage.end_at.astimezone().strftime("%Y-%m-%d %H:%M") if outage.end_at else "?"
        what = f" ({outage.description})" if outage.description else ""
        notices.append(
            f"outage of {machine} from {start} to {end}{what} overlaps the job's walltime of "
            f"{span}: the job may wait until it is over"
        )
    return notices


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{delta.total_seconds() / 60:g} min"


# -- waiting and cancelling ---------------------------------------------------------------------
def wait_for_job(job: Job, timeout: float | None = None, card: Any = None) -> bool:
    """Block until ``job`` ends (and ``card`` has its final output), keeping widgets updating.

    Returns False when ``timeout`` seconds passed first. On Ctrl-C (a kernel interrupt) asks
    "Cancel job N? [y/N]" where the front end can answer, else cancels the job and says so;
    then the interrupt goes on, so the cell shows as interrupted.
    """
    waiting = dispatcher()
    waiting.bind()
    feed = FEEDS.get(card) if card is not None else None
    own = feed is None or feed.future is None
    future = job._client.loop_thread.submit(job.aio.wait()) if own else feed.future  # type: ignore[union-attr]
    assert future is not None
    try:
        finished = waiting.wait_until(future.done, timeout)
    except KeyboardInterrupt:
        if own:
            future.cancel()
        _interrupted(job, card)
        raise
    if not finished:
        if own:
            future.cancel()
        return False
    if own and future.exception() is not None:
        raise future.exception()  # type: ignore[misc]
    return job.is_terminal


def _can_ask() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    return shell is not None and sys.stdin is not None and sys.stdin.isatty()


def _interrupted(job: Job, card: Any) -> None:
    if job.is_terminal:
        return
    cancel = True
    if _can_ask():
        try:
            answer = input(f"Cancel job {job.jobid}? [y/N] ")
        except (EOFError, KeyboardInterrupt, Exception):  # no answer: leave the job alone
            answer = ""
        cancel = answer.strip().lower() in ("y", "yes")
    if not cancel:
        text = f"Job {job.jobid} keeps running; %sfcancel {job.jobid} cancels it."
    else:
        try:
            job.cancel()
            text = f"Interrupted: cancelled job {job.jobid}."
        except SfApiError as exc:
            text = f"Interrupted; cancelling job {job.jobid} failed: {exc.message}"
    say(text)
    if card is not None:
        card.set_message(text, "warning")


def cancel_jobs(
    jobids: Iterable[str | int], machine: str | Machine | None = None, client: Client | None = None
) -> list[Job]:
    """Cancel jobs and wait briefly for their resulting states.

    Every job is tried; if some could not be cancelled, :class:`SfApiError` names them after
    the others were.

    Examples
    --------
    >>> [job.state.value for job in cancel_jobs([12345])]          # doctest: +SKIP
    ['CANCELLED']
    """
    client, handle = resolve_machine(client, machine)
    ids = [check_jobid(j) for j in jobids]

    async def cancel_all() -> list[AsyncJob | BaseException]:
        async def one(jobid: str) -> AsyncJob:
            job = AsyncJob(handle.aio, jobid)
            await job.cancel()
            try:
                await asyncio.wait_for(job.wait(), 20)
            except (asyncio.TimeoutError, SfApiError):
                await job.refresh()
            return job

        return await asyncio.gather(*(one(j) for j in ids), return_exceptions=True)

    results = client._run(cancel_all())
    failed = [
        f"{j}: {r}" for j, r in zip(ids, results, strict=True) if isinstance(r, BaseException)
    ]
    if failed:
        raise SfApiError("Could not cancel " + "; ".join(failed))
    return [Job(client, r) for r in results if isinstance(r, AsyncJob)]
