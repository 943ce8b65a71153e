"""Slurm job states and the job information parsed from squeue/sacct rows.

The API hands back Slurm's text: every value a string, "N/A"/"Unknown" for missing times,
``CANCELLED by 1234`` for a cancelled job, ``3:0`` for exit code 3. :class:`JobInfo` turns
a row of either kind into typed fields and keeps the raw row.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import TYPE_CHECKING, Any

from .._errors import UnexpectedAnswerError
from ._base import Model

if TYPE_CHECKING:
    from ..cost import JobCost


class JobState(str, Enum):
    """Every Slurm job state."""

    BOOT_FAIL = "BOOT_FAIL"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    COMPLETING = "COMPLETING"
    CONFIGURING = "CONFIGURING"
    DEADLINE = "DEADLINE"
    FAILED = "FAILED"
    NODE_FAIL = "NODE_FAIL"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    PENDING = "PENDING"
    PREEMPTED = "PREEMPTED"
    RESV_DEL_HOLD = "RESV_DEL_HOLD"
    REQUEUE_FED = "REQUEUE_FED"
    REQUEUE_HOLD = "REQUEUE_HOLD"
    REQUEUED = "REQUEUED"
    RESIZING = "RESIZING"
    REVOKED = "REVOKED"
    RUNNING = "RUNNING"
    SIGNALING = "SIGNALING"
    SPECIAL_EXIT = "SPECIAL_EXIT"
    STAGE_OUT = "STAGE_OUT"
    STOPPED = "STOPPED"
    SUSPENDED = "SUSPENDED"
    TIMEOUT = "TIMEOUT"
    #: Not a Slurm state: the API does not know the job (yet).
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES

    @classmethod
    def parse(cls, text: str) -> tuple[JobState, int | None]:
        """``"CANCELLED by 1234"`` → (CANCELLED, 1234); unknown text → UNKNOWN."""
        word, _, rest = text.strip().partition(" ")
        try:
            state = cls(word.upper())
        except ValueError:
            return cls.UNKNOWN, None
        match = re.match(r"by (\d+)", rest.strip())
        return state, int(match.group(1)) if match else None


TERMINAL_STATES = frozenset(
    {
        JobState.BOOT_FAIL,
        JobState.CANCELLED,
        JobState.COMPLETED,
        JobState.DEADLINE,
        JobState.FAILED,
        JobState.NODE_FAIL,
        JobState.OUT_OF_MEMORY,
        JobState.PREEMPTED,
        JobState.REVOKED,
        JobState.SPECIAL_EXIT,
        JobState.TIMEOUT,
    }
)

_MISSING = {"", "N/A", "Unknown", "None", "(null)", "None assigned", "UNLIMITED", "INVALID"}


def parse_slurm_time(text: str | None) -> dt.datetime | None:
    """``2023-05-02T18:10:51`` (the facility's local time, no zone) → naive datetime."""
    if text is None or text.strip() in _MISSING:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_duration(text: str | None) -> dt.timedelta | None:
    """Slurm durations: ``1:05``, ``01:02:03``, ``2-03:04:05``, minutes for a bare number."""
    if text is None or text.strip() in _MISSING:
        return None
    value = text.strip()
    days = 0
    if "-" in value:
        day_text, value = value.split("-", 1)
        days = int(day_text)
    parts = [int(p) for p in value.split(":") if p != ""]
    if len(parts) == 1:
        return dt.timedelta(days=days, minutes=parts[0])
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts[-3:]
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


class JobInfo(Model):
    """What is known about one job, from a squeue or sacct row."""

    jobid: str
    name: str | None = None
    user: str | None = None
    state: JobState = JobState.UNKNOWN
    cancelled_by: int | None = None
    reason: str | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    submit_time: dt.datetime | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    elapsed: dt.timedelta | None = None
    time_limit: dt.timedelta | None = None
    nodes: int | None = None
    nodelist: str | None = None
    partition: str | None = None
    qos: str | None = None
    account: str | None = None
    work_dir: str | None = None
    comment: str | None = None
    array_job_id: str | None = None
    array_task_id: str | None = None
    #: Which listing the row came from: ``squeue`` or ``sacct``.
    source: str = "squeue"
    raw: dict[str, Any] = {}

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    @property
    def cost(self) -> JobCost | None:
        """What the job cost (:mod:`~sfapi_jupyter.client.cost`), once it has ended and the
        row is sacct's; None before (or when the row says too little)."""
        if not self.is_terminal or self.source != "sacct":
            return None
        from ..cost import job_cost

        try:
            return job_cost([self.raw], self.jobid)
        except ValueError:
            return None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobInfo:
        """Parse a squeue row (``sacct=false``) or a sacct row (``sacct=true``); a row whose
        fields are not what squeue or sacct write raises :class:`UnexpectedAnswerError`."""
        try:
            return cls._from_row(row)
        except (AttributeError, TypeError, ValueError) as exc:
            if isinstance(exc, UnexpectedAnswerError):
                raise
            jobid = str(row.get("jobid", "?"))[:40] if isinstance(row, dict) else "?"
            raise UnexpectedAnswerError(
                f"The API's row for job {jobid} has a field squeue/sacct would not write "
                f"({type(exc).__name__}: {exc})"
            ) from None

    @classmethod
    def _from_row(cls, row: dict[str, Any]) -> JobInfo:
        state, by = JobState.parse(str(row.get("state", "")))
        if "jobidraw" in row or "exitcode" in row:  # sacct
            code, _, sig = str(row.get("exitcode", "")).partition(":")
            jobid = str(row.get("jobidraw") or row.get("jobid", ""))
            display = str(row.get("jobid", jobid))
            array_job, array_task = None, None
            if "_" in display:
                array_job, _, array_task = display.partition("_")
            return cls(
                jobid=jobid,
                name=row.get("jobname"),
                user=row.get("user"),
                state=state,
                cancelled_by=by,
                reason=row.get("reason"),
                exit_code=_int(code),
                exit_signal=_int(sig),
                submit_time=parse_slurm_time(row.get("submit")),
                start_time=parse_slurm_time(row.get("start")),
                end_time=parse_slurm_time(row.get("end")),
                elapsed=parse_duration(row.get("elapsed")),
                time_limit=parse_duration(row.get("timelimit")),
                nodes=_int(row.get("nnodes")),
                nodelist=row.get("nodelist"),
                partition=row.get("partition"),
                qos=row.get("qos"),
                account=row.get("account"),
                work_dir=row.get("workdir"),
                comment=row.get("comment"),
                array_job_id=array_job,
                array_task_id=array_task,
                source="sacct",
                raw=dict(row),
            )
        task = row.get("array_task_id")
        array_job = row.get("array_job_id")
        is_array = task not in (None, "", "N/A")
        return cls(
            jobid=str(row.get("jobid", "")),
            name=row.get("name"),
            user=row.get("user"),
            state=state,
            cancelled_by=by,
            reason=row.get("reason"),
            submit_time=parse_slurm_time(row.get("submit_time")),
            start_time=parse_slurm_time(row.get("start_time")),
            end_time=parse_slurm_time(row.get("end_time")) if state.is_terminal else None,
            elapsed=parse_duration(row.get("time")),
            time_limit=parse_duration(row.get("time_limit")),
            nodes=_int(row.get("nodes")),
            nodelist=row.get("nodelist") or None,
            partition=row.get("partition"),
            qos=row.get("qos"),
            account=row.get("account"),
            work_dir=row.get("work_dir"),
            comment=row.get("comment"),
            array_job_id=array_job if is_array else None,
            array_task_id=task if is_array else None,
            source="squeue",
            raw=dict(row),
        )
