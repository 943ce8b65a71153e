"""Live widgets for jobs: submit and follow, list the queue, tail a file, cancel.

These are the functions behind the magics (``%%sfjob``, ``%sfjob``, ``%sfjobs``,
``%sftail``, ``%sfcancel``); they work without IPython too. Each returns its widget at once
and keeps it up to date from the client's loop thread, with every widget change made on the
kernel's main thread: while the kernel is idle, while a cell waits in :func:`wait_for_job`,
or (with no kernel) after each cell. Jobs submitted here are recorded locally
(:mod:`sfapi_jupyter.records`), so after a kernel restart they can be listed and followed.

Examples
--------
>>> from sfapi_jupyter.live import submit_job, wait_for_job
>>> job, card = submit_job("#!/bin/bash\\n#SBATCH -t 5 -C cpu\\nsrun hostname")  # doctest: +SKIP
>>> card                                                                         # doctest: +SKIP
>>> wait_for_job(job, card=card)                                                 # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime as dt
import warnings
import weakref
from typing import Any

from . import _live_feeds
from ._live_feeds import DISPLAY_IDS, FEEDS, CardFeed, QueueFeed, TailFeed, output_paths, run_soon
from ._live_jobs import (
    as_job,
    cancel_jobs,
    check_jobid,
    machine_warnings,
    resolve_machine,
    say,
    wait_for_job,
)
from ._mainthread import dispatcher
from .client import AsyncJob, BadScriptError, Client, Job, Machine, NotFoundError, SfApiError
from .client._errors import ScriptWarning
from .records import JobRecord, job_records, script_hash

#: The walltime assumed for the outage check when a script gives no ``--time``
#: (the longest a regular job may run at NERSC).
ASSUMED_WALLTIME = dt.timedelta(hours=48)


# -- job cards ----------------------------------------------------------------------------------
def job_card(
    job_or_id: Job | AsyncJob | str | int,
    machine: str | Machine | None = None,
    client: Client | None = None,
) -> Any:
    """A live ``JobCard`` of a job: state, array tasks, and its stdout/stderr as written.

    Parameters
    ----------
    job_or_id
        A job handle, or a job id on ``machine``.
    machine
        The machine's name (default :func:`~sfapi_jupyter.session.default_machine`).
    client
        The client (default :func:`~sfapi_jupyter.session.get_client`).

    Returns
    -------
    JobCard
        Kept up to date until the job has ended and its output has been read.

    Raises
    ------
    ValueError
        ``job_or_id`` is not a job id.
    NotFoundError
        The machine does not know the job.

    Examples
    --------
    >>> card = job_card(12345, "perlmutter")                     # doctest: +SKIP
    """
    if isinstance(job_or_id, Job) and client is None and machine is None:
        client, machine = job_or_id._client, job_or_id._client.compute(job_or_id.aio.machine.name)
    client, handle = resolve_machine(client, machine)
    job = as_job(job_or_id, handle)
    record = job_records().get(client.aio.api_base_url, handle.name, job.jobid)
    return _start_card(client, job, record)


def _start_card(client: Client, job: Job, record: JobRecord | None) -> Any:
    from .widgets import JobCard

    info = job.info
    array = (record.array if record else None) or (info.array_task_id if info else None)
    card = JobCard(jobid=job.jobid, machine=job.aio.machine.name, name=job.name or "",
                   array=bool(array))  # fmt: skip
    paths = output_paths(job.aio, record)
    card.set_output_paths(paths[0] or "", paths[1] or "")
    if info is not None:
        card.set_job(info)
    card_ref = weakref.ref(card)

    def cancelled(result: Any) -> None:
        card = card_ref()
        if card is not None:
            failed = isinstance(result, BaseException)
            card.set_message(f"Cancel failed: {result}" if failed else "Cancel requested.",
                             "error" if failed else "info")  # fmt: skip

    card.on_cancel(lambda *_: run_soon(client, job.aio.cancel(), cancelled))
    feed = CardFeed(client, card, job.aio, paths, lambda: _finish_card(card_ref))
    FEEDS[card] = feed
    feed.start()
    return card


def _finish_card(card_ref: weakref.ref[Any]) -> None:
    """At the end: the card's static fallback, into the saved notebook if it has a display id."""
    card = card_ref()
    if card is None:
        return
    bundle = card.refresh_static()
    display_id = DISPLAY_IDS.get(card) or getattr(card, "display_id", None)
    if display_id and bundle:
        from IPython.display import update_display

        update_display(bundle, display_id=display_id, raw=isinstance(bundle, dict))


def show(widget: Any) -> Any:
    """Display ``widget`` with a display id, so that its final summary is saved with the notebook.

    Returns the ``DisplayHandle``.
    """
    from IPython.display import DisplayHandle, display

    display(widget)
    display_id = getattr(widget, "display_id", None)
    if display_id is None:
        return None
    DISPLAY_IDS[widget] = display_id
    return DisplayHandle(display_id)


