"""The facility's domain: users, the submit request, the job record and its query.

Every part of the facility speaks these types: the routes, the store, the accounts and both
job backends (``local`` runs batch scripts as processes, ``slurm`` drives a real Slurm), which
describe jobs with the same :class:`JobRecord`. The routes turn records into the exact
squeue/sacct rows of the SF API with :mod:`.backends.rows`, so the wire format lives in one
place and Slurm's quirks stay inside the slurm backend; what a backend must do is
:class:`.backends.base.JobBackend`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: States after which a job never changes again (Slurm's "completed" job states).
TERMINAL_STATES = frozenset(
    {
        "BOOT_FAIL",
        "CANCELLED",
        "COMPLETED",
        "DEADLINE",
        "FAILED",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "TIMEOUT",
        "REVOKED",
        "SPECIAL_EXIT",
    }
)


class SbatchError(Exception):
    """sbatch refused the job; the message is sbatch's own stderr, shown to users verbatim."""


class ScancelError(Exception):
    """scancel refused; the message is scancel's own text."""


class AccountError(ValueError):
    """A bad request to the account registry; the message says what to do instead."""


@dataclass(frozen=True)
class FacilityUser:
    """A facility account as a login node sees it."""

    name: str
    uid: int
    gid: int
    group: str
    home: Path
    scratch: Path
    #: Project (repo) names, e.g. ``["m1234"]``; the first is the default account.
    projects: tuple[str, ...] = ()
    #: Directories the user may read and write besides home and scratch (project dirs).
    project_dirs: tuple[Path, ...] = ()

    @property
    def default_account(self) -> str:
        return self.projects[0] if self.projects else self.name


@dataclass
class SubmitRequest:
    """One ``POST /compute/jobs/{machine}``, after the route resolved and read the script."""

    machine: str
    user: FacilityUser
    script: str
    #: The script's path on the facility when submitted with ``isPath=true``; else None.
    script_path: Path | None = None
    args: list[str] = field(default_factory=list)
    #: Directory sbatch "runs in" (default working dir of the job).
    submit_dir: Path | None = None
    #: The script's parsed ``#SBATCH`` options (a ``sbatch.BatchOptions``) when the route
    #: parsed it already: backends then do not parse it a second time.
    options: Any = None


@dataclass
class JobRecord:
    """Everything the API reports about one job (one array task counts as one job).

    Times are POSIX timestamps (float) or None when not reached yet.
    """

    machine: str
    jobid: int
    name: str
    user: str
    uid: int
    gid: int
    group: str
    account: str
    state: str = "PENDING"
    reason: str = "None"
    partition: str = "regular"
    qos: str = "regular"
    constraint: str = ""
    nodes: int = 1
    cpus: int = 1
    #: Requested wall time in minutes; None = partition default.
    time_limit: int | None = None
    submit_time: float = 0.0
    eligible_time: float | None = None
    start_time: float | None = None
    end_time: float | None = None
    exit_code: int = 0
    #: Terminating signal number (0 if none); sacct prints ``exitcode`` as ``code:signal``.
    signal: int = 0
    nodelist: str = ""
    work_dir: str = ""
    stdout: str = ""
    stderr: str = ""
    command: str = ""
    dependency: str = ""
    array_job_id: int | None = None
    array_task_id: int | None = None
    #: For the pending remainder of an array, e.g. ``"3-9%2"``.
    array_task_str: str = ""
    priority: int = 4294901760
    cancelled_by: int | None = None
    comment: str = ""
    #: Backend-private data (pids, raw Slurm fields); never sent to clients.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def display_state(self) -> str:
        """The state as Slurm prints it: ``CANCELLED by 1000`` for cancelled jobs."""
        if self.state == "CANCELLED" and self.cancelled_by is not None:
            return f"CANCELLED by {self.cancelled_by}"
        return self.state

    @property
    def display_jobid(self) -> str:
        """``123_4`` for an array task, ``123_[5-49]`` for an array's tasks not started yet
        (Slurm keeps them in one record until each starts), ``123`` otherwise: squeue's
        and sacct's JOBID column."""
        if self.array_job_id is not None and self.array_task_id is not None:
            return f"{self.array_job_id}_{self.array_task_id}"
        if self.array_job_id is not None and self.array_task_str:
            return f"{self.array_job_id}_[{self.array_task_str}]"
        return str(self.jobid)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class JobQuery:
    """Filters of ``GET /compute/jobs/{machine}`` (``kwargs=jobid=a,b``, ``user=``, ...).

    Each set is one filter, as squeue's and sacct's comma lists are (``--user=a,b``); a job
    must match every filter given. ``offset``/``limit`` are the API's ``index``/``limit``.
    """

    jobids: frozenset[int] | None = None
    users: frozenset[str] | None = None
    qos: frozenset[str] | None = None
    partitions: frozenset[str] | None = None
    #: Base states (``PENDING``, ``CANCELLED``), as the store keeps them.
    states: frozenset[str] | None = None
    names: frozenset[str] | None = None
    accounts: frozenset[str] | None = None
    #: sacct=true: finished jobs too (squeue shows only queued and running ones).
    include_finished: bool = False
    offset: int = 0
    limit: int | None = None

    def matches(self, job: JobRecord) -> bool:
        """Whether ``job`` belongs in the answer (an array job id matches all its tasks).

        The store answers queries in SQL (:meth:`~..store.Store.select_jobs`); this is the
        same rule for a record in hand.
        """
        if not self.include_finished and job.is_terminal:
            return False
        if self.jobids is not None and not (
            job.jobid in self.jobids or job.array_job_id in self.jobids
        ):
            return False
        pairs = (
            (self.users, job.user),
            (self.qos, job.qos),
            (self.partitions, job.partition),
            (self.states, job.state),
            (self.names, job.name),
            (self.accounts, job.account),
        )
        return all(wanted is None or value in wanted for wanted, value in pairs)
