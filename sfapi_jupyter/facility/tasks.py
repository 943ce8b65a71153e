"""Asynchronous operations: submit, cancel and run-command answer with a task id at once.

A task's ``result`` is a JSON *string*, exactly as the real API returns it. ``status`` is
``new`` while the work runs (``result`` may already hold partial output), then ``completed``
(the work ran: its own success or failure is inside ``result``), ``failed`` (the task
machinery itself failed) or ``cancelled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .store import Store

log = logging.getLogger(__name__)

TaskBody = Callable[["TaskHandle"], Awaitable[dict[str, Any]]]


class TaskHandle:
    """What a running task may do: publish partial results."""

    def __init__(self, manager: TaskManager, task_id: str, user: str, kind: str) -> None:
        self._manager = manager
        self.id = task_id
        self.user = user
        self.kind = kind

    def partial(self, result: dict[str, Any]) -> None:
        """Show ``result`` while the task is still ``new`` (like NERSC's streamed output)."""
        self._manager.store.put_task(self.id, self.user, "new", json.dumps(result), self.kind)


class TaskManager:
    """Runs task bodies on the server's event loop and records their outcome."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._running: dict[str, asyncio.Task[None]] = {}

    def recover(self) -> None:
        """Tasks cut off by a restart end as failed, with a message that says so."""
        for row in self.store._all("SELECT id, user, kind FROM tasks WHERE status='new'"):
            self.store.put_task(
                row["id"],
                row["user"],
                "failed",
                json.dumps("the facility restarted while this task ran; run it again"),
                row["kind"],
            )

    def start(self, user: str, kind: str, body: TaskBody) -> str:
        task_id = str(self.store.next_counter("next_task_id", 100001))
        self.store.put_task(task_id, user, "new", None, kind)
        handle = TaskHandle(self, task_id, user, kind)
        self._running[task_id] = asyncio.get_running_loop().create_task(self._run(handle, body))
        return task_id

    async def _run(self, handle: TaskHandle, body: TaskBody) -> None:
        try:
            result = await body(handle)
        except asyncio.CancelledError:
            row = self.store.get_task(handle.id)
            self.store.put_task(
                handle.id, handle.user, "cancelled", row["result"] if row else None, handle.kind
            )
            return
        except Exception as exc:
            log.exception("task %s (%s) failed", handle.id, handle.kind)
            self.store.put_task(
                handle.id,
                handle.user,
                "failed",
                json.dumps(f"{type(exc).__name__}: {exc}"),
                handle.kind,
            )
            return
        finally:
            self._running.pop(handle.id, None)
        self.store.put_task(handle.id, handle.user, "completed", json.dumps(result), handle.kind)

    def get(self, task_id: str, user: str) -> dict[str, Any] | None:
        row = self.store.get_task(task_id)
        if row is None or row["user"] != user:
            return None
        return {"id": row["id"], "status": row["status"], "result": row["result"]}

    def list(self, user: str) -> list[dict[str, Any]]:
        return [
            {"id": r["id"], "status": r["status"], "result": r["result"]}
            for r in self.store.list_tasks(user)
        ]

    async def cancel(self, task_id: str, user: str) -> dict[str, Any] | None:
        """Cancel a running task; a finished one is left as it is."""
        row = self.store.get_task(task_id)
        if row is None or row["user"] != user:
            return None
        running = self._running.get(task_id)
        if running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        return self.get(task_id, user)

    async def shutdown(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
