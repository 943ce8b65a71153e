"""``/tasks``: the results of asynchronous operations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from ..deps import CurrentIdentity, FacilityDep, WriterIdentity

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("")
@router.get("/", include_in_schema=False)
def list_tasks(identity: CurrentIdentity, facility: FacilityDep) -> dict[str, Any]:
    """The caller's tasks."""
    return {"tasks": facility.tasks.list(identity.user.name)}


@router.get("/{task_id}")
def get_task(task_id: str, identity: CurrentIdentity, facility: FacilityDep) -> dict[str, Any]:
    """One task; ``result`` is a JSON string."""
    task = facility.tasks.get(task_id, identity.user.name)
    if task is None:
        raise HTTPException(404, f"Not found: no task {task_id}")
    return task


@router.delete("/{task_id}")
async def cancel_task(
    task_id: str, identity: WriterIdentity, facility: FacilityDep
) -> dict[str, Any]:
    """Cancel a running task (a command); a finished task is left as it is.

    Like starting one, this needs a red client: a read-only client may not kill commands.
    """
    task = await facility.tasks.cancel(task_id, identity.user.name)
    if task is None:
        raise HTTPException(404, f"Not found: no task {task_id}")
    return task
