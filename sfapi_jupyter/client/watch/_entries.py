"""What the watcher keeps per job, and how an array's tasks add up to one state."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from .._errors import AuthenticationError, PermissionDeniedError, ValidationError
from ..models import JobInfo, JobState
from ..resources.jobs import AsyncJob
from ..resources.sacct_batch import MAX_IDS_PER_REQUEST

__all__ = ["MAX_IDS_PER_REQUEST", "PERMANENT_ERRORS", "WatchedJob", "aggregate_state", "task_key"]

#: Errors that asking again will not cure: waiters get them at once.
PERMANENT_ERRORS = (AuthenticationError, PermissionDeniedError, ValidationError)
_LIVE_ORDER = (JobState.RUNNING, JobState.COMPLETING, JobState.CONFIGURING, JobState.PENDING)


@dataclass(eq=False)
class WatchedJob:
    job: AsyncJob
    fresh_until: float
    state: JobState
    done: asyncio.Event = field(default_factory=asyncio.Event)
    #: Array tasks by ``<array id>_<task id>`` (plain jobs: one entry by job id).
    tasks: dict[str, JobInfo] = field(default_factory=dict)
    #: Other handles on the same job id; they get the same updates.
    handles: weakref.WeakSet[AsyncJob] = field(default_factory=weakref.WeakSet)
    missing_since: float | None = None
    error: BaseException | None = None


def aggregate_state(infos: list[JobInfo]) -> JobState:
    """One state for an array: live while any task is, else the first that did not complete."""
    live = [i.state for i in infos if not i.state.is_terminal]
    if live:
        return next((s for s in _LIVE_ORDER if s in live), live[0])
    failed = [i.state for i in infos if i.state is not JobState.COMPLETED]
    return failed[0] if failed else (JobState.COMPLETED if infos else JobState.UNKNOWN)


def task_key(info: JobInfo) -> str:
    if info.array_task_id is not None:
        return f"{info.array_job_id}_{info.array_task_id}"
    return info.jobid
