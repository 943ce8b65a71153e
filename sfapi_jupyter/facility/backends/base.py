"""What every job backend speaks: the backend protocol (its types are in :mod:`..models`).

Both backends (``local`` runs batch scripts as processes, ``slurm`` drives a real Slurm) are
built with the facility's configuration, its store and its accounts (who a user is on the
host: the OS identity a job and its files take), and describe jobs with the same
:class:`~..models.JobRecord`.
"""

from __future__ import annotations

from typing import Protocol

from ..models import FacilityUser, JobQuery, JobRecord, SubmitRequest


class JobBackend(Protocol):
    """A job backend for one facility (all machines)."""

    name: str

    async def start(self) -> None:
        """Start background work (scheduler loop, recovery after a restart)."""

    async def stop(self) -> None:
        """Stop background work; running jobs keep running where the backend allows it."""

    async def submit(self, request: SubmitRequest) -> int:
        """Queue a batch script; return its job id. Raises :class:`~..models.SbatchError`."""

    async def jobs(self, machine: str, query: JobQuery) -> list[JobRecord]:
        """Jobs of ``machine`` matching ``query``, ordered by job id."""

    async def cancel(self, machine: str, jobid: int, user: FacilityUser) -> None:
        """Cancel a job (and all tasks if it is an array).

        Raises :class:`~..models.ScancelError`.
        """
