"""Slurm's own output → plain facts about one job, with every quirk normalised here.

The slurm backend reads three things: ``sbatch --parsable``, ``squeue --json`` and text
``sacct -X -P``. Each has quirks that must not leak into the API rows (and that change
between Slurm releases), so this module is the only place that knows about them:

* squeue's ``exit_code`` is the raw wait status (768 = exit 3, 15 = killed by signal 15);
  text sacct prints ``3:0``. ``sacct --json`` is not used: 22.05 reports exit 3 as 0.
* squeue times are epoch seconds with 0 for "not yet"; running jobs carry a *projected*
  end time (start + limit, or a year ahead when unlimited) and pending jobs a projected
  start, neither of which has happened. sacct prints ISO times (we run it with TZ=UTC)
  and ``Unknown``/``None``.
* ``time_limit`` is minutes (None = unlimited) in squeue, ``[D-]HH:MM:SS``/``UNLIMITED``
  in sacct; newer data parsers wrap numbers in ``{"set", "infinite", "number"}``.
* ``standard_output`` keeps ``%j``/``%A``/``%a``/``%x`` unexpanded and is ``""`` for the
  default ``slurm-%j.out``.
* An array's tasks each get their own job id once they are dispatched; the not yet
  dispatched rest is one row with the array's job id and ``array_task_string``
  (``1-4%1``), which sacct prints as ``1_[1-4%1]``.
* sacct says ``CANCELLED by 0`` (Slurm runs everything as root here).
"""

from __future__ import annotations

import calendar
import json
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

from ..models import TERMINAL_STATES
from ..sbatch import default_output_name, expand_filename_pattern

#: Columns requested from ``sacct -X -P -n -o``; :func:`parse_sacct_text` reads this order.
SACCT_FIELDS = (
    "JobIDRaw",
    "JobID",
    "JobName",
    "State",
    "ExitCode",
    "Submit",
    "Eligible",
    "Start",
    "End",
    "NodeList",
    "WorkDir",
    "Partition",
    "QOS",
    "Account",
    "Timelimit",
    "NNodes",
    "NCPUS",
)
_WORKDIR = SACCT_FIELDS.index("WorkDir")

#: Slurm's NO_VAL: the ``%a`` of a job that is not an array task, never a real exit status.
NO_VAL = 0xFFFFFFFE


class SlurmParseError(ValueError):
    """Slurm printed something this module cannot read (a different Slurm release?)."""


@dataclass
class SlurmJob:
    """One job (or array task, or pending rest of an array) as Slurm reports it."""

    jobid: int
    name: str = ""
    state: str = "PENDING"
    reason: str = "None"
    partition: str = ""
    qos: str = ""
    constraint: str = ""
    nodes: int = 1
    cpus: int = 1
    time_limit: int | None = None
    submit_time: float = 0.0
    eligible_time: float | None = None
    start_time: float | None = None
    end_time: float | None = None
    exit_code: int = 0
    signal: int = 0
    nodelist: str = ""
    work_dir: str = ""
    #: Output paths, already expanded; None when the source does not say (sacct).
    stdout: str | None = None
    stderr: str | None = None
    command: str = ""
    dependency: str = ""
    array_job_id: int | None = None
    array_task_id: int | None = None
    array_task_str: str = ""
    priority: int | None = None
    #: The uid in sacct's ``CANCELLED by <uid>``; None if the source does not say.
    cancelled_by: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


# -- small value parsers ---------------------------------------------------------------------
def number(value: Any) -> int | None:
    """An integer field in any Slurm JSON shape; None for unset or infinite."""
    if isinstance(value, dict):
        if not value.get("set", True) or value.get("infinite", False):
            return None
        value = value.get("number")
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def epoch(value: Any) -> float | None:
    """An epoch time field; Slurm writes 0 for "not reached"."""
    seconds = number(value)
    return float(seconds) if seconds else None


def normalise_state(value: Any) -> tuple[str, int | None]:
    """``(STATE, cancelled_by_uid)`` from ``"CANCELLED by 0"``, ``["RUNNING"]``, ``"A+B"``."""
    if isinstance(value, list):
        value = value[0] if value else "PENDING"
    text = str(value or "PENDING").strip().upper()
    match = re.fullmatch(r"CANCELLED BY (\d+)", text)
    if match:
        return "CANCELLED", int(match[1])
    return re.split(r"[\s+]", text, maxsplit=1)[0], None


