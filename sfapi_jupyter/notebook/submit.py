"""Submitting from the notebook: check the script, warn about the machine, submit, record.

:func:`submit_job` is what ``%%sfjob`` runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from ..client import AsyncJob, AsyncMachine, Client, Job, Machine, NotFoundError, SfApiError
from ..client.models import Project
from ..client.models.status import Status, StatusValue
from ..client.scripts import CheckedScript, SbatchDirectives, checked_script
from ..widgets import JobCard
from ._common import resolve_machine, say
from .frames import check_watch_pattern
from .jobs import start_card
from .records import JobRecord, job_records, script_hash

#: The walltime assumed for the outage check when a script gives no ``--time``
#: (the longest a regular job may run at NERSC).
ASSUMED_WALLTIME = dt.timedelta(hours=48)


def submit_job(
    script: str,
    machine: str | Machine | None = None,
    *,
    args: list[str] | None = None,
    once: bool = False,
    client: Client | None = None,
    watch: str | None = None,
) -> tuple[Job, JobCard]:
    """Check and submit a batch script; return the job and its live ``JobCard``.

    Problems sbatch would not refuse are printed (line numbers count the script as given),
    and so are a machine that is not ``active`` and an outage within the job's walltime
    (also on the card).

    Parameters
    ----------
    script
        The batch script's text.
    machine
        The machine (default :func:`~sfapi_jupyter.notebook.session.default_machine`).
    args
        Arguments for the script.
    once
        If this script text was already submitted here and that job has not ended, follow
        that job instead of submitting again.
    client
        The client (default :func:`~sfapi_jupyter.notebook.session.get_client`).
    watch
        A file pattern (``'out/iter_*.npy'``): the card shows each new matching image as the
        job writes it (see :func:`~.jobs.job_card`).

    Raises
    ------
    ValueError
        ``watch`` is not a pattern frames can follow (said before anything is submitted).
    BadScriptError
        The script would be refused; the message names each line.
    SfApiError
        The API refused or failed.

    Examples
    --------
    >>> job, card = submit_job("#!/bin/bash\\n#SBATCH -t 5\\nhostname")  # doctest: +SKIP
    """
    if watch is not None:
        watch = check_watch_pattern(watch)
    client, handle = resolve_machine(client, machine)
    # Checked once: the warnings are printed here (with line numbers), the options feed the
    # warnings and the record, and the submit sends the same value without checking again.
    checked = checked_script(script, handle.name)
    for issue in checked.warnings:
        say(str(issue))
    api_url = client.aio.api_base_url
    digest = script_hash(script, machine=handle.name, args=args)
    if once:
        attached = _running_submission(client, handle, digest, script, args, watch)
        if attached is not None:
            return attached
    directives = checked.directives
    notices, submitted = client.run_coroutine(_warn_submit_look(client, handle.aio, checked, args))
    for notice in notices:
        say(f"warning: {notice}")
    if isinstance(submitted, Exception):
        raise submitted  # after the warnings, which may say why (the machine is down)
    job = handle.job_handle(submitted)
    info = job.info
    work_dir = info.work_dir if info else None
    record = job_records().save(
        JobRecord(
            api_url=api_url,
            machine=handle.name,
            jobid=job.jobid,
            name=(info.name if info else None) or directives.job_name,
            script_hash=digest,
            output=directives.output,
            error=directives.error,
            job_name=directives.job_name,
            array=directives.array,
            chdir=None if work_dir else directives.chdir,
            work_dir=work_dir,
            user=info.user if info else None,
            state=job.state.value,
        )
    )
    card = start_card(client, job, record, script=script, args=args, watch=watch)
    if notices:
        card.set_message("\n".join(notices), "warning")
    return job, card


async def _warn_submit_look(
    client: Client, machine: AsyncMachine, checked: CheckedScript, args: list[str] | None
) -> tuple[list[str], AsyncJob | Exception]:
    """The warnings, the submit and the first look, in one trip to the client's loop.

    The machine's status is read once: the warnings and the submit's availability check
    share it (:meth:`~sfapi_jupyter.client.AsyncMachine.cached_status`).
    """
    walltime = checked.directives.time or ASSUMED_WALLTIME
    assumed = checked.directives.time is None
    notices = await submit_warnings(client, machine.name, checked.directives, walltime, assumed)
    try:
        job = await machine.submit(checked, args)
        # submit() returns once sbatch queued the job; the card and the record need its work
        # directory and user, so look once (one request, shared with the watcher's first look).
        await job.refresh()
    except Exception as exc:  # raised by the caller once it has printed the warnings
        return notices, exc
    return notices, job


def _running_submission(
    client: Client,
    handle: Machine,
    digest: str,
    script: str,
    args: list[str] | None,
    watch: str | None = None,
) -> tuple[Job, JobCard] | None:
    """The job this script text made (``--once``), with a card, if it has not ended."""
    records = job_records()
    for record in records.find_script(client.aio.api_base_url, handle.name, digest):
        if record.is_terminal:
            continue
        try:
            job = handle.job(record.jobid)
        except NotFoundError:
            continue
        if job.is_terminal:
            records.set_state(record.api_url, record.machine, job.jobid, job.state.value)
            continue
        say(f"Job {job.jobid} from this script is {job.state.value}: following it (--once).")
        return job, start_card(client, job, record, script=script, args=args, watch=watch)
    return None


async def submit_warnings(
    client: Client,
    machine: str,
    directives: SbatchDirectives,
    walltime: dt.timedelta,
    assumed: bool = False,
) -> list[str]:
    """Every warning shown before a submit: machine status, outages, allocation (at once)."""
    found = await asyncio.gather(
        machine_warnings(client, machine, walltime, assumed),
        allocation_warnings(client, directives),
    )
    return [notice for group in found for notice in group]


def charged_project(projects: list[Project], account: str | None) -> Project | None:
    """The project a job is charged to: its ``--account``, else the first of the user's."""
    if account:
        return next((p for p in projects if p.repo_name == account), None)
    return projects[0] if projects else None


async def allocation_warnings(client: Client, directives: SbatchDirectives) -> list[str]:
    """A job that may use more node-hours than its project has left (or an unknown account).

    Without ``--time`` the job is counted at :data:`ASSUMED_WALLTIME`. Failures to ask are
    not warnings.
    """
    from ..client.scripts import allocation_check

    try:
        projects = await client.aio.projects()
    except SfApiError:
        return []
    project = charged_project(projects, directives.account)
    if project is None:
        if directives.account and projects:
            mine = ", ".join(p.repo_name for p in projects)
            return [
                f"you are not in project {directives.account}: sbatch will refuse the job "
                f'("Invalid account"); your projects: {mine}'
            ]
        return []
    issue = allocation_check(directives, project, ASSUMED_WALLTIME)
    return [issue.message] if issue is not None else []


async def machine_warnings(
    client: Client, machine: str, walltime: dt.timedelta, assumed: bool = False
) -> list[str]:
    """Why a job submitted now may not run as expected: machine status, outages in its walltime.

    Failures to ask are not warnings (the submit itself will say what is wrong).
    """
    from ..client.scripts import outage_conflicts

    aio = client.aio
    # The status read a submit's availability check shares (at most one a minute).
    found: tuple[Any, ...] = await asyncio.gather(
        aio.compute(machine).cached_status(),
        aio.outages(machine),
        aio.planned_outages(machine),
        return_exceptions=True,
    )
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
