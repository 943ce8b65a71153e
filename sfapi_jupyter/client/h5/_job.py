"""A question about an HDF5 file answered by a short batch job instead of a command.

``machine.h5(path, job=...)``: the same shell command as the command path (:func:`.command`,
the same Python-finding loop, the same ``SFH5:`` answer) runs in a batch script. The script
writes that answer to ``~/.sfapi-jupyter/h5/<id>.out`` and its own stderr to ``<id>.err``
(made with ``mkdir -p`` in the script: ``#SBATCH -o`` needs a directory that already exists,
so Slurm's own output goes to ``/dev/null``). The client waits for the job through the
machine's shared watcher, downloads the answer (one request), and parses it as it would a
command's output. The answer files of a question are removed by the next job of the same
file handle; any left for more than a day (a session that ended) by any later one.

Why a job: a login node's command is for seconds of work (the API cancels long commands,
and NERSC asks for heavy work to go to compute nodes); a virtual image of a file of
hundreds of GB is minutes of reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import H5Error, NotFoundError, SfApiError, WaitTimeout
from ..models import JobState

if TYPE_CHECKING:
    from ..resources.jobs import AsyncJob
    from ._file import AsyncH5File

#: Where the job leaves its answer (under the user's home on the machine).
ANSWER_DIR = "~/.sfapi-jupyter/h5"
#: The job's name, as squeue/sacct and the card show it.
JOB_NAME = "sfapi-h5"
#: What a question asks of Slurm unless told otherwise: NERSC's debug QOS (the quickest to
#: start, 30 minutes at most) on one CPU node, for 10 minutes.
DEFAULT_JOB: dict[str, str] = {
    "qos": "debug",
    "constraint": "cpu",
    "nodes": "1",
    "time": "00:10:00",
}
#: Characters of the job's stderr quoted in the message of a job that failed.
STDERR_TAIL = 300


def job_directives(job: Any) -> list[str]:
    """The ``#SBATCH`` lines of ``job=``: True (the defaults), a dict of options (merged
    over the defaults; None drops one) or a string of sbatch options (after the defaults,
    which sbatch lets the later ones override)."""
    options: dict[str, Any] = {"job-name": JOB_NAME, **DEFAULT_JOB}
    extra = ""
    if job is True:
        pass
    elif isinstance(job, Mapping):
        for key, value in job.items():
            name = key.strip().lstrip("-").replace("_", "-") if isinstance(key, str) else ""
            if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
                raise ValueError(
                    f"job= option names are sbatch's long options (qos, time, account, "
                    f"cpus_per_task, ...), not {key!r}"
                )
            if value is None:
                options.pop(name, None)
            else:
                options[name] = value
    elif isinstance(job, str) and job.strip():
        extra = job.strip()
    else:
        raise ValueError(
            "job= is True (NERSC's debug QOS on one CPU node for 10 minutes), a dict of sbatch "
            "options such as {'qos': 'shared', 'time': '00:20:00', 'account': 'm1234'}, or a "
            f"string of them such as '-q debug -C cpu -t 10', not {job!r}"
        )
    lines = []
    for name, value in options.items():
        text = str(value)
        if not text.strip() or "\n" in text or "\r" in text:
            raise ValueError(f"job= option {name!r} needs a one-line value, not {value!r}")
        lines.append(f"#SBATCH --{name}={shlex.quote(text)}")
    if extra:
        if "\n" in extra or "\r" in extra:
            raise ValueError(f"job= options are one line of sbatch options, not {job!r}")
        lines.append(f"#SBATCH {extra}")
    return lines


def job_script(directives: list[str], shell_command: str, answer: str, stale: list[str]) -> str:
    """The batch script: the answer to ``<answer>.out`` (renamed into place when complete),
    the script's stderr to ``<answer>.err``; the ``stale`` answers and old ones removed."""
    folder = '"$HOME/' + ANSWER_DIR.removeprefix("~/") + '"'
    out = f'"$dir/{answer}'
    remove = " ".join(f'"$dir/{a}.out" "$dir/{a}.err"' for a in stale)
    lines = [
        "#!/bin/bash",
        *directives,
        "#SBATCH --output=/dev/null",
        f"dir={folder}",
        # A question's relative path starts at the home, as on the command path (the job
        # itself may run elsewhere: --chdir).
        'mkdir -p "$dir" && cd "$HOME" || exit 1',
        f"rm -f {remove}" if remove else "",
        'find "$dir" -maxdepth 1 -type f -mmin +1440 -delete 2>/dev/null',
        f'exec 2>{out}.err"',
        f'{shell_command} > {out}.part"',
        "code=$?",
        f'mv -f {out}.part" {out}.out"',
        "exit $code",
    ]
    return "\n".join(line for line in lines if line) + "\n"


