"""Slurm 22.05 output → normalised job facts, on small snippets shaped like what Slurm printed.

These need no Slurm: the snippets copy the shapes observed on Slurm 22.05.8 (squeue --json is
openapi v0.0.38; ``sacct -X -P -n -o ...`` text), trimmed to the keys the parser reads.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from sfapi_jupyter.facility.backends.slurm import SlurmBackend
from sfapi_jupyter.facility.backends.slurm_parse import (
    SACCT_FIELDS,
    SlurmJob,
    SlurmParseError,
    normalise_state,
    parse_limit_text,
    parse_sacct_text,
    parse_sbatch_output,
    parse_squeue_json,
    split_wait_status,
)
from sfapi_jupyter.facility.models import JobRecord

T0 = 1_795_838_082  # an epoch second as squeue prints it


def squeue_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "job_id": 7,
        "array_job_id": 0,
        "array_task_id": None,
        "array_task_string": "",
        "name": "nm",
        "job_state": "COMPLETED",
        "state_reason": "None",
        "exit_code": 0,
        "user_name": "root",
        "partition": "debug",
        "qos": "regular",
        "features": "cpu",
        "nodes": "localhost",
        "batch_host": "localhost",
        "node_count": 1,
        "cpus": 1,
        "time_limit": 5,
        "submit_time": T0,
        "eligible_time": T0,
        "start_time": T0 + 1,
        "end_time": T0 + 3,
        "current_working_directory": "/home/alice",
        "standard_output": "",
        "standard_error": "",
        "command": "/spool/abc/script",
        "priority": 4294901755,
    }
    row.update(overrides)
    return row


def one(**overrides: Any) -> SlurmJob:
    jobs = parse_squeue_json(json.dumps({"errors": [], "jobs": [squeue_row(**overrides)]}))
    assert len(jobs) == 1
    return jobs[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0, (0, 0)), (768, (3, 0)), (256, (1, 0)), (15, (0, 15)), (9, (0, 9)), (None, (0, 0))],
)
def test_raw_wait_status_becomes_exit_code_and_signal(raw: Any, expected: Any) -> None:
    assert split_wait_status(raw) == expected
    assert (one(exit_code=raw).exit_code, one(exit_code=raw).signal) == expected


def test_squeue_times_only_report_what_happened() -> None:
    done = one()
    assert (done.submit_time, done.start_time, done.end_time) == (T0, T0 + 1, T0 + 3)
    # running: squeue's end_time is the projected end (a year ahead when unlimited)
    running = one(job_state="RUNNING", end_time=T0 + 31_536_000, time_limit=None)
    assert (running.start_time, running.end_time, running.time_limit) == (T0 + 1, None, None)
    # pending: start_time may be a backfill estimate; 0 means not set
    pending = one(job_state="PENDING", nodes="", start_time=T0 + 60, end_time=0, eligible_time=0)
    assert (pending.start_time, pending.end_time, pending.eligible_time) == (None, None, None)
    # cancelled while pending: Slurm sets start = end = cancel time, but it never ran
    never_ran = one(job_state="CANCELLED", nodes="", start_time=T0 + 9, end_time=T0 + 9)
    assert (never_ran.start_time, never_ran.end_time) == (None, T0 + 9)


def test_newer_number_objects_are_understood() -> None:
    job = one(
        time_limit={"set": True, "infinite": False, "number": 30},
        exit_code={"set": True, "infinite": False, "number": 768},
        submit_time={"set": True, "number": T0},
        end_time={"set": False, "number": 0},
        job_state=["FAILED"],
    )
    assert (job.time_limit, job.exit_code, job.submit_time, job.end_time) == (30, 3, T0, None)
    assert job.state == "FAILED"
    assert one(time_limit={"set": True, "infinite": True, "number": 0}).time_limit is None


def test_output_paths_are_expanded_like_slurm_writes_them() -> None:
    job = one(standard_output="/home/alice/x-%A-%a-%j-%x-%u-%5j-%%.out")
    assert job.stdout == "/home/alice/x-7-4294967294-7-nm-root-00007-%.out"
    assert job.stderr == job.stdout  # no --error: stderr goes to the output file
    assert one().stdout == "/home/alice/slurm-7.out"  # "" = the default
    relative = one(standard_output="logs/o-%j", standard_error="/tmp/e-%j")
    assert (relative.stdout, relative.stderr) == ("/home/alice/logs/o-7", "/tmp/e-7")
    host = socket.gethostname().split(".")[0]
    assert one(standard_output="/o-%N").stdout == f"/o-{host}"  # %N: the node's hostname


def test_array_tasks_and_the_pending_rest() -> None:
    text = json.dumps(
        {
            "jobs": [
                squeue_row(
                    job_id=3, array_job_id=1, array_task_id=0, standard_output="/h/o-%A_%a.txt"
                ),
                squeue_row(
                    job_id=1,
                    array_job_id=1,
                    array_task_id=None,
                    array_task_string="1-4%1",
                    job_state="PENDING",
                    state_reason="JobArrayTaskLimit",
                    nodes="",
                    standard_output="/h/o-%A_%a.txt",
                ),
            ]
        }
    )
    task, rest = parse_squeue_json(text)
    assert (task.jobid, task.array_job_id, task.array_task_id, task.array_task_str) == (3, 1, 0, "")
    assert task.stdout == "/h/o-1_0.txt"
    assert (rest.jobid, rest.array_job_id, rest.array_task_id) == (1, 1, None)
    assert (rest.array_task_str, rest.reason) == ("1-4%1", "JobArrayTaskLimit")
    assert rest.stdout == "/h/o-1_%a.txt"  # the task id is not known yet
    assert one().array_job_id is None and one().array_task_id is None


def test_squeue_garbage_is_a_parse_error() -> None:
    with pytest.raises(SlurmParseError):
        parse_squeue_json("squeue: error: slurm_load_jobs error")
    with pytest.raises(SlurmParseError):
        parse_squeue_json('{"errors": []}')


def sacct_line(**cells: str) -> str:
    row = {
        "JobIDRaw": "1",
        "JobID": "1",
        "JobName": "wrap",
        "State": "COMPLETED",
        "ExitCode": "0:0",
        "Submit": "2026-11-28T03:54:42",
        "Eligible": "2026-11-28T03:54:42",
        "Start": "2026-11-28T03:54:43",
        "End": "2026-11-28T03:54:45",
        "NodeList": "localhost",
        "WorkDir": "/home/alice",
        "Partition": "debug",
        "QOS": "regular",
        "Account": "root",
        "Timelimit": "00:05:00",
        "NNodes": "1",
        "NCPUS": "2",
    }
    row.update(cells)
    return "|".join(row[f] for f in SACCT_FIELDS)


def test_sacct_rows() -> None:
    text = "\n".join(
        [
            sacct_line(JobIDRaw="2", JobID="2", State="FAILED", ExitCode="3:0"),
            sacct_line(JobIDRaw="5", JobID="4_1", State="CANCELLED by 0", ExitCode="0:15"),
            sacct_line(
                JobIDRaw="4",
                JobID="4_[2-3%1]",
                State="PENDING",
                Eligible="Unknown",
                Start="Unknown",
                End="Unknown",
                NodeList="None assigned",
                Timelimit="UNLIMITED",
            ),
            sacct_line(JobIDRaw="6", JobID="6", WorkDir="/home/a|b", Timelimit="1-00:00:00"),
            "",
        ]
    )
    failed, task, rest, piped = parse_sacct_text(text)
    assert (failed.jobid, failed.state, failed.exit_code, failed.signal) == (2, "FAILED", 3, 0)
    # the same instants squeue --json printed as epochs for this job
    assert (failed.start_time, failed.end_time) == (T0 + 1, T0 + 3)
    assert (failed.time_limit, failed.cpus, failed.stdout) == (5, 2, None)
    assert (task.jobid, task.array_job_id, task.array_task_id) == (5, 4, 1)
    assert (task.state, task.cancelled_by, task.signal) == ("CANCELLED", 0, 15)
    assert (rest.array_job_id, rest.array_task_id, rest.array_task_str) == (4, None, "2-3%1")
    assert (rest.start_time, rest.end_time, rest.eligible_time, rest.nodelist) == (
        None,
        None,
        None,
        "",
    )
    assert rest.time_limit is None
    assert (piped.work_dir, piped.time_limit, piped.qos) == ("/home/a|b", 1440, "regular")


def test_sacct_garbage_is_a_parse_error() -> None:
    with pytest.raises(SlurmParseError):
        parse_sacct_text("1|1|short")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("00:05:00", 5),
        ("1-00:00:00", 1440),
        ("2-03", 2 * 1440 + 180),
        ("00:00:30", 1),
        ("10", 10),
        ("10:30", 11),
        ("UNLIMITED", None),
        ("Partition_Limit", None),
    ],
)
def test_sacct_time_limits(text: str, minutes: int | None) -> None:
    assert parse_limit_text(text) == minutes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CANCELLED by 61001", ("CANCELLED", 61001)),
        ("RUNNING", ("RUNNING", None)),
        (["COMPLETED", "REQUEUED"], ("COMPLETED", None)),
        ("failed", ("FAILED", None)),
        ("", ("PENDING", None)),
    ],
)
def test_states(value: Any, expected: tuple[str, int | None]) -> None:
    assert normalise_state(value) == expected


def test_sbatch_parsable_output() -> None:
    assert parse_sbatch_output("42\n") == 42
    assert parse_sbatch_output("42;localcluster\n") == 42
    with pytest.raises(SlurmParseError):
        parse_sbatch_output("sbatch: error: nope")


def test_a_record_never_adopts_a_later_job_with_a_reused_id() -> None:
    """Slurm restarts ids at 1 with a fresh state dir: the submit time tells the jobs apart."""
    record = JobRecord(
        machine="perlmutter",
        jobid=1,
        name="old",
        user="alice",
        uid=1,
        gid=1,
        group="alice",
        account="m1",
        extra={"submit_window": [T0 - 86_400.0, T0 - 86_399.0]},
    )
    later = SlurmJob(jobid=1, submit_time=T0)
    assert SlurmBackend._owned_record(later, {1: record}, {}) is None
    same = SlurmJob(jobid=1, submit_time=T0 - 86_400)
    assert SlurmBackend._owned_record(same, {1: record}, {}) is record
    # a task of an owned array gets a record of its own, owned by the array's owner
    array = JobRecord(**{**record.to_json(), "array_job_id": 1})
    task = SlurmJob(jobid=9, array_job_id=1, array_task_id=3, submit_time=T0 - 86_400)
    adopted = SlurmBackend._owned_record(task, {1: array}, {1: array})
    assert adopted is not None and (adopted.jobid, adopted.user) == (9, "alice")
    assert SlurmBackend._owned_record(SlurmJob(jobid=9), {1: array}, {}) is None


def test_an_arrays_tasks_not_started_show_as_sacct_shows_them() -> None:
    """``4_[2-3%1]`` while tasks wait, ``4_3`` once the last takes the array's id: a client
    that saw a bare ``4`` would keep it PENDING forever (the keyless 50-task watch did)."""
    from sfapi_jupyter.facility.backends.rows import sacct_row

    record = JobRecord(
        machine="perlmutter",
        jobid=4,
        name="arr",
        user="alice",
        uid=1,
        gid=1,
        group="alice",
        account="m1",
        array_job_id=4,
        array_task_str="0-3%1",  # as submitted
    )
    assert sacct_row(record)["jobid"] == "4_[0-3%1]"
    SlurmBackend._apply(record, SlurmJob(jobid=4, array_job_id=4, array_task_str="2-3%1"))
    assert sacct_row(record)["jobid"] == "4_[2-3%1]"
    SlurmBackend._apply(record, SlurmJob(jobid=4, array_job_id=4, array_task_id=3))
    assert sacct_row(record)["jobid"] == "4_3"
