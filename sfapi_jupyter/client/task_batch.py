"""Shared task polls: polls of tasks due together cost one request.

Many submits at once (``submit_many``, ``submit_nowait`` in a loop, ``asyncio.gather`` of
submits) would cost one poll each, so the client's :class:`TaskBatcher` gathers the polls
due in the same pass of the event loop: one id is one ``GET /tasks/{id}``; several are one
``GET /tasks`` (the caller's running and newest tasks), with a ``GET /tasks/{id}`` only for
those the list did not hold. The list costs more the more tasks it holds, so it is used only
while it stays short next to the polls it replaces (``LIST_BYTES_PER_TASK``). The task
calls themselves are in :mod:`.resources.tasks`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._errors import SfApiError
from ._loop import settle
from .models import Task
from .resources.tasks import task_of

if TYPE_CHECKING:
    from ._client import AsyncClient

#: ``GET /tasks`` replaces k polls while its last answer was at most k times this many bytes.
#: Measured against the local facility, a list of 100 tasks (11 KB) costs it about what two
#: single polls do; with this bound it is asked for three polls or more.
LIST_BYTES_PER_TASK = 4000


def _answer(task_id: str, body: Any) -> Task | BaseException:
    if isinstance(body, BaseException):
        return body
    try:
        return task_of(body, task_id)
    except SfApiError as exc:  # not a task: that waiter's error alone
        return exc


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

    def cancel(self) -> None:
        """Stop every poll being sent (the client is closing)."""
        for task in self._tasks:
            task.cancel()

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

    def _list_is_worth_it(self, count: int) -> bool:
        if count < 2:
            return False
        return self.list_bytes is None or self.list_bytes <= LIST_BYTES_PER_TASK * count

    async def _send(self, batch: _Batch) -> None:
        await settle(batch.future, self._fetch(batch), lambda: self._forget(batch))

    async def _fetch(self, batch: _Batch) -> dict[str, Task | BaseException]:
        await asyncio.sleep(0)  # polls started in the same loop pass join this batch
        self._batch = None
        answers: dict[str, Task | BaseException] = {}
        if self._list_is_worth_it(len(batch.ids)):
            answers.update(await self._from_list(batch.ids))
        # One by one, at once: waiting for each other would only add round trips.
        missing = sorted(batch.ids - answers.keys())
        self.requests += len(missing)
        polled = await asyncio.gather(
            *(self.client._get(f"tasks/{i}", shape=dict) for i in missing),
            return_exceptions=True,
        )
        for task_id, body in zip(missing, polled, strict=True):
            answers[task_id] = _answer(task_id, body)
        return answers

    def _forget(self, batch: _Batch) -> None:
        if self._batch is batch:
            self._batch = None

    async def _from_list(self, ids: set[str]) -> dict[str, Task]:
        """The tasks of ``ids`` that ``GET /tasks`` holds (none if the list cannot be read:
        each is then polled on its own, with its own retries and errors)."""
        self.requests += 1
        self.list_requests += 1
        try:
            response = await self.client._request("GET", "tasks")
            self.list_bytes = len(response.content)
            rows = response.json().get("tasks") or []
            mine = [r for r in rows if isinstance(r, dict) and str(r.get("id")) in ids]
            return {str(r["id"]): task_of(r, str(r["id"])) for r in mine}
        except (SfApiError, ValueError, TypeError, AttributeError):
            return {}
