"""Task polls shared by every waiter of one client.

Submits, cancels and commands answer with a task id; the job id or the output arrives in
``GET /tasks/{id}``. Many submits at once (``submit_many``, ``submit_nowait`` in a loop,
``asyncio.gather`` of submits) would cost one poll each, so the client's
:class:`TaskBatcher` gathers the polls due at the same time: one id is one
``GET /tasks/{id}``; several are one ``GET /tasks`` (the caller's tasks, each with its
result), with a ``GET /tasks/{id}`` only for those the list did not hold. The list costs
more the more tasks the user has, so it is used only while it stays small next to the
polls it replaces (``LIST_BYTES_PER_TASK``).

Waiters poll at once, then after 0.2 s, growing by 1.5 up to ``MAX_POLL_INTERVAL`` (1 s,
NERSC's client's fixed interval: under load a submit task can take seconds, and a longer
interval would only add to the wait).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._errors import ApiError, SfApiError, TaskFailedError, WaitTimeout
from .models import Task, TaskStatus

if TYPE_CHECKING:
    from ._client import AsyncClient

#: The longest pause between two polls of one task, in seconds.
MAX_POLL_INTERVAL = 1.0
#: ``GET /tasks`` replaces k polls while its last answer was at most k times this many bytes
#: (one task is about 120 bytes in the list: the list is worth it while it holds fewer than
#: about 12 tasks per task waited for; a longer list costs the API more than the polls).
LIST_BYTES_PER_TASK = 1500


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


def task_from_body(body: dict[str, Any], task_id: str | None = None) -> Task:
    """A :class:`Task` from one task as the API shows it."""
    return Task(
        id=str(body.get("id", task_id)),
        status=TaskStatus(body.get("status") or "new"),
        result=parse_task_result(body.get("result")),
    )


def _answer(task_id: str, body: Any) -> Task | BaseException:
    if isinstance(body, BaseException):
        return body
    try:
        return task_from_body(body, task_id)
    except (AttributeError, TypeError, ValueError):
        return ApiError(f"GET tasks/{task_id}: the API answered with something that is not a task")


@dataclass(eq=False)
class _Batch:
    future: asyncio.Future[dict[str, Task | BaseException]]
    ids: set[str] = field(default_factory=set)


class TaskBatcher:
    """One client's task polls: polls due together cost one request.

    Callers that ask in the same pass of the event loop (e.g. the submits whose POSTs were
    answered together) share a batch; batches never wait for each other (under load a
    round trip is what costs, not a request).
    ``requests`` counts the requests sent (``list_requests`` those that were ``GET /tasks``).
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.requests = 0
        self.list_requests = 0
        #: Bytes of the last ``GET /tasks`` answer (None: not asked yet).
        self.list_bytes: int | None = None
        self._batch: _Batch | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def pending_tasks(self) -> list[asyncio.Task[None]]:
        return [t for t in self._tasks if not t.done()]

    async def poll(self, task_id: str) -> Task:
        """The task as the API shows it now (one request shared with concurrent polls)."""
        batch = self._batch
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._batch = _Batch(loop.create_future())
            task = loop.create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.ids.add(task_id)
        answer = (await asyncio.shield(batch.future))[task_id]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def wait(
        self, task_id: str, timeout: float | None = None, *, interval: float = 0.2
    ) -> Task:
        """Poll a task until it is done, backing off from ``interval`` to 1 s."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            task = await self.poll(task_id)
            if task.done:
                if task.status is not TaskStatus.completed:
                    raise TaskFailedError(
                        f"Task {task_id} ended {task.status.value}: {task.result or 'no detail'}"
                    )
                return task
            if deadline is not None and loop.time() >= deadline:
                raise WaitTimeout(f"Task {task_id} did not finish within {timeout} s")
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)

    def _list_is_worth_it(self, count: int) -> bool:
        if count < 2:
            return False
        return self.list_bytes is None or self.list_bytes <= LIST_BYTES_PER_TASK * count

    async def _send(self, batch: _Batch) -> None:
        try:
            await asyncio.sleep(0)  # polls started in the same loop pass join this batch
            self._batch = None
            answers: dict[str, Task | BaseException] = {}
            if self._list_is_worth_it(len(batch.ids)):
                answers.update(await self._from_list(batch.ids))
            # One by one, at once: waiting for each other would only add round trips.
            missing = sorted(batch.ids - answers.keys())
            self.requests += len(missing)
            polled = await asyncio.gather(
                *(self.client._get(f"tasks/{i}") for i in missing), return_exceptions=True
            )
            for task_id, body in zip(missing, polled, strict=True):
                answers[task_id] = _answer(task_id, body)
        except BaseException as exc:
            if self._batch is batch:
                self._batch = None
            if not batch.future.done():
                if isinstance(exc, asyncio.CancelledError):
                    batch.future.cancel()
                else:
                    batch.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            batch.future.set_result(answers)

    async def _from_list(self, ids: set[str]) -> dict[str, Task]:
        """The tasks of ``ids`` that ``GET /tasks`` holds (none if the list cannot be read:
        each is then polled on its own, with its own retries and errors)."""
        self.requests += 1
        self.list_requests += 1
        try:
            response = await self.client._request("GET", "tasks")
            self.list_bytes = len(response.content)
            rows = response.json().get("tasks") or []
            return {
                str(row["id"]): task_from_body(row) for row in rows if str(row.get("id")) in ids
            }
        except (SfApiError, ValueError, TypeError, KeyError, AttributeError):
            return {}
