"""Pure pieces of the ``local`` backend: job records, node names, job environment.

Nothing here touches processes or the event loop, so the Slurm conventions (hostlists,
output file names, SLURM_* variables, dependency rules) can be read and tested apart
from the scheduler in :mod:`sfapi_jupyter.facility.backends.local`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from ..environment import login_environment
from ..sbatch import BatchOptions, default_output_name, expand_filename_pattern
from ..sbatch_values import parse_dependency
from .base import JobRecord, SubmitRequest


@functools.lru_cache(maxsize=8)
def node_names(count: int) -> tuple[str, ...]:
    """Perlmutter-style node names: ``nid001001``, ``nid001002``, … (made once per count:
    the scheduler asks for them for every pending job on every pass)."""
    return tuple(f"nid{1001 + i:06d}" for i in range(count))


def compress_nodelist(names: list[str]) -> str:
    """Slurm's hostlist form: ``nid001001`` or ``nid[001001-001002,001004]``."""
    if len(names) <= 1:
        return "".join(names)
    numbers = sorted(int(n[3:]) for n in names)
    ranges: list[str] = []
    start = prev = numbers[0]
    for number in [*numbers[1:], -1]:
        if number == prev + 1:
            prev = number
            continue
        ranges.append(f"{start:06d}" if start == prev else f"{start:06d}-{prev:06d}")
        start = prev = number
    return f"nid[{','.join(ranges)}]"


def process_start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat: tells a reused pid from the process we started."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def signal_group(pgid: int | None, sig: int) -> None:
    """Signal a job's whole process group; a group that is gone already is fine."""
    if pgid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


