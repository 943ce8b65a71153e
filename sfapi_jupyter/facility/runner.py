"""Run a command for ``/utilities/command``: a real shell, as the user, in their home.

The command runs as the user's own OS account when the facility runs as root, else as the
facility's OS user (see :mod:`sfapi_jupyter.facility.unix`), in its own process group so
that cancelling the task (``DELETE /tasks/{id}``) or the time limit ends the whole
command, children included. Output shows in the task while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

from . import environment
from .config import FacilityConfig
from .models import FacilityUser
from .tasks import TaskHandle
from .unix import Credentials


def login_environment(user: FacilityUser, machine: str) -> dict[str, str]:
    """The environment of a login shell of ``user`` on ``machine``."""
    return environment.login_environment(user.name, user.home, user.scratch, machine)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def run_command_task(
    config: FacilityConfig,
    user: FacilityUser,
    machine: str,
    command: str,
    handle: TaskHandle,
    creds: Credentials | None = None,
) -> dict[str, Any]:
    """Run ``command`` with ``creds`` (the user's OS identity; None: the facility's own)."""
    limit = config.max_command_output_bytes
    proc = await asyncio.create_subprocess_exec(
        "/bin/bash",
        "-c",
        command,
        cwd=str(user.home),
        env=login_environment(user, machine),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        user=creds.uid if creds else None,
        group=creds.gid if creds else None,
        extra_groups=list(creds.groups) if creds else None,
    )
    out, err = bytearray(), bytearray()
    truncated = False

    async def pump(stream: asyncio.StreamReader | None, sink: bytearray) -> None:
        nonlocal truncated
        assert stream is not None
        while chunk := await stream.read(65536):
            room = limit - len(out) - len(err)  # the limit is for both streams together
            if room > 0:
                sink += chunk[:room]
            if len(chunk) > room:
                truncated = True

    def snapshot(status: str, exit_code: int | None) -> dict[str, Any]:
        error = err.decode(errors="replace")
        if truncated:
            error += f"\n[output truncated at {limit} bytes]"
        return {
            "status": status,
            "output": out.decode(errors="replace"),
            "error": error,
            "exit_code": exit_code,
        }

    pumps = asyncio.gather(pump(proc.stdout, out), pump(proc.stderr, err))
    try:
        deadline = asyncio.get_running_loop().time() + config.command_timeout
        published = (0, 0)
        while True:
            try:
                await asyncio.wait_for(asyncio.shield(pumps), timeout=0.25)
                break
            except asyncio.TimeoutError:
                if (len(out), len(err)) != published:
                    published = (len(out), len(err))
                    handle.partial(snapshot("running", None))
                if asyncio.get_running_loop().time() > deadline:
                    _kill_group(proc)
                    await pumps
                    await proc.wait()
                    result = snapshot("error", -9)
                    result["error"] += f"\ncommand killed after {config.command_timeout:.0f} s"
                    return result
        code = await proc.wait()
    except asyncio.CancelledError:
        _kill_group(proc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        # The group is dead, so its pipes end: read to their end, the transport closes now
        # (cut off, it would be closed by the garbage collector, maybe after the loop).
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(pumps, 1)
        handle.partial(snapshot("cancelled", None))
        raise
    return snapshot("ok" if code == 0 else "error", code)