def split_wait_status(raw: Any) -> tuple[int, int]:
    """``(exit code, signal)`` from squeue's raw wait status (``768`` → 3, ``15`` → signal 15)."""
    status = number(raw)
    if status is None or status < 0 or status > 0xFFFF:
        return 0, 0
    if status & 0x7F:
        return 0, status & 0x7F
    return (status >> 8) & 0xFF, 0


def parse_exit_code_text(text: str) -> tuple[int, int]:
    """``(exit code, signal)`` from sacct's ``3:0``."""
    code, _, sig = text.partition(":")
    try:
        return int(code or 0), int(sig or 0)
    except ValueError:
        return 0, 0


def parse_limit_text(text: str) -> int | None:
    """sacct's ``Timelimit`` (``[D-]HH:MM:SS``; ``UNLIMITED``, ``Partition_Limit``) in minutes."""
    match = re.fullmatch(r"(?:(\d+)-)?(\d+(?::\d+){0,2})", text.strip())
    if not match:
        return None
    parts = [int(p) for p in match[2].split(":")]
    if match[1] is not None:  # D-H[:M[:S]]
        hours, minutes, seconds = [*parts, 0, 0][:3]
    elif len(parts) == 3:  # H:M:S
        hours, minutes, seconds = parts
    else:  # M or M:S, as Slurm reads time specifications
        hours, minutes, seconds = [0, *parts, 0][:3]
    total = ((int(match[1] or 0) * 24 + hours) * 60 + minutes) * 60 + seconds
    return -(-total // 60) or None


def parse_time_text(text: str) -> float | None:
    """sacct's time columns (printed with ``TZ=UTC``); None for Unknown/None/empty."""
    text = text.strip()
    if text.isdigit():
        return float(text) or None
    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def parse_sbatch_output(stdout: str) -> int:
    """The job id from ``sbatch --parsable`` (``"123"`` or ``"123;cluster"``)."""
    for line in reversed(stdout.strip().splitlines()):
        head = line.strip().split(";", 1)[0]
        if head.isdigit():
            return int(head)
    raise SlurmParseError(f"sbatch printed no job id: {stdout.strip()!r}")


def batch_hostname(batch_host: str) -> str | None:
    """What ``%N`` becomes: the short hostname of the node that runs the batch script.

    Slurm uses the node's ``gethostname()``, not its Slurm name, so a node registered as
    ``localhost`` writes this machine's hostname.
    """
    if not batch_host:
        return None
    if batch_host in ("localhost", "127.0.0.1"):
        return socket.gethostname().split(".", 1)[0]
    return batch_host.split(".", 1)[0]


def output_path(
    pattern: str,
    *,
    work_dir: str,
    jobid: int,
    array_job_id: int | None,
    array_task_id: int | None,
    name: str,
    user: str,
    nodename: str | None,
) -> str:
    """An output file's real path: Slurm's default name when unset, relative to work_dir."""
    pattern = pattern or default_output_name(array_job_id is not None)
    if not pattern.startswith("/") and work_dir:
        pattern = f"{work_dir.rstrip('/')}/{pattern}"
    if array_job_id is not None and array_task_id is None:
        # the pending rest of an array: %a is not known yet, so keep it (and only it) as is
        pattern = pattern.replace("%a", "\0")
    path = expand_filename_pattern(
        pattern,
        jobid=jobid,
        array_job_id=array_job_id,
        array_task_id=array_task_id,
        name=name,
        user=user,
        nodename=nodename,
    )
    return path.replace("\0", "%a")


# -- squeue --json -----------------------------------------------------------------------------
def parse_squeue_json(text: str) -> list[SlurmJob]:
    """All jobs in ``squeue --json`` output (22.05 ignores filters; callers filter)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SlurmParseError(f"squeue --json printed no JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise SlurmParseError("squeue --json printed no 'jobs' list")
    return [squeue_job(row) for row in data["jobs"]]


def squeue_job(row: dict[str, Any]) -> SlurmJob:
    """One ``squeue --json`` job object (v0.0.38 shape; newer number objects accepted)."""
    jobid = number(row.get("job_id"))
    if jobid is None:
        raise SlurmParseError("squeue --json job without job_id")
    state, _ = normalise_state(row.get("job_state"))
    array_job_id = number(row.get("array_job_id")) or None
    array_task_id = number(row.get("array_task_id")) if array_job_id else None
    exit_code, sig = split_wait_status(row.get("exit_code"))
    nodelist = str(row.get("nodes") or "")
    start, end = epoch(row.get("start_time")), epoch(row.get("end_time"))
    if state == "PENDING" or not nodelist:
        start = None  # a backfill estimate, or the cancel time of a job that never ran
    if state not in TERMINAL_STATES:
        end = None  # the projected end (start + limit)
    work_dir = str(row.get("current_working_directory") or "")
    name = str(row.get("name") or "")

    def path(key: str) -> str:
        return output_path(
            str(row.get(key) or ""),
            work_dir=work_dir,
            jobid=jobid,
            array_job_id=array_job_id,
            array_task_id=array_task_id,
            name=name,
            user=str(row.get("user_name") or ""),
            nodename=batch_hostname(str(row.get("batch_host") or "")),
        )

    stdout = path("standard_output")
    # stderr goes to the output file unless --error was given
    stderr = path("standard_error") if row.get("standard_error") else stdout
    return SlurmJob(
        jobid=jobid,
        name=name,
        state=state,
        reason=str(row.get("state_reason") or "None"),
        partition=str(row.get("partition") or ""),
        qos=str(row.get("qos") or ""),
        constraint=str(row.get("features") or ""),
        nodes=number(row.get("node_count")) or 1,
        cpus=number(row.get("cpus")) or 1,
        time_limit=number(row.get("time_limit")),
        submit_time=epoch(row.get("submit_time")) or 0.0,
        eligible_time=epoch(row.get("eligible_time")),
        start_time=start,
        end_time=end,
        exit_code=exit_code,
        signal=sig,
        nodelist=nodelist,
        work_dir=work_dir,
        stdout=stdout,
        stderr=stderr,
        command=str(row.get("command") or ""),
        dependency=str(row.get("dependency") or ""),
        array_job_id=array_job_id,
        array_task_id=array_task_id,
        array_task_str=str(row.get("array_task_string") or "") if array_job_id else "",
        priority=number(row.get("priority")),
    )


# -- sacct -X -P -n ---------------------------------------------------------------------------
def parse_sacct_text(text: str) -> list[SlurmJob]:
    """Rows of ``sacct -X -P -n -o <SACCT_FIELDS>``."""
    jobs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = line.split("|")
        extra = len(cells) - len(SACCT_FIELDS)
        if extra < 0:
            raise SlurmParseError(f"sacct row with {len(cells)} columns: {line!r}")
        if extra:  # a '|' inside WorkDir: the only free-text column besides JobName
            cells[_WORKDIR : _WORKDIR + extra + 1] = [
                "|".join(cells[_WORKDIR : _WORKDIR + extra + 1])
            ]
        jobs.append(sacct_job(dict(zip(SACCT_FIELDS, cells, strict=True))))
    return jobs


def sacct_job(row: dict[str, str]) -> SlurmJob:
    """One sacct row (a dict keyed by :data:`SACCT_FIELDS`)."""
    if not row["JobIDRaw"].isdigit():
        raise SlurmParseError(f"sacct JobIDRaw {row['JobIDRaw']!r} is not a number")
    jobid = int(row["JobIDRaw"])
    array_job_id: int | None = None
    array_task_id: int | None = None
    array_task_str = ""
    task = re.fullmatch(r"(\d+)_(\d+)", row["JobID"])
    rest = re.fullmatch(r"(\d+)_\[(.*)\]", row["JobID"])
    if task:
        array_job_id, array_task_id = int(task[1]), int(task[2])
    elif rest:
        array_job_id, array_task_str = int(rest[1]), rest[2]
    state, cancelled_by = normalise_state(row["State"])
    exit_code, sig = parse_exit_code_text(row["ExitCode"])
    nodelist = "" if row["NodeList"] in ("None assigned", "(null)") else row["NodeList"]
    return SlurmJob(
        jobid=jobid,
        name=row["JobName"],
        state=state,
        partition=row["Partition"],
        qos=row["QOS"],
        nodes=int(row["NNodes"]) if row["NNodes"].isdigit() else 1,
        cpus=int(row["NCPUS"]) if row["NCPUS"].isdigit() else 1,
        time_limit=parse_limit_text(row["Timelimit"]),
        submit_time=parse_time_text(row["Submit"]) or 0.0,
        eligible_time=parse_time_text(row["Eligible"]),
        start_time=parse_time_text(row["Start"]) if nodelist else None,
        end_time=parse_time_text(row["End"]) if state in TERMINAL_STATES else None,
        exit_code=exit_code,
        signal=sig,
        nodelist=nodelist,
        work_dir=row["WorkDir"],
        array_job_id=array_job_id,
        array_task_id=array_task_id,
        array_task_str=array_task_str,
        cancelled_by=cancelled_by,
    )
