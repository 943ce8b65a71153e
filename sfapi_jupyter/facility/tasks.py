"""Asynchronous operations: submit, cancel and run-command answer with a task id at once.

A task's ``result`` is a JSON *string*, exactly as the real API returns it. ``status`` is
``new`` while the work runs (``result`` may already hold partial output), then ``completed``
(the work ran: its own success or failure is inside ``result``), ``failed`` (the task
machinery itself failed) or ``cancelled``.

Results never pile up: one result holds at most ``max_command_output_bytes`` (plus room for
its JSON), finished tasks are forgotten after ``task_retention_seconds``, each user keeps at
most ``max_tasks_per_user`` finished tasks and ``max_task_bytes_per_user`` bytes of their
results (the oldest go first, never one finished in the last :data:`GRACE_SECONDS`: its
client may still be polling for it), and ``GET /tasks`` lists the running tasks and the
newest finished ones, at most :data:`LIST_COUNT` and :data:`LIST_BYTES` of results. A
running task always stays: clients look for running submits after a lost answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .config import FacilityConfig
from .store import Store

log = logging.getLogger(__name__)

#: ``GET /tasks`` lists at most this many tasks, with at most this many bytes of results
#: (running tasks are always listed); older ones are still there by id.
LIST_COUNT = 100
LIST_BYTES = 16 * 1024 * 1024
#: A finished task is kept at least this long whatever the caps: its client polls for it.
GRACE_SECONDS = 600.0
#: Room in one stored result, beyond the command output limit, for JSON and messages.
RESULT_SLACK = 64 * 1024
#: Each task's rank and running total of result bytes, newest first.
_RANKED = (
    "SELECT id, status, COALESCE(finished, created) AS ended, "
    "ROW_NUMBER() OVER w AS n, SUM(COALESCE(length(CAST(result AS BLOB)), 0)) OVER w AS total "
    "FROM tasks WHERE user=? {} WINDOW w AS (ORDER BY created DESC, CAST(id AS INTEGER) DESC)"
)


def bounded_json(result: Any, limit: int) -> str:
    """``result`` as JSON of at most about ``limit`` bytes: the longest strings inside are
    cut (and the cut said in ``error``) until it fits."""
    text = json.dumps(result, ensure_ascii=False)
    if len(text.encode()) <= limit:
        return text
    if not isinstance(result, dict):
        return json.dumps(f"the result is over the facility's limit of {limit} bytes")
    trimmed = dict(result)
    while len(text.encode()) > limit - 256:
        strings = [k for k, v in trimmed.items() if isinstance(v, str) and v]
        if not strings:
            break
        longest = max(strings, key=lambda k: len(trimmed[k]))
        trimmed[longest] = trimmed[longest][: len(trimmed[longest]) // 2]
        text = json.dumps(trimmed, ensure_ascii=False)
    trimmed["error"] = f"{trimmed.get('error') or ''}\n[result truncated to {limit} bytes]"
    return json.dumps(trimmed, ensure_ascii=False)


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
        self._manager.put(self.id, self.user, "new", result, self.kind)


class TaskManager:
    """Runs task bodies on the server's event loop and records their outcome."""

    def __init__(self, store: Store, config: FacilityConfig) -> None:
        self.store = store
        self.config = config
        self.max_result_bytes = self.config.max_command_output_bytes + RESULT_SLACK
        self._running: dict[str, asyncio.Task[None]] = {}
        #: When each user's finished tasks were last pruned (see :meth:`prune`).
        self._pruned: dict[str, float] = {}

    def put(self, task_id: str, user: str, status: str, result: Any, kind: str) -> None:
        """Store a task's state; ``result`` (None, or what becomes its JSON) is bounded."""
        text = None if result is None else bounded_json(result, self.max_result_bytes)
        self.store.put_task(task_id, user, status, text, kind)

    def recover(self) -> None:
        """Tasks cut off by a restart end as failed, with a message that says so."""
        for row in self.store._all("SELECT id, user, kind FROM tasks WHERE status='new'"):
            self.put(
                row["id"],
                row["user"],
                "failed",
                "the facility restarted while this task ran; run it again",
                row["kind"],
            )
        cutoff = time.time() - self.config.task_retention_seconds
        self.store._run(
            "DELETE FROM tasks WHERE status!='new' AND COALESCE(finished, created) < ?", (cutoff,)
        )

    def prune(self, user: str) -> None:
        """Forget ``user``'s finished tasks past the retention time or over the caps.

        At most once a minute per user (more often only for a retention under two minutes):
        the query ranks all of a user's tasks, and nothing younger than the 10-minute grace
        may go anyway, so pruning after every task of a burst of submits would only add cost.
        """
        now, config = time.time(), self.config
        if now - self._pruned.get(user, 0.0) < min(60.0, config.task_retention_seconds / 2):
            return
        self._pruned[user] = now
        ranked = self.store._all(_RANKED.format("AND status!='new'"), (user,))
        old = [
            r["id"]
            for r in ranked
            if r["ended"] < now - config.task_retention_seconds
            or (
                r["ended"] < now - GRACE_SECONDS
                and (
                    r["n"] > config.max_tasks_per_user
                    or r["total"] > config.max_task_bytes_per_user
                )
            )
        ]
        if old:
            self.store._run(
                "DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(old),)
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
            self.put(handle.id, handle.user, "failed", f"{type(exc).__name__}: {exc}", handle.kind)
            return
        finally:
            self._running.pop(handle.id, None)
            self.prune(handle.user)
        self.put(handle.id, handle.user, "completed", result, handle.kind)

    def get(self, task_id: str, user: str) -> dict[str, Any] | None:
        row = self.store.get_task(task_id)
        if row is None or row["user"] != user:
            return None
        return {"id": row["id"], "status": row["status"], "result": row["result"]}

    def list(self, user: str) -> list[dict[str, Any]]:
        """The running tasks and the newest finished ones (see the module docstring)."""
        shown = [
            r["id"]
            for r in self.store._all(_RANKED.format(""), (user,))
            if r["status"] == "new" or (r["n"] <= LIST_COUNT and r["total"] <= LIST_BYTES)
        ]
        rows = self.store._all(
            "SELECT id, status, result FROM tasks WHERE id IN (SELECT value FROM json_each(?)) "
            "ORDER BY created, CAST(id AS INTEGER)",
            (json.dumps(shown),),
        )
        return [{"id": r["id"], "status": r["status"], "result": r["result"]} for r in rows]

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
