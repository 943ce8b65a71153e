"""Submitting a batch script as sbatch does: read (as the user), bounded, parsed, checked
against the machine's policy, then handed to the job backend.

A refusal is sbatch's own message in the submit task's result (``"status": "error"``), as the
real API gives it.
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

from .accounts import Accounts
from .backends.base import JobBackend
from .config import FacilityConfig
from .models import FacilityUser, SbatchError, SubmitRequest
from .paths import PathDenied, resolve_user_path
from .sbatch import check_policy, parse_batch_script
from .sbatch_limits import script_too_large
from .unix import acting_as


def _script_from_path(
    config: FacilityConfig, accounts: Accounts, user: FacilityUser, job: str
) -> tuple[str, Path]:
    """The script at ``job``, read with the user's own identity (as sbatch would read it).

    Runs in a worker thread: the size is checked on the open file before a byte is read,
    at most the limit is read, and a FIFO or device is never read (it could block for ever).
    """
    unable = SbatchError(f"sbatch: error: Unable to open file {job}")
    limit = config.max_script_bytes
    try:
        with acting_as(accounts.credentials(user)):
            path = resolve_user_path(config, user, job, write=False)
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise unable
                too_large = script_too_large(st.st_size, limit)
                if too_large is not None:
                    raise too_large
                data = handle.read(limit + 1)
        too_large = script_too_large(len(data), limit)  # it grew after the check
        if too_large is not None:
            raise too_large
        return data.decode(), path
    except (PathDenied, OSError, UnicodeDecodeError):
        raise unable from None


async def submit_script(
    config: FacilityConfig,
    accounts: Accounts,
    backend: JobBackend,
    user: FacilityUser,
    machine: str,
    job: str,
    is_path: bool,
    args: list[str],
) -> dict[str, Any]:
    """sbatch ``job`` (the script, or with ``is_path`` its path) for ``user``: the submit
    task's result, with the job id or sbatch's own words."""
    try:
        if is_path:
            script, script_path = await asyncio.to_thread(
                _script_from_path, config, accounts, user, job
            )
            submit_dir = script_path.parent
        else:
            too_large = script_too_large(len(job.encode()), config.max_script_bytes)
            if too_large is not None:
                raise too_large
            script, script_path, submit_dir = job, None, user.home
        # Parsed in a worker thread: a script of many directives costs its own time only.
        options = await asyncio.to_thread(
            parse_batch_script, script, None, max_bytes=config.max_script_bytes
        )
        nodes = config.nodes.get(machine, 1) if config.backend == "local" else 10**6
        check_policy(machine, options, user, nodes)
        request = SubmitRequest(
            machine=machine,
            user=user,
            script=script,
            script_path=script_path,
            args=list(args),
            submit_dir=submit_dir,
            options=options,
        )
        jobid = await backend.submit(request)
    except SbatchError as exc:
        return {"status": "error", "jobid": None, "error": str(exc)}
    return {"status": "ok", "jobid": str(jobid), "error": None}
