"""``run_command``, how the slurm backend calls squeue, sacct, sbatch and scancel.

These need no Slurm: any program shows whether a command outlives its caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest

from sfapi_jupyter.facility.backends.slurm_commands import run_command

from ..support.processes import process_gone
from ..support.waiting import async_wait_for


def sleeper(pid_file: Path) -> list[str]:
    """A command that writes its pid to ``pid_file``, then sleeps for 5 minutes."""
    return ["sh", "-c", f'echo $$ > "{pid_file}"; exec sleep 300']


async def test_a_cancelled_command_leaves_no_process_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    call = asyncio.ensure_future(run_command(sleeper(pid_file), timeout=600))
    await async_wait_for(
        lambda: pid_file.exists() and pid_file.read_text().strip(), what="pid file"
    )
    pid = int(pid_file.read_text())
    assert not process_gone(pid)

    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    # gone (killed and reaped) by the time the cancellation reaches the caller
    assert process_gone(pid)


async def test_a_command_past_its_timeout_is_killed_and_says_so(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code, out, err = await run_command(sleeper(pid_file), timeout=1)
    assert (code, out) == (None, "")
    assert err == "no answer within 1 s"
    assert process_gone(int(pid_file.read_text()))


async def test_a_timed_out_command_is_killed_with_what_it_started(tmp_path: Path) -> None:
    """A child the command left running with its stdout (a daemon it started) must not hold
    the caller past the timeout, nor live on."""
    pid_file = tmp_path / "pid"
    child = ["sh", "-c", f'sleep 300 & echo $! > "{pid_file}"; exec sleep 300']
    code, _, err = await asyncio.wait_for(run_command(child, timeout=1), 30)
    assert code is None
    assert err == "no answer within 1 s"
    pid = int(pid_file.read_text())
    try:
        await async_wait_for(lambda: process_gone(pid), what="the command's child gone")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
