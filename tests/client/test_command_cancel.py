"""A command that outlives its wait is cancelled on the machine, not left running there.

``run(..., timeout=)`` that runs out, an interrupted blocking call (Ctrl-C in ``%sfrun``) and a
cancelled coroutine all send ``DELETE /tasks/{id}``, and the facility kills the command's
whole process group. Checked for real: the facility over HTTP on loopback, on both backends,
as root (the command runs as the user's own OS account) and as an ordinary user (``nobody``:
everything runs as the facility's user), looking for the ``sleep`` among this process's
descendants.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from sfapi_jupyter.client import WaitTimeout
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.config import API_PREFIX, TOKEN_PATH
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import async_client, free_port, new_client, sync_client
from ..support.figures import record_bad_input
from ..support.reachable import reachable_python, without_checkout
from ..support.slurm import require_slurm


def sleeping(seconds: str) -> list[psutil.Process]:
    """This process's descendants that run ``sleep <seconds>`` (the command, or its bash)."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            if f"sleep {seconds}" in " ".join(proc.cmdline()):
                found.append(proc)
    return found


def gone_within(seconds: str, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not sleeping(seconds):
            return True
        time.sleep(0.05)
    return not sleeping(seconds)


def started(seconds: str, limit: float = 20.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if sleeping(seconds):
            return True
        time.sleep(0.05)
    return False


def unique_sleep() -> str:
    """``60.<random>``: 60 seconds, told apart from any other test's ``sleep 60``."""
    return f"60.{uuid.uuid4().int % 10**6:06d}"


@pytest.fixture(params=["local", pytest.param("slurm", marks=pytest.mark.slurm)])
def site(request, tmp_path) -> Iterator[LocalFacility]:
    if request.param == "slurm":
        require_slurm()
    config = FacilityConfig(
        state_dir=tmp_path / "state",
        backend=request.param,
        min_pending_seconds=0.2,
        scheduler_interval=0.05,
    )
    with LocalFacility(config) as running:
        yield running


def test_a_command_past_its_timeout_is_cancelled_and_its_process_is_gone(site):
    seconds = unique_sleep()
    with sync_client(site, new_client(site, "timeout")) as client:
        with pytest.raises(WaitTimeout) as caught:
            client.compute("perlmutter").run(f"sleep {seconds}", timeout=1)
        # Before: the message was "Task … did not finish within 1 s" and the sleep ran on.
        assert gone_within(seconds, 2.0), sleeping(seconds)
    message = str(caught.value)
    assert f"'sleep {seconds}' did not finish on perlmutter within 1 s" in message
    assert "so it was cancelled there" in message
    record_bad_input("function", "run('sleep 60', timeout=1)", f"WaitTimeout: {message}")


def test_a_command_that_ends_in_time_is_not_cancelled(site):
    with sync_client(site, new_client(site, "intime")) as client:
        result = client.compute("perlmutter").run("echo done", timeout=30)
    assert result.output == "done\n"


def test_ctrl_c_on_a_blocking_run_cancels_the_command(site):
    """What ``%sfrun sleep 60`` then Ctrl-C does: the kernel gets SIGINT in its main thread."""
    seconds = unique_sleep()
    with sync_client(site, new_client(site, "interrupted")) as client:
        machine = client.compute("perlmutter")
        machine.run("true")  # the token and the machine's status, before the clock starts

        def interrupt_once_running() -> None:
            if started(seconds):
                os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt_once_running, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            machine.run(f"sleep {seconds}")
        assert gone_within(seconds, 2.0), sleeping(seconds)


async def test_a_cancelled_coroutine_cancels_the_command(site):
    seconds = unique_sleep()
    async with async_client(site, new_client(site, "coroutine")) as client:
        running = asyncio.ensure_future(client.compute("perlmutter").run(f"sleep {seconds}"))
        assert await asyncio.to_thread(started, seconds)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert await asyncio.to_thread(gone_within, seconds, 2.0)
        tasks = await client.tasks()
    assert tasks[-1].status.value == "cancelled"


# -- the facility as an ordinary user -------------------------------------------------------
NOBODY = 65534


@contextlib.contextmanager
def facility_as_nobody() -> Iterator[tuple[str, str, dict[str, str]]]:
    """A facility process run as ``nobody`` (so it cannot give users accounts of their own)."""
    state = Path(tempfile.mkdtemp(prefix="sfapi-cancel-", dir="/tmp"))
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    # nobody runs a world-readable copy of the code and its dependencies: CI may clone into a
    # private directory that nobody cannot read (tests/support/reachable.py).
    env = {**without_checkout(os.environ), "HOME": str(state)}
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, state, ignore_errors=True)
        python = str(stack.enter_context(reachable_python()))
        os.chown(state, NOBODY, NOBODY)
        port = free_port()
        settings = state / "settings.json"
        settings.write_text(
            json.dumps(
                {
                    "state_dir": str(state / "state"),
                    "port": port,
                    "options": {"min_pending_seconds": 0.2, "scheduler_interval": 0.05},
                    "clients": {"plain": 1},
                    "creds_out": str(state / "creds.json"),
                }
            )
        )
        server = subprocess.Popen(
            [*as_nobody, python, "-m", "tests.support.serve_process", str(settings)],
            cwd=state,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert line.startswith("READY"), f"the facility did not start: {line!r}"
            api_url = line.split()[1]
            creds = json.loads((state / "creds.json").read_text())[0]
            yield api_url, api_url.removesuffix(API_PREFIX) + TOKEN_PATH, creds
        finally:
            server.terminate()
            server.wait(timeout=60)


@pytest.mark.skipif(os.geteuid() != 0, reason="as an ordinary user the tests above are this case")
def test_as_an_ordinary_user_the_facility_kills_the_command_too():
    from sfapi_jupyter import Client

    from ..support.facility import FAST_RETRY

    seconds = unique_sleep()
    with (
        facility_as_nobody() as (api_url, token_url, creds),
        Client(
            api_url, token_url, client_id=creds["client_id"], key=creds["key"], retry=FAST_RETRY
        ) as client,
    ):
        with pytest.raises(WaitTimeout, match="so it was cancelled there"):
            client.compute("perlmutter").run(f"sleep {seconds}", timeout=1)
        assert gone_within(seconds, 2.0), sleeping(seconds)
