"""JobRecord → the squeue and sacct rows of SF API v1.2.

The real API hands back Slurm's text columns: every value a string, keys the lower-cased
column headers, in Slurm's own formats ("N/A", "Unknown", "(null)", ``12:00:00``,
``2023-05-02T18:10:51``). Clients parse these strings, so the formats matter as much as
the keys. squeue rows have 49 keys (one of them the empty string), sacct rows 107.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..models import JobRecord
from .usage import usage_columns

#: squeue's two-letter codes (``st`` column).
STATE_CODES = {
    "BOOT_FAIL": "BF",
    "CANCELLED": "CA",
    "COMPLETED": "CD",
    "COMPLETING": "CG",
    "CONFIGURING": "CF",
    "DEADLINE": "DL",
    "FAILED": "F",
    "NODE_FAIL": "NF",
    "OUT_OF_MEMORY": "OOM",
    "PENDING": "PD",
    "PREEMPTED": "PR",
    "REQUEUED": "RQ",
    "RESIZING": "RS",
    "REVOKED": "RV",
    "RUNNING": "R",
    "SIGNALING": "SI",
    "SPECIAL_EXIT": "SE",
    "STAGE_OUT": "SO",
    "STOPPED": "ST",
    "SUSPENDED": "S",
    "TIMEOUT": "TO",
}


#: The keys of squeue and sacct rows, in the real API's order (a data file: 156 names).
_KEYS = json.loads(Path(__file__).with_name("row_keys.json").read_text())
SQUEUE_KEYS: tuple[str, ...] = tuple(_KEYS["squeue"])
SACCT_KEYS: tuple[str, ...] = tuple(_KEYS["sacct"])

QOS_IDS = {"regular": 1, "debug": 2, "shared": 3, "premium": 4, "preempt": 5, "overrun": 6}


def slurm_timestamp(ts: float | None, missing: str) -> str:
    """``2023-05-02T18:10:51`` in the facility's local time, as Slurm prints it."""
    if ts is None:
        return missing
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(ts))


def slurm_duration(seconds: float | None, *, squeue_style: bool = False) -> str:
    """Durations as Slurm prints them.

    sacct pads (``00:01:05``, ``1-02:00:00``); squeue's TIME column is compact
    (``0:00``, ``1:05``, ``1:02:03``, ``1-02:00:00``).
    """
    if seconds is None:
        return "UNLIMITED"
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}"
    if not squeue_style:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _elapsed(job: JobRecord, now: float) -> float:
    if job.start_time is None:
        return 0.0
    return (job.end_time or now) - job.start_time


def _limit_seconds(job: JobRecord) -> float | None:
    return None if job.time_limit is None else job.time_limit * 60.0


def squeue_row(job: JobRecord, now: float | None = None) -> dict[str, str]:
    """One row of ``GET /compute/jobs/{machine}`` with ``sacct=false``."""
    now = time.time() if now is None else now
    elapsed = _elapsed(job, now)
    limit = _limit_seconds(job)
    pending = job.state == "PENDING"
    nodelist = "" if pending else job.nodelist
    row = {
        "account": job.account,
        "tres_per_node": "N/A",
        "min_cpus": str(job.cpus),
        "min_tmp_disk": "0",
        "end_time": slurm_timestamp(
            job.end_time
            if job.end_time is not None
            else (job.start_time + limit if job.start_time is not None and limit else None),
            "N/A",
        ),
        "features": job.constraint or "(null)",
        "group": str(job.gid),
        "over_subscribe": "NO",
        "jobid": str(job.jobid),
        "name": job.name,
        "comment": job.comment or "(null)",
        "time_limit": slurm_duration(limit, squeue_style=True),
        "min_memory": "0",
        "req_nodes": "",
        "command": job.command,
        "priority": f"{job.priority / 4294967295:.8f}",
        "qos": job.qos,
        "reason": job.reason,
        "": str(job.priority),
        "st": STATE_CODES.get(job.state, job.state[:2]),
        "user": job.user,
        "reservation": "(null)",
        "wckey": "(null)",
        "exc_nodes": "",
        "nice": "0",
        "s:c:t": "*:*:*",
        "exec_host": nodelist.split(",")[0] if nodelist else "n/a",
        "cpus": str(job.cpus),
        "nodes": str(job.nodes),
        "dependency": job.dependency or "(null)",
        "array_job_id": str(job.array_job_id if job.array_job_id is not None else job.jobid),
        "sockets_per_node": "*",
        "cores_per_socket": "*",
        "threads_per_core": "*",
        "array_task_id": job.array_task_str
        or (str(job.array_task_id) if job.array_task_id is not None else "N/A"),
        "time_left": "UNLIMITED"
        if limit is None
        else slurm_duration(max(limit - elapsed, 0), squeue_style=True),
        "time": slurm_duration(elapsed, squeue_style=True),
        "nodelist": nodelist,
        "contiguous": "0",
        "partition": job.partition,
        "nodelist(reason)": f"({job.reason})" if pending else nodelist,
        "start_time": slurm_timestamp(job.start_time, "N/A"),
        "state": job.display_state,
        "uid": str(job.uid),
        "submit_time": slurm_timestamp(job.submit_time, "N/A"),
        "licenses": "(null)",
        "core_spec": "N/A",
        "schednodes": "(null)",
        "work_dir": job.work_dir,
    }
    return {key: row[key] for key in SQUEUE_KEYS}


