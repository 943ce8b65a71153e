"""``/utilities``: ls, download, upload (the file work is :mod:`..files`) and run a command.

Failures of the operation itself are HTTP 200 with ``"status": "ERROR"``, as the real API
answers; the file operations run with the caller's own OS identity when the facility runs as
root.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import files
from ..deps import CurrentIdentity, FacilityDep, Machine, WriterIdentity
from ..runner import run_command_task
from ..tasks import TaskHandle

router = APIRouter(prefix="/utilities", tags=["utilities"])


@router.get("/ls/{machine}/{path:path}", response_model=None)
def ls(
    machine: Machine, path: str, identity: CurrentIdentity, facility: FacilityDep
) -> JSONResponse:
    """``ls -la`` of a directory (with ``.`` and ``..``), or the one entry of a file or link."""
    creds = facility.accounts.credentials(identity.user)
    # Already plain JSON: skip FastAPI's encoder, which costs more than a large listing itself.
    return JSONResponse(files.ls(facility.config, identity.user, path, creds))


@router.get("/download/{machine}/{path:path}")
def download(
    machine: Machine,
    path: str,
    identity: CurrentIdentity,
    facility: FacilityDep,
    binary: bool = False,
) -> dict[str, Any]:
    """A small file's content: text, or base64 with ``binary=true``."""
    creds = facility.accounts.credentials(identity.user)
    return files.download(facility.config, identity.user, path, binary, creds)


@router.put("/upload/{machine}/{path:path}")
async def upload(
    machine: Machine,
    path: str,
    identity: WriterIdentity,
    facility: FacilityDep,
    file: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    """Write a small file at ``path`` (created or replaced whole; never half-written)."""
    limit = facility.config.max_upload_bytes
    creds = facility.accounts.credentials(identity.user)
    if file.size is not None and file.size > limit:
        return files.upload_too_big(path, limit)
    return await run_in_threadpool(
        files.upload, facility.config, identity.user, path, file.file, creds
    )


@router.post("/command/{machine}")
async def command(
    machine: Machine,
    identity: WriterIdentity,
    facility: FacilityDep,
    executable: Annotated[str, Form()],
) -> dict[str, Any]:
    """Run a shell command as the user in their home; the result arrives in the task."""

    async def body(handle: TaskHandle) -> dict[str, Any]:
        creds = facility.accounts.credentials(identity.user)
        return await run_command_task(
            facility.config, identity.user, machine.value, executable, handle, creds
        )

    task_id = facility.tasks.start(identity.user.name, "command", body)
    return {"task_id": task_id, "status": "OK", "error": None}
