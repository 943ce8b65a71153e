"""Pure pieces of the ``local`` backend: job records, node names, job environment.

Nothing here touches processes or the event loop, so the Slurm conventions (hostlists,
output file names, SLURM_* variables, dependency rules) can be read and tested apart
from the scheduler in :mod:`sfapi_jupyter.facility.backends.local`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..environment import login_environment
from ..models import TERMINAL_STATES, JobRecord, SubmitRequest
from ..sbatch import BatchOptions, default_output_name, expand_filename_pattern
from ..sbatch_values import Dependency, parse_dependency
from .usage import job_memory

if TYPE_CHECKING:
    from ..store import Store


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
            "mem_bytes": job_memory(opts.mem, opts.mem_per_cpu, opts.nodes, opts.cpus),
        }
        if opts.array:
            job.extra.update(
                array_throttle=opts.array.throttle,
                array_task_count=len(task_ids),
                array_task_min=opts.array.task_ids[0],
                array_task_max=opts.array.task_ids[-1],
                array_task_step=opts.array.step,
            )
        if opts.dependencies:
            record_dependencies(job, opts.dependencies, opts.dependency_any)
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


def record_dependencies(job: JobRecord, deps: tuple[Dependency, ...], any_of: bool) -> None:
    """Keep ``--dependency`` parsed in the record, each job id once per kind, so the
    scheduler never parses a 128 KiB dependency string again on every pass."""
    by_kind: dict[str, set[int]] = {}
    for dep in deps:
        by_kind.setdefault(dep.kind, set()).add(dep.jobid)
    job.extra["depends_on"] = [[kind, sorted(ids)] for kind, ids in by_kind.items()]
    job.extra["depends_any"] = any_of


def job_dependencies(job: JobRecord) -> tuple[list[tuple[str, list[int]]], bool]:
    """(``[(kind, job ids)]``, any one enough) of ``job``'s ``--dependency``."""
    if not job.dependency:
        return [], False
    kept = job.extra.get("depends_on")
    if kept is None:  # a record from before the parsed form was kept
        deps, any_of = parse_dependency(job.dependency)
        record_dependencies(job, deps, any_of)
        kept = job.extra["depends_on"]
    return [(str(kind), [int(i) for i in ids]) for kind, ids in kept], bool(
        job.extra.get("depends_any")
    )


def dependency_states(store: Store, machine: str, jobids: Iterable[int]) -> dict[int, list[str]]:
    """For each of ``jobids`` that names a stored job of ``machine``: its state, or the
    states of all its tasks when it names an array (tasks have consecutive ids from the
    array's id). Two queries however many ids: a dependency list can name thousands.
    """
    each = "SELECT jobid, state, json_extract(doc, '$.array_job_id') AS array_id{} "
    each += "FROM jobs WHERE machine=? AND jobid IN (SELECT value FROM json_each(?))"
    count = ", json_extract(doc, '$.extra.array_task_count') AS tasks"
    ids = json.dumps(sorted({int(j) for j in jobids}))
    rows = store._all(each.format(count), (machine, ids))
    found = {int(r["jobid"]): [str(r["state"])] for r in rows}
    task_of: dict[int, int] = {}
    for r in rows:
        first = int(r["jobid"])
        if r["array_id"] == first and int(r["tasks"] or 1) > 1:
            task_of.update((t, first) for t in range(first + 1, first + int(r["tasks"])))
    if task_of:
        for r in store._all(each.format(""), (machine, json.dumps(sorted(task_of)))):
            if task_of[r["jobid"]] == r["array_id"]:
                found[r["array_id"]].append(str(r["state"]))
    return found


def _term_verdict(kind: str, states: list[str] | None) -> str:
    if not states:
        return "ok"  # a target that no longer exists counts as satisfied, as in Slurm
    if kind == "after":
        return "ok" if all(s != "PENDING" for s in states) else "wait"
    if not all(s in TERMINAL_STATES for s in states):
        return "wait"
    if kind == "afterany":
        return "ok"
    succeeded = all(s == "COMPLETED" for s in states)
    return "ok" if succeeded == (kind == "afterok") else "never"


def dependency_verdict(job: JobRecord, states: Mapping[int, list[str]]) -> str:
    """``ok``, ``wait`` or ``never`` for ``job``'s ``--dependency``.

    ``states[jobid]`` holds the state of the job, or of all tasks for an array's job id
    (:meth:`~..store.Store.dependency_states`, one query for every pending job's targets).
    ``never`` is what Slurm's kill_invalid_depend acts on: afterok on a job that failed
    can not be met.
    """
    terms, any_of = job_dependencies(job)
    verdicts = {_term_verdict(kind, states.get(jobid)) for kind, ids in terms for jobid in ids}
    if not verdicts:
        return "ok"
    if any_of:
        return "ok" if "ok" in verdicts else "wait" if "wait" in verdicts else "never"
    return "never" if "never" in verdicts else "wait" if "wait" in verdicts else "ok"