def sacct_row(job: JobRecord, now: float | None = None) -> dict[str, str]:
    """One row of ``GET /compute/jobs/{machine}`` with ``sacct=true``."""
    now = time.time() if now is None else now
    elapsed = _elapsed(job, now)
    limit = _limit_seconds(job)
    cpu_seconds = elapsed * job.cpus
    started = job.start_time is not None
    used = usage_columns(job.extra)
    mem_tres = used.pop("mem_tres", "mem=0")
    tres = f"cpu={job.cpus},{mem_tres},node={job.nodes},billing={job.cpus}"
    admin = {
        "jobId": job.jobid,
        "jobName": job.name,
        "stdoutPath": job.stdout,
        "stderrPath": job.stderr or job.stdout,
        "workingDirectory": job.work_dir,
        "cluster": job.machine,
        "qos": job.qos,
        "account": job.account,
        "constraints": job.constraint,
        "nodes": job.nodelist,
    }
    row = dict.fromkeys(SACCT_KEYS, "")
    row.update(
        {
            "account": job.account,
            "admincomment": json.dumps(admin, separators=(",", ":")),
            "alloccpus": str(job.cpus if started else 0),
            "allocnodes": str(job.nodes if started else 0),
            "alloctres": tres if started else "",
            "associd": str(job.uid),
            "cluster": job.machine,
            "comment": job.comment,
            "constraints": job.constraint,
            "consumedenergy": "0",
            "consumedenergyraw": "0",
            "cputime": slurm_duration(cpu_seconds),
            "cputimeraw": str(int(cpu_seconds)),
            "dbindex": str(job.jobid),
            "derivedexitcode": "0:0",
            "elapsed": slurm_duration(elapsed),
            "elapsedraw": str(int(elapsed)),
            "eligible": slurm_timestamp(job.eligible_time or job.submit_time, "Unknown"),
            "end": slurm_timestamp(job.end_time, "Unknown"),
            "exitcode": f"{job.exit_code}:{job.signal}",
            "flags": "StartRecieved" if started else "SchedMain",
            "gid": str(job.gid),
            "group": job.group,
            "jobid": job.display_jobid,
            "jobidraw": str(job.jobid),
            "jobname": job.name,
            "ncpus": str(job.cpus),
            "nnodes": str(job.nodes),
            "nodelist": job.nodelist if started and job.nodelist else "None assigned",
            "priority": str(job.priority),
            "partition": job.partition,
            "qos": job.qos,
            "qosraw": str(QOS_IDS.get(job.qos, 1)),
            "reason": job.reason,
            "reqcpufreq": "Unknown",
            "reqcpufreqmin": "Unknown",
            "reqcpufreqmax": "Unknown",
            "reqcpufreqgov": "Unknown",
            "reqcpus": str(job.cpus),
            "reqmem": "0",
            "reqnodes": str(job.nodes),
            "reqtres": tres,
            "reservationid": "",
            "reserved": slurm_duration(
                ((job.start_time or now) - (job.eligible_time or job.submit_time))
                if job.submit_time
                else 0
            ),
            "resvcpu": "",
            "resvcpuraw": "",
            "start": slurm_timestamp(job.start_time, "Unknown"),
            "state": job.display_state,
            "submit": slurm_timestamp(job.submit_time, "Unknown"),
            "suspended": "00:00:00",
            "systemcpu": "00:00:00",
            "timelimit": slurm_duration(limit),
            "timelimitraw": "UNLIMITED" if job.time_limit is None else str(job.time_limit),
            "totalcpu": "00:00:00",
            "uid": str(job.uid),
            "user": job.user,
            "usercpu": "00:00:00",
            "wckeyid": "0",
            "workdir": job.work_dir,
        }
    )
    row.update((key, value) for key, value in used.items() if key in row)
    return row
