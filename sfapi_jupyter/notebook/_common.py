"""Small helpers shared by the notebook's feature modules: the machine, the job, a message."""

from __future__ import annotations

import sys

from ..client import AsyncJob, Client, Job, Machine
from ..widgets.support.mainthread import dispatcher
from .session import default_machine, get_client


def say(text: str, *, error: bool = False) -> None:
    # Printed on purpose: these lines belong above the widget in the cell's output.
    print(text, file=sys.stderr if error else sys.stdout)


def resolve_machine(client: Client | None, machine: str | Machine | None) -> tuple[Client, Machine]:
    dispatcher().bind()
    if isinstance(machine, Machine):
        return machine.client, machine
    client = client or get_client()
    return client, client.compute(machine or default_machine())


def as_job(job: Job | AsyncJob | str | int, machine: Machine) -> Job:
    if isinstance(job, Job):
        return job
    if isinstance(job, AsyncJob):
        return machine.job_handle(job)
    return machine.job(check_jobid(job))


def check_jobid(jobid: str | int) -> str:
    """``jobid`` as text, if it looks like a Slurm job id (``12``, ``12_3``); else ValueError."""
    text = str(jobid).strip()
    head, sep, task = text.partition("_")
    if not head.isdigit() or (sep and not task.isdigit()):
        raise ValueError(f"{text!r} is not a job id (a number, or 12_3 for an array task)")
    return text
