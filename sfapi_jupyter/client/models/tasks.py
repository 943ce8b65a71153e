"""Asynchronous tasks and command results."""

from __future__ import annotations

from enum import Enum
from typing import Any

from ._base import Model


class TaskStatus(str, Enum):
    new = "new"
    completed = "completed"
    cancelled = "cancelled"
    failed = "failed"


class Task(Model):
    """A task; ``result`` is already parsed from its JSON string (lenient)."""

    id: str
    status: TaskStatus = TaskStatus.new
    result: Any = None

    @property
    def done(self) -> bool:
        return self.status is not TaskStatus.new


class CommandResult(Model):
    """What a command printed and how it exited. A non-zero exit is data, not an error."""

    output: str = ""
    error: str = ""
    exit_code: int | None = None
    status: str | None = None

    @property
    def ok(self) -> bool:
        if self.exit_code is not None:
            return self.exit_code == 0
        return self.status == "ok"