def group_has_live_members(pgid: int) -> bool:
    """Whether a process group still has a member that is not a zombie.

    A SIGKILL is delivered asynchronously: the processes of a killed job die a moment later,
    and their zombies linger until init reaps them. Slurm keeps such a job COMPLETING until
    its processes are gone, so the scheduler asks this before it calls the job ended.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def build_records(
    request: SubmitRequest, opts: BatchOptions, first: int, script: Path
) -> list[JobRecord]:
    """The PENDING records of one submission: one job, or one per array task.

    Everything the job needs to run later is kept in ``extra``, because a pending job may
    outlive this server and be started by the next one.
    """
    user = request.user
    task_ids: tuple[int | None, ...] = opts.array.task_ids if opts.array else (None,)
    submit_dir = request.submit_dir or user.home
    work_dir = submit_dir / opts.chdir if opts.chdir else submit_dir
    name = opts.job_name or (request.script_path.name if request.script_path else "sbatch")
    now = time.time()
    records = []
    for offset, task_id in enumerate(task_ids):
        job = JobRecord(
            machine=request.machine,
            jobid=first + offset,
            name=name,
            user=user.name,
            uid=user.uid,
            gid=user.gid,
            group=user.group,
            account=opts.account or user.default_account,
            partition=opts.partition or "regular",
            qos=opts.qos or "regular",
            constraint=opts.constraint or "",
            nodes=opts.nodes,
            cpus=opts.cpus,
            time_limit=opts.time_limit_minutes,
            submit_time=now,
            eligible_time=None if opts.dependencies else now,
            work_dir=str(work_dir),
            command=str(request.script_path or script),
            dependency=opts.dependency,
            array_job_id=first if opts.array else None,
            array_task_id=task_id,
            comment=opts.comment,
        )
        job.extra = {
            "script": str(script),
            "args": list(request.args),
            "submit_dir": str(submit_dir),
            "home": str(user.home),
            "scratch": str(user.scratch),
            "stdout_pattern": opts.output or default_output_name(opts.array is not None),
            "stderr_pattern": opts.error,
            "open_mode": opts.open_mode,
            "time_limit_seconds": opts.time_seconds,
            "ntasks": opts.ntasks,
            "cpus_per_task": opts.cpus_per_task,
            "export": opts.export,
            "begin": opts.begin,
        }
        if opts.array:
            job.extra.update(
                array_throttle=opts.array.throttle,
                array_task_count=len(task_ids),
                array_task_min=opts.array.task_ids[0],
                array_task_max=opts.array.task_ids[-1],
                array_task_step=opts.array.step,
            )
        job.stdout, job.stderr = (str(p) for p in output_paths(job, None))
        records.append(job)
    return records


def output_paths(job: JobRecord, nodename: str | None) -> tuple[Path, Path]:
    """Absolute stdout and stderr files (relative patterns live in the work dir).

    ``nodename=None`` before the job has nodes: ``%N`` then stays unexpanded.
    """
    work_dir = Path(job.work_dir)

    def expand(pattern: str) -> Path:
        path = Path(
            expand_filename_pattern(
                pattern,
                jobid=job.jobid,
                array_job_id=job.array_job_id,
                array_task_id=job.array_task_id,
                name=job.name,
                user=job.user,
                nodename=nodename,
            )
        )
        return path if path.is_absolute() else work_dir / path

    stdout = expand(job.extra["stdout_pattern"])
    err_pattern = job.extra.get("stderr_pattern")
    return stdout, expand(err_pattern) if err_pattern else stdout


def job_environment(job: JobRecord, nodes: list[str]) -> dict[str, str]:
    """The user's login environment plus the SLURM_* variables a batch script sees."""
    extra = job.extra
    nodelist = compress_nodelist(nodes)
    env = login_environment(job.user, extra["home"], extra["scratch"], job.machine)
    env |= {
        "ENVIRONMENT": "BATCH",
        "SLURM_JOB_ID": str(job.jobid),
        "SLURM_JOBID": str(job.jobid),
        "SLURM_JOB_NAME": job.name,
        "SLURM_JOB_NODELIST": nodelist,
        "SLURM_NODELIST": nodelist,
        "SLURM_NNODES": str(len(nodes)),
        "SLURM_JOB_NUM_NODES": str(len(nodes)),
        "SLURM_SUBMIT_DIR": extra["submit_dir"],
        "SLURM_SUBMIT_HOST": socket.gethostname(),
        "SLURM_JOB_ACCOUNT": job.account,
        "SLURM_JOB_QOS": job.qos,
        "SLURM_JOB_PARTITION": job.partition,
        "SLURM_CLUSTER_NAME": job.machine,
        "SLURM_JOB_USER": job.user,
        "SLURM_JOB_UID": str(job.uid),
        "SLURM_JOB_GID": str(job.gid),
        "SLURM_CPUS_ON_NODE": str(max(1, -(-job.cpus // len(nodes)))),
        "SLURMD_NODENAME": nodes[0],
        "SLURM_NODEID": "0",
        "SLURM_PROCID": "0",
    }
    if extra.get("ntasks"):
        env["SLURM_NTASKS"] = env["SLURM_NPROCS"] = str(extra["ntasks"])
    if extra.get("cpus_per_task"):
        env["SLURM_CPUS_PER_TASK"] = str(extra["cpus_per_task"])
    if job.array_job_id is not None:
        env["SLURM_ARRAY_JOB_ID"] = str(job.array_job_id)
        env["SLURM_ARRAY_TASK_ID"] = str(job.array_task_id)
        for key in ("count", "min", "max", "step"):
            env[f"SLURM_ARRAY_TASK_{key.upper()}"] = str(extra[f"array_task_{key}"])
    # --export=ALL,NAME=value: the API has no submit environment, but the pairs count.
    for item in (extra.get("export") or "").split(","):
        key, eq, value = item.partition("=")
        if eq and key:
            env[key] = value
    return env


def dependency_verdict(job: JobRecord, targets: Callable[[int], list[JobRecord]]) -> str:
    """``ok``, ``wait`` or ``never`` for ``job``'s ``--dependency``.

    ``targets(jobid)`` gives the job, or all tasks for an array's job id. ``never`` is
    what Slurm's kill_invalid_depend acts on: afterok on a job that failed can not be met.
    A target that no longer exists counts as satisfied, as in Slurm after purging.
    """
    if not job.dependency:
        return "ok"
    deps, any_of = parse_dependency(job.dependency)
    verdicts = []
    for dep in deps:
        found = targets(dep.jobid)
        if not found:
            verdicts.append("ok")
        elif dep.kind == "after":
            verdicts.append("ok" if all(t.state != "PENDING" for t in found) else "wait")
        elif not all(t.is_terminal for t in found):
            verdicts.append("wait")
        elif dep.kind == "afterany":
            verdicts.append("ok")
        else:
            succeeded = all(t.state == "COMPLETED" for t in found)
            verdicts.append("ok" if succeeded == (dep.kind == "afterok") else "never")
    if any_of:
        return "ok" if "ok" in verdicts else "wait" if "wait" in verdicts else "never"
    return "never" if "never" in verdicts else "wait" if "wait" in verdicts else "ok"
