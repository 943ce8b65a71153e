"""Tasks (``/tasks``): what submits and commands answer with, polled until done, cancelled.

The API's task ``result`` is JSON inside a string; it is parsed leniently, as NERSC's own
client does. Cancelling a task (``DELETE /tasks/{id}``) ends a running command on the
machine, its children included; a finished task is left as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from ._errors import SfApiError, TaskFailedError, UnexpectedAnswerError, WaitTimeout
from .models import Task, TaskStatus

if TYPE_CHECKING:
    from ._client import AsyncClient

#: Seconds a cancel sent on the way out (an interrupt, a closing client) may take.
CANCEL_TIMEOUT = 10.0


def parse_task_result(text: Any) -> Any:
    """A task's ``result``: JSON inside a string, parsed leniently (text before ``{`` dropped)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        start = text.find("{")
        if start > 0:
            try:
                return json.loads(text[start:])
            except ValueError:
                pass
        return text


def task_of(body: Any, task_id: str) -> Task:
    """A :class:`Task` from the API's answer, or :class:`UnexpectedAnswerError`."""
    if not isinstance(body, dict):
        raise UnexpectedAnswerError(f"Task {task_id}: the API's answer is not a JSON object")
    status = body.get("status") or "new"
    try:
        state = TaskStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in TaskStatus)
        raise UnexpectedAnswerError(
            f"Task {task_id}: the API says its status is {str(status)[:40]!r}, which is none "
            f"of {known}"
        ) from None
    return Task(
        id=str(body.get("id", task_id)), status=state, result=parse_task_result(body.get("result"))
    )


async def wait_task(
    client: AsyncClient, task_id: str, timeout: float | None, interval: float
) -> Task:
    """Poll a task until it is done, backing off from ``interval`` to 2 s; the last sleep
    ends at the deadline, so ``timeout`` is kept to within one request."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while True:
        task = await client.task(task_id)
        if task.done:
            if task.status is not TaskStatus.completed:
                raise TaskFailedError(
                    f"Task {task_id} ended {task.status.value}: {task.result or 'no detail'}"
                )
            return task
        pause = interval
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                raise WaitTimeout(f"Task {task_id} did not finish within {timeout} s")
            pause = min(pause, left)
        await asyncio.sleep(pause)
        interval = min(interval * 1.5, 2.0)


async def cancel_task(client: AsyncClient, task_id: str) -> Task:
    """``DELETE /tasks/{id}``: stop a running task; the task as it is after that."""
    response = await client._request("DELETE", f"tasks/{task_id}", retry=False)
    try:
        body = response.json()
    except ValueError:
        body = None
    return task_of(body, task_id)


async def cancel_on_the_way_out(client: AsyncClient, task_id: str) -> None:
    """Cancel a task while the caller itself is being cancelled (Ctrl-C on a blocking call).

    The cancel runs as its own task, so the caller's cancellation cannot cut it short; the
    client keeps it until it is done (``aclose`` waits for it), and a failure to cancel is
    not the caller's error: the caller has been interrupted already.
    """
    sending = asyncio.ensure_future(cancel_task(client, task_id))
    client._cancelling.add(sending)
    sending.add_done_callback(client._cancelling.discard)
    sending.add_done_callback(lambda done: done.cancelled() or done.exception())
    with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, SfApiError):
        await asyncio.wait_for(asyncio.shield(sending), CANCEL_TIMEOUT)
