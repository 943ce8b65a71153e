"""``/compute/jobs``: submit, list, inspect and cancel batch jobs.

Errors inside a well-formed request are answered the way the real API answers them: HTTP
200 with ``"status": "ERROR"`` (listing) or a task whose result says ``"status": "error"``
(submit, cancel), carrying sbatch's/scancel's own message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import JSONResponse

from ..backends.rows import sacct_row, squeue_row
from ..callbacks import CallbackError, check_email, check_url
from ..deps import CurrentIdentity, FacilityDep, Machine, WriterIdentity
from ..job_filters import FilterError, base_jobid, parse_kwargs
from ..models import JobQuery, JobRecord, ScancelError
from ..submit import submit_script
from ..tasks import TaskHandle

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
    """Submit a batch script (text, or a path on the machine); the job id arrives in the task.

    ``callbackUrl``/``callbackEmail`` are told when the job ends (:mod:`..callbacks`); one the
    facility will not act on fails the submit with a message saying why.
    """

    async def body(_: TaskHandle) -> dict[str, Any]:
        try:
            if callbackUrl:
                check_url(callbackUrl, facility.config.callback_private_ok)
            if callbackEmail:
                check_email(callbackEmail)
            if callbackTimeout is not None and callbackTimeout <= 0:
                raise CallbackError("callbackTimeout is in seconds and must be positive")
        except CallbackError as exc:
            return {"status": "error", "jobid": None, "error": str(exc)}
        result = await submit_script(
            facility.config,
            facility.accounts,
            facility.backend,
            identity.user,
            machine.value,
            job,
            isPath,
            args,
        )
        if result["jobid"] and (callbackUrl or callbackEmail):
            record = JobRecord(machine.value, int(result["jobid"]), "", "", 0, 0, "", "")
            facility.callbacks.add(record, callbackUrl, callbackEmail, callbackTimeout)
        return result

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
