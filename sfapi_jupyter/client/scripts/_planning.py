"""Planning a job: where its output goes, what outages and allocation it runs into."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterable

from ..models import Outage, Project
from ._directives import SbatchDirectives, ScriptIssue, array_tasks


def default_output_path(
    directives: SbatchDirectives,
    jobid: int | str,
    workdir: str,
    *,
    user: str = "",
    array_job_id: int | str | None = None,
    array_task_id: int | None = None,
    error: bool = False,
) -> str:
    """Where sbatch writes a job's stdout (or, with ``error=True``, its stderr).

    Expands ``%j %x %A %a %u %%`` (and ``%4a``-style zero padding) like sbatch; ``%N`` is
    left as is. The default is ``slurm-%j.out``, or ``slurm-%A_%a.out`` for an array; stderr
    goes with stdout unless ``--error`` is given. A backslash turns expansion off, as in sbatch.

    Parameters
    ----------
    directives
        The script's directives (:func:`parse_directives`).
    jobid
        The job id (for an array task, the task's own id).
    workdir
        The directory the job was submitted from; relative paths start there, or at
        ``--chdir`` (itself relative to ``workdir``).
    user
        The user name, for ``%u``.
    array_job_id, array_task_id
        For an array task, ``%A`` and ``%a``; without ``array_task_id`` an array's ``%a``
        stays unexpanded.
    error
        The stderr file instead of stdout.

    Returns
    -------
    str
        An absolute path on the machine.

    Examples
    --------
    >>> from sfapi_jupyter.client.scripts import parse_directives
    >>> d = parse_directives("#!/bin/bash\\n#SBATCH -J sim -o logs/%x-%j.txt\\nsrun sim")
    >>> default_output_path(d, 123, "/home/e/elvis")
    '/home/e/elvis/logs/sim-123.txt'
    """
    pattern = (directives.error if error else None) or directives.output
    pattern = pattern or ("slurm-%A_%a.out" if directives.array else "slurm-%j.out")
    if "\\" in pattern:
        path = pattern.replace("\\", "")
    else:
        plain = None if directives.array else "4294967294"  # sbatch's %a for a plain job
        values: dict[str, str | None] = {"j": str(jobid), "x": directives.job_name or ""}
        values.update(u=user, n="0", t="0", A=str(array_job_id or jobid))
        values["a"] = plain if array_task_id is None else str(array_task_id)

        def expand(match: re.Match[str]) -> str:
            if match[2] == "%":
                return "%"
            value = values.get(match[2])
            if value is None:
                return match[0]
            return value.zfill(int(match[1])) if match[1] and value.isdigit() else value

        path = re.sub(r"%(\d*)([%jxAauNnt])", expand, pattern)
    base = posixpath.join(workdir, directives.chdir) if directives.chdir else workdir
    return posixpath.normpath(posixpath.join(base, path))


def outage_conflicts(
    outages: Iterable[Outage], walltime: dt.timedelta, now: dt.datetime | None = None
) -> list[Outage]:
    """The outages that overlap a job started ``now`` and running for ``walltime``.

    Slurm does not start a job that would run into a maintenance reservation, so each of
    these keeps the job waiting until the outage is over.

    Parameters
    ----------
    outages
        Planned outages, e.g. ``client.planned_outages("perlmutter")``.
    walltime
        The job's time limit (``parse_directives(script).time``).
    now
        When the job would start; default the current time. A naive time is local time.

    Returns
    -------
    list of Outage
        Those overlapping ``[now, now + walltime)``: an outage that starts exactly when the
        job would end, or ends exactly at ``now``, does not conflict.

    Examples
    --------
    >>> from sfapi_jupyter.client.models import Outage
    >>> now = dt.datetime(2025, 1, 1, 8, tzinfo=dt.timezone.utc)
    >>> o = Outage(name="pm", start_at=now + dt.timedelta(hours=2))
    >>> [x.name for x in outage_conflicts([o], dt.timedelta(hours=3), now)]
    ['pm']
    """
    start = (now or dt.datetime.now(dt.timezone.utc)).astimezone()
    return [o for o in outages if o.overlaps(start, start + walltime)]


def node_hours(directives: SbatchDirectives, default_time: dt.timedelta | None = None) -> float:
    """Node-hours requested: nodes * hours, times the task count for an array.

    Charge factors (QOS, machine) are not applied here (:func:`charged_node_hours` does).
    ``--nodes`` defaults to 1.

    Parameters
    ----------
    directives
        The script's directives (:func:`parse_directives`).
    default_time
        The time limit to assume when the script gives none.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When the script gives no ``--time`` and there is no ``default_time``.

    Examples
    --------
    >>> from sfapi_jupyter.client.scripts import parse_directives
    >>> node_hours(parse_directives("#!/bin/bash\\n#SBATCH -N 4 -t 1:30:00\\n"))
    6.0
    """
    time = directives.time or default_time
    if time is None:
        raise ValueError("the script gives no --time; pass default_time")
    tasks = array_tasks(directives.array) if directives.array else 1
    return (directives.nodes or 1) * time.total_seconds() / 3600 * (tasks or 1)


def charged_node_hours(
    directives: SbatchDirectives, default_time: dt.timedelta | None = None
) -> float:
    """:func:`node_hours` times NERSC's factor for the script's QOS, from the package's one
    data file (:mod:`~sfapi_jupyter.client.charges`; ``debug`` when no ``-q``, as on
    Perlmutter). Without a factor for that QOS in the file, the node-hours as they are.
    """
    from ..charges import charge_factors

    hours = node_hours(directives, default_time)
    charged, _ = charge_factors().charged(hours, directives.qos or "debug")
    return hours if charged is None else charged


def allocation_check(
    directives: SbatchDirectives, project: Project, default_time: dt.timedelta | None = None
) -> ScriptIssue | None:
    """A warning when the job asks for more node-hours than ``project`` has left.

    Parameters
    ----------
    directives
        The script's directives; a constraint mentioning ``gpu`` counts GPU hours, anything
        else CPU hours (the project's overall balance when that one is not reported).
    project
        The project charged, e.g. from ``client.projects()``.
    default_time
        The time limit to assume when the script gives none.

    Returns
    -------
    ScriptIssue or None
        None when the job fits, or when that cannot be told (no time limit, no balance).

    Examples
    --------
    >>> from sfapi_jupyter.client.models import Project
    >>> from sfapi_jupyter.client.scripts import parse_directives
    >>> p = Project(id=1, description="", repo_name="m1", cpu_hours_given=10, cpu_hours_used=8)
    >>> print(allocation_check(parse_directives("#!/bin/bash\\n#SBATCH -N 4 -t 1:00:00"), p))
    warning: the job may use 4.0 CPU node-hours but project m1 has 2.0 left
    """
    gpu = "gpu" in (directives.constraint or "")
    kind = "GPU" if gpu else "CPU"
    left = project.gpu_hours_remaining if gpu else project.cpu_hours_remaining
    if left is None:
        left = project.hours_remaining
    if left is None or (directives.time or default_time) is None:
        return None
    need = charged_node_hours(directives, default_time)
    if need <= left:
        return None
    line = directives.lines.get("account")
    if left <= 0:
        msg = f"project {project.repo_name} has no {kind} node-hours left; the job will not run"
        return ScriptIssue(line, "warning", msg)
    msg = f"the job may use {round(need, 2)} {kind} node-hours but project {project.repo_name}"
    return ScriptIssue(line, "warning", f"{msg} has {round(left, 2)} left")
