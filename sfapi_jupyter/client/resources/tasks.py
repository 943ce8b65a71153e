"""Tasks (``/tasks``): what submits and commands answer with, polled until done, cancelled.

The API's task ``result`` is JSON inside a string; it is parsed leniently, as NERSC's own
client does. Cancelling a task (``DELETE /tasks/{id}``) ends a running command on the
machine, its children included; a finished task is left as it is.

Waiters poll at once, then after 0.2 s, growing by 1.5 up to ``MAX_POLL_INTERVAL`` (1 s,
NERSC's client's fixed interval: under load a submit task can take seconds, and a longer
interval would only add to the wait). Polls due together share one request: see
:class:`~sfapi_jupyter.client.task_batch.TaskBatcher` (``client.task_polls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from .._errors import SfApiError, TaskFailedError, UnexpectedAnswerError, WaitTimeout
from ..models import Task, TaskStatus
from ._part import ClientPart, SyncPart

if TYPE_CHECKING:
    from ..task_batch import TaskBatcher

#: Seconds a cancel sent on the way out (an interrupt, a closing client) may take.
CANCEL_TIMEOUT = 10.0
#: The longest pause between two polls of one task, in seconds.
MAX_POLL_INTERVAL = 1.0


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


async def cancel_on_the_way_out(client: AsyncTasks, task_id: str) -> None:
    """Cancel a task while the caller itself is being cancelled (Ctrl-C on a blocking call).

    The cancel runs as its own task, so the caller's cancellation cannot cut it short; the
    client keeps it until it is done (``aclose`` waits for it), and a failure to cancel is
    not the caller's error: the caller has been interrupted already.
    """
    sending = asyncio.ensure_future(client.cancel_task(task_id))
    client._cancelling.add(sending)
    sending.add_done_callback(client._cancelling.discard)
    sending.add_done_callback(lambda done: done.cancelled() or done.exception())
    with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, SfApiError):
        await asyncio.wait_for(asyncio.shield(sending), CANCEL_TIMEOUT)


class AsyncTasks(ClientPart):
    """``AsyncClient.task``, ``tasks``, ``wait_task``, ``cancel_task``."""

    #: Shared task polls (submits, cancels, commands); the client makes it.
    task_polls: TaskBatcher
    #: Task cancels still on their way (sent when a wait was interrupted).
    _cancelling: set[asyncio.Future[Task]]

    async def task(self, task_id: str) -> Task:
        return task_of(await self._get(f"tasks/{task_id}", shape=dict), task_id)

    async def tasks(self) -> list[Task]:
        body = await self._get("tasks", shape=dict)
        rows = body.get("tasks") or []
        if not isinstance(rows, list) or not all(isinstance(t, dict) for t in rows):
            raise UnexpectedAnswerError("GET tasks: the API's tasks are not a list of objects")
        return [task_of(t, str(t.get("id"))) for t in rows]

    async def wait_task(
        self, task_id: str, timeout: float | None = None, *, interval: float = 0.2
    ) -> Task:
        """Poll a task until it is done, backing off from ``interval`` to 1 s; the last sleep
        ends at the deadline, so ``timeout`` is kept to within one request. Polls due at the
        same time as others share their request (``task_polls``)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            task = await self.task_polls.poll(task_id)
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
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)

    async def cancel_task(self, task_id: str) -> Task:
        """Cancel a running task (``DELETE /tasks/{id}``; a command: it is killed, with its
        children); a finished task is left as it is. The task as it is afterwards."""
        response = await self._request("DELETE", f"tasks/{task_id}", retry=False)
        try:
            body = response.json()
        except ValueError:
            body = None
        return task_of(body, task_id)


class SyncTasks(SyncPart):
    """The blocking twins of :class:`AsyncTasks` (a mixin of ``Client``)."""

    def task(self, task_id: str) -> Task:
        return self._run(self.aio.task(task_id))

    def tasks(self) -> list[Task]:
        return self._run(self.aio.tasks())

    def wait_task(self, task_id: str, timeout: float | None = None) -> Task:
        return self._run(self.aio.wait_task(task_id, timeout))

    def cancel_task(self, task_id: str) -> Task:
        """Cancel a running task (a command is killed, with its children)."""
        return self._run(self.aio.cancel_task(task_id))