async def run_as_job(file: AsyncH5File, shell_command: str) -> tuple[str, str, int | None]:
    """(output, stderr, exit code) of ``shell_command`` run as a batch job; H5Error when the
    job ended without an answer (failed, cancelled, out of time) or outlived ``timeout``."""
    machine = file.machine
    answer = uuid.uuid4().hex[:16]
    stale, file._stale_answers = file._stale_answers, []
    script = job_script(job_directives(file.job), shell_command, answer, stale)
    try:
        job = await machine.submit(script)
    except BaseException:
        file._stale_answers.extend(stale)  # not removed: the next job tries again
        raise
    file._stale_answers.append(answer)
    file.last_job = job
    file.jobs += 1
    if file.on_job is not None:
        file.on_job(job)
    try:
        await job.wait(file.timeout)
    except WaitTimeout:
        await _cancel(job)
        queued = job.state in (JobState.PENDING, JobState.UNKNOWN, JobState.CONFIGURING)
        hint = (
            "or a QOS that starts sooner (job={'qos': 'debug'})"
            if queued
            else ("or ask for less (scan_step=, max_pixels=)")
        )
        raise H5Error(
            f"job {job.jobid} on {machine.name} ({JOB_NAME}) had not answered after "
            f"{file.timeout:g} s ({job.state.value}), so it was cancelled: pass a longer "
            f"timeout= {hint}",
            reason="job_failed",
        ) from None
    except asyncio.CancelledError:
        # The question is no longer wanted (a newer one replaced it): its job must not go
        # on using the allocation unseen.
        task = asyncio.ensure_future(_cancel(job))
        _cancelling.add(task)
        task.add_done_callback(_cancelling.discard)
        raise
    output = await _read(file, f"{ANSWER_DIR}/{answer}.out")
    if output is not None and ("SFH5:" in output or "SFH5-NOPYTHON:" in output):
        return output, "", job.exit_code
    error = (await _read(file, f"{ANSWER_DIR}/{answer}.err")) or ""
    raise H5Error(job_failure(job, error), reason="job_failed")


def job_failure(job: AsyncJob, stderr: str) -> str:
    """One line: what happened to the job, its id, and the end of its stderr."""
    state, machine = job.state, job.machine.name
    why = {
        JobState.TIMEOUT: "reached its time limit: ask for more (job={'time': '00:30:00'})",
        JobState.CANCELLED: "was cancelled (scancel, or by the system)",
        JobState.OUT_OF_MEMORY: "ran out of memory: ask for more (job={'mem': '64G'}), or a "
        "smaller image (max_pixels=)",
        JobState.NODE_FAIL: "lost its node: ask again",
        JobState.PREEMPTED: "was preempted: ask again",
    }.get(state, f"ended {state.value}" + (f" (exit {job.exit_code})" if job.exit_code else ""))
    tail = " / ".join(line.strip() for line in stderr.strip().splitlines()[-3:] if line.strip())
    said = f"; its stderr: {tail[-STDERR_TAIL:]}" if tail else "; it wrote nothing to stderr"
    return f"job {job.jobid} on {machine} ({JOB_NAME}) {why}, without an answer{said}"


async def _read(file: AsyncH5File, path: str) -> str | None:
    try:
        text = await file.machine.files.download(path, binary=False)
    except NotFoundError:
        return None
    file.downloads += 1
    return str(text)


async def _cancel(job: AsyncJob) -> None:
    # It ended meanwhile, or the API is unreachable: nothing more to do here.
    with contextlib.suppress(SfApiError):
        await job.cancel()


_cancelling: set[asyncio.Future[None]] = set()