def stop(widget: Any) -> None:
    """Stop keeping ``widget`` up to date (closing the widget does this too)."""
    feed = FEEDS.pop(widget, None)
    if feed is not None:
        feed.stop()


# -- submitting ---------------------------------------------------------------------------------
def submit_job(
    script: str,
    machine: str | Machine | None = None,
    *,
    args: list[str] | None = None,
    once: bool = False,
    client: Client | None = None,
) -> tuple[Job, Any]:
    """Check and submit a batch script; return the job and its live ``JobCard``.

    Problems sbatch would not refuse are printed (line numbers count the script as given),
    and so are a machine that is not ``active`` and an outage within the job's walltime
    (also on the card).

    Parameters
    ----------
    script
        The batch script's text.
    machine
        The machine (default :func:`~sfapi_jupyter.session.default_machine`).
    args
        Arguments for the script.
    once
        If this script text was already submitted here and that job has not ended, follow
        that job instead of submitting again.
    client
        The client (default :func:`~sfapi_jupyter.session.get_client`).

    Raises
    ------
    BadScriptError
        The script would be refused; the message names each line.
    SfApiError
        The API refused or failed.

    Examples
    --------
    >>> job, card = submit_job("#!/bin/bash\\n#SBATCH -t 5\\nhostname")  # doctest: +SKIP
    """
    from .client.scripts import check_script, parse_directives

    client, handle = resolve_machine(client, machine)
    issues = check_script(script, handle.name)
    errors = [str(i) for i in issues if i.severity == "error"]
    if errors:
        raise BadScriptError("The batch script would be refused:\n" + "\n".join(errors))
    for issue in issues:
        say(str(issue))
    api_url = client.aio.api_base_url
    digest = script_hash(script, machine=handle.name, args=args)
    if once:
        attached = _running_submission(client, handle, digest)
        if attached is not None:
            return attached
    directives = parse_directives(script)
    walltime = directives.time or ASSUMED_WALLTIME
    notices = client._run(machine_warnings(client, handle.name, walltime, directives.time is None))
    for notice in notices:
        say(f"warning: {notice}")
    with warnings.catch_warnings():
        # check_script already printed these, with line numbers.
        warnings.simplefilter("ignore", ScriptWarning)
        job = handle.submit(script, args)
    info = job.info
    work_dir = info.work_dir if info else None
    record = job_records().save(JobRecord(
        api_url=api_url, machine=handle.name, jobid=job.jobid,
        name=(info.name if info else None) or directives.job_name, script_hash=digest,
        output=directives.output, error=directives.error, job_name=directives.job_name,
        array=directives.array, chdir=None if work_dir else directives.chdir,
        work_dir=work_dir, user=info.user if info else None, state=job.state.value,
    ))  # fmt: skip
    card = _start_card(client, job, record)
    if notices:
        card.set_message("\n".join(notices), "warning")
    return job, card


def _running_submission(client: Client, handle: Machine, digest: str) -> tuple[Job, Any] | None:
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
        return job, _start_card(client, job, record)
    return None


# -- queue and tails ------------------------------------------------------------------------------
def queue_table(
    machine: str | Machine | None = None,
    *,
    all_users: bool = False,
    client: Client | None = None,
    interval: float | None = None,
) -> Any:
    """A live ``QueueTable`` of your jobs (or everyone's), with jobs recorded here that ended.

    Refreshed every ``interval`` seconds (default 5); jobs that leave the queue move to the
    done section with their final state. Its cancel button cancels the selected jobs.
    """
    from .widgets import QueueTable

    client, handle = resolve_machine(client, machine)
    user = None if all_users else client._run(client.aio.whoami()).name
    table = QueueTable(machine=handle.name, user=user or "")
    feed = QueueFeed(client, table, handle.aio, user, interval or _live_feeds.QUEUE_INTERVAL)

    def cancel(jobids: list[str]) -> None:
        run_soon(client, _cancel_quietly(handle, jobids), lambda _: None)

    table.on_cancel(cancel)
    FEEDS[table] = feed
    feed.start()
    return table


async def _cancel_quietly(handle: Machine, jobids: list[str]) -> None:
    for jobid in jobids:
        try:
            await AsyncJob(handle.aio, str(jobid)).cancel()
        except SfApiError as exc:
            text = f"Cancelling job {jobid} failed: {exc.message}"
            dispatcher().call(lambda text=text: say(text, error=True))


def log_tail(
    job_or_path: Job | AsyncJob | str | int,
    machine: str | Machine | None = None,
    *,
    lines: int | None = None,
    follow: bool = True,
    client: Client | None = None,
) -> Any:
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
    from .widgets import LogTail

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
    feed = TailFeed(client, widget, handle.aio, paths, job=job.aio if job else None,
                    follow=follow, lines=lines)  # fmt: skip
    FEEDS[widget] = feed
    feed.start()
    return widget


__all__ = [
    "cancel_jobs",
    "check_jobid",
    "job_card",
    "log_tail",
    "machine_warnings",
    "queue_table",
    "show",
    "stop",
    "submit_job",
    "wait_for_job",
]
