"""How the slurm backend calls Slurm's tools: ``run_command`` (no shell, never blocking the
event loop, never outliving its caller) and the error that carries a failed command's stderr."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Seconds any Slurm command may take before we give up on it.
COMMAND_TIMEOUT = 60.0
#: Variables that change what Slurm's clients print or submit; never inherited.
_SLURM_ENV_PREFIXES = ("SLURM_", "SBATCH_", "SQUEUE_", "SACCT_", "SINFO_", "SCANCEL_")


class SlurmCommandError(RuntimeError):
    """A Slurm command failed; the message carries the command and its stderr."""

    def __init__(self, argv: Sequence[str], returncode: int | None, stderr: str) -> None:
        status = "timed out" if returncode is None else f"exited with {returncode}"
        super().__init__(f"{' '.join(argv)} {status}: {stderr.strip() or '(no output)'}")
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr


def _query_env() -> dict[str, str]:
    """Environment for squeue/sacct: our own, minus Slurm's format variables, in UTC."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SLURM_ENV_PREFIXES)}
    env.update(TZ="UTC", SLURM_TIME_FORMAT="standard")
    return env


async def run_command(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = COMMAND_TIMEOUT,
) -> tuple[int | None, str, str]:
    """Run ``argv`` without a shell: ``(returncode, stdout, stderr)``; returncode None = timeout."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env) if env is not None else _query_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # a group of its own: killed, it takes what it started along
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        await _kill_and_drain(proc)
        return None, "", f"no answer within {timeout:.0f} s"
    except asyncio.CancelledError:
        # Cancelled (a request gone, the facility stopping): the command must not outlive
        # its caller.
        await _kill_and_drain(proc)
        raise
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def _kill_and_drain(proc: asyncio.subprocess.Process) -> None:
    """Kill ``proc`` and what it started (it may have just ended) and read its pipes to their
    end, so their transport closes now (left open, the garbage collector closes it, perhaps
    after the loop has gone); a child that left the group with a pipe is given 5 s."""
    if proc.returncode is None:  # not reaped yet, so its pid is no one else's group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the command itself leads the group
    with contextlib.suppress(Exception):  # a cancel while draining goes on up
        await asyncio.wait_for(proc.communicate(), 5)
