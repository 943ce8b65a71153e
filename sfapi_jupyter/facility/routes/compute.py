"""``/compute/jobs``: submit, list, inspect and cancel batch jobs.

Errors inside a well-formed request are answered the way the real API answers them: HTTP
200 with ``"status": "ERROR"`` (listing) or a task whose result says ``"status": "error"``
(submit, cancel), carrying sbatch's/scancel's own message.
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse

from ..auth import Identity
from ..backends.rows import sacct_row, squeue_row
from ..core import Facility
from ..deps import CurrentIdentity, FacilityDep, Machine, WriterIdentity
from ..job_filters import FilterError, base_jobid, parse_kwargs
from ..models import JobQuery, SbatchError, ScancelError, SubmitRequest
from ..paths import PathDenied, resolve_user_path
from ..sbatch import check_policy, parse_batch_script
from ..sbatch_limits import script_too_large
from ..tasks import TaskHandle
from ..unix import acting_as

router = APIRouter(prefix="/compute", tags=["compute"])


def _rows(jobs: list[Any], sacct: bool) -> list[dict[str, str]]:
    return [sacct_row(job) if sacct else squeue_row(job) for job in jobs]


@router.get("/jobs/{machine}")
async def list_jobs(
    machine: Machine,
    identity: CurrentIdentity,
    facility: FacilityDep,
    index: int | None = None,
    limit: int | None = None,
    sacct: bool = False,
    cached: bool = True,
    kwargs: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads the default
) -> JSONResponse:
    """Jobs on ``machine``: the queue (squeue rows) or with ``sacct=true`` finished jobs too.

    Answered as JSON at once: the rows are strings already, and FastAPI's generic encoder
    took 5 times longer than the query itself for 1000 sacct rows.
    """
    del cached  # always fresh: the local facility has no status cache to bypass

    def user_of_uid(uid: int) -> str | None:
        doc = facility.store.get_user_by_uid(uid)
        return str(doc["name"]) if doc else None

    try:
        query = parse_kwargs(kwargs, include_finished=sacct, user_of_uid=user_of_uid)
    except FilterError as exc:
        return JSONResponse({"status": "ERROR", "output": [], "error": str(exc)})
    # the page is cut in SQL: rows are built only for the jobs answered
    query.offset = max(index or 0, 0)
    query.limit = limit if limit is None or limit >= 0 else None
    try:
        jobs = await facility.backend.jobs(machine.value, query)
    except RuntimeError as exc:
        return JSONResponse({"status": "ERROR", "output": [], "error": str(exc)})
    return JSONResponse({"status": "OK", "output": _rows(jobs, sacct), "error": None})


@router.get("/jobs/{machine}/{jobid}")
async def get_job(
    machine: Machine,
    jobid: str,
    identity: CurrentIdentity,
    facility: FacilityDep,
    sacct: bool = False,
    cached: bool = True,
) -> dict[str, Any]:
    """One job (a one-element ``output``)."""
    del cached
    base = base_jobid(jobid)
    if base is None:
        return {"status": "ERROR", "output": [], "error": f"Invalid job id specified: {jobid}"}
    query = JobQuery(jobids=frozenset({base}), include_finished=sacct)
    try:
        jobs = await facility.backend.jobs(machine.value, query)
    except RuntimeError as exc:
        return {"status": "ERROR", "output": [], "error": str(exc)}
    if "_" in jobid:
        jobs = [j for j in jobs if j.display_jobid == jobid]
    elif len(jobs) > 1:
        jobs = [j for j in jobs if j.jobid == base] or jobs
    if not jobs:
        return {
            "status": "ERROR",
            "output": [],
            "error": "slurm_load_jobs error: Invalid job id specified"
            if not sacct
            else f"Job {jobid} not found",
        }
    return {"status": "OK", "output": _rows(jobs[:1], sacct), "error": None}


def _script_from_path(identity: Identity, facility: Facility, job: str) -> tuple[str, Path]:
    """The script at ``job``, read with the user's own identity (as sbatch would read it).

    Runs in a worker thread: the size is checked on the open file before a byte is read,
    at most the limit is read, and a FIFO or device is never read (it could block for ever).
    """
    unable = SbatchError(f"sbatch: error: Unable to open file {job}")
    limit = facility.config.max_script_bytes
    try:
        with acting_as(facility.accounts.credentials(identity.user)):
            path = resolve_user_path(facility.config, identity.user, job, write=False)
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise unable
                too_large = script_too_large(st.st_size, limit)
                if too_large is not None:
                    raise too_large
                data = handle.read(limit + 1)
        too_large = script_too_large(len(data), limit)  # it grew after the check
        if too_large is not None:
            raise too_large
        return data.decode(), path
    except (PathDenied, OSError, UnicodeDecodeError):
        raise unable from None


async def _submit(
    facility: Facility, identity: Identity, machine: str, job: str, is_path: bool, args: list[str]
) -> dict[str, Any]:
    try:
        if is_path:
            script, script_path = await asyncio.to_thread(
                _script_from_path, identity, facility, job
            )
            submit_dir = script_path.parent
        else:
            too_large = script_too_large(len(job.encode()), facility.config.max_script_bytes)
            if too_large is not None:
                raise too_large
            script, script_path, submit_dir = job, None, identity.user.home
        # Parsed in a worker thread: a script of many directives costs its own time only.
        options = await asyncio.to_thread(
            parse_batch_script, script, None, max_bytes=facility.config.max_script_bytes
        )
        nodes = (
            facility.config.nodes.get(machine, 1) if facility.config.backend == "local" else 10**6
        )
        check_policy(machine, options, identity.user, nodes)
        request = SubmitRequest(
            machine=machine,
            user=identity.user,
            script=script,
            script_path=script_path,
            args=list(args),
            submit_dir=submit_dir,
            options=options,
        )
        jobid = await facility.backend.submit(request)
    except SbatchError as exc:
        return {"status": "error", "jobid": None, "error": str(exc)}
    return {"status": "ok", "jobid": str(jobid), "error": None}


@router.post("/jobs/{machine}")
async def submit_job(
    machine: Machine,
    identity: WriterIdentity,
    facility: FacilityDep,
    job: Annotated[str, Form()],
    isPath: Annotated[bool, Form()],
    args: Annotated[list[str], Form()] = [],  # noqa: B006
    callbackTimeout: Annotated[int | None, Form()] = None,
    callbackEmail: Annotated[str | None, Form()] = None,
    callbackUrl: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Submit a batch script (text, or a path on the machine); the job id arrives in the task."""
    del callbackTimeout, callbackEmail, callbackUrl  # accepted, as the API does; not acted on

    async def body(_: TaskHandle) -> dict[str, Any]:
        return await _submit(facility, identity, machine.value, job, isPath, args)

    task_id = facility.tasks.start(identity.user.name, "submit", body)
    return {"task_id": task_id, "status": "OK", "error": None}


@router.delete("/jobs/{machine}/{jobid}")
async def cancel_job(
    machine: Machine, jobid: str, identity: WriterIdentity, facility: FacilityDep
) -> dict[str, Any]:
    """Cancel a job (all tasks of an array); the outcome arrives in the task."""

    async def body(_: TaskHandle) -> dict[str, Any]:
        base = base_jobid(jobid)
        if base is None:
            return {
                "status": "error",
                "output": "",
                "error": f"scancel: error: Invalid job id {jobid}",
            }
        try:
            await facility.backend.cancel(machine.value, base, identity.user)
        except ScancelError as exc:
            return {"status": "error", "output": "", "error": str(exc)}
        return {"status": "ok", "output": "", "error": None}

    task_id = facility.tasks.start(identity.user.name, "cancel", body)
    return {"task_id": task_id, "status": "OK", "error": None}
