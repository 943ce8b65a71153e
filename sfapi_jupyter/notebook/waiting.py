"""Blocking on a job from a cell (widgets keep updating meanwhile), and cancelling jobs."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from typing import Any

from ..client import AsyncJob, Client, Job, Machine, SfApiError
from ..widgets.support.mainthread import dispatcher
from ._common import check_jobid, resolve_machine, say
from .controllers import controller_of


def wait_for_job(job: Job, timeout: float | None = None, card: Any = None) -> bool:
    """Block until ``job`` ends (and ``card`` has its final output), keeping widgets updating.

    Returns False when ``timeout`` seconds passed first. On Ctrl-C (a kernel interrupt) asks
    "Cancel job N? [y/N]" where the front end can answer, else cancels the job and says so;
    then the interrupt goes on, so the cell shows as interrupted.
    """
    waiting = dispatcher()
    waiting.bind()
    feed = controller_of(card) if card is not None else None
    # The card's feed ends after the job has ended and its output was read: wait for it.
    future: Any = feed.future if feed is not None else None
    own = future is None
    if future is None:
        future = job.client.loop_thread.submit(job.aio.wait())
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
        raise future.exception()
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

    results = client.run_coroutine(cancel_all())
    failed = [
        f"{j}: {r}" for j, r in zip(ids, results, strict=True) if isinstance(r, BaseException)
    ]
    if failed:
        raise SfApiError("Could not cancel " + "; ".join(failed))
    return [Job(client, r) for r in results if isinstance(r, AsyncJob)]
