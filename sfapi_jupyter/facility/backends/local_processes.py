"""Running one job of the ``local`` backend as real processes: staging its script, starting
it as its user with Slurm's environment and output files, watching it, and ending it
(SIGTERM to its process group, SIGKILL after :data:`KILL_WAIT`). See :mod:`.local` for the
semantics; :class:`~.local.LocalBackend` schedules, this runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..accounts import Accounts
from ..config import FacilityConfig
from ..models import JobRecord
from ..store import Store
from ..unix import Credentials, acting_as
from .local_jobs import (
    compress_nodelist,
    group_has_live_members,
    job_environment,
    output_paths,
    process_start_time,
    signal_group,
)
from .usage import UsageMeter, sample_all

log = logging.getLogger("sfapi_jupyter.facility.backends.local")

#: Seconds a killed job's processes may take to die before the job is called ended anyway
#: (Slurm's UnkillableStepTimeout is 60 s; a process in uninterruptible sleep can take that).
UNKILLABLE_WAIT = 60.0
#: Seconds between two samples of a job's processes (Slurm's JobAcctGatherFrequency, which is
#: 30 s by default; short here so that a job of a few seconds is measured too).
MEASURE_INTERVAL = 0.2
#: Seconds between SIGTERM and SIGKILL (Slurm's KillWait).
KILL_WAIT = 2.0


@dataclass
class _Active:
    """A job holding nodes: from the moment it is picked until its processes are gone."""

    job: JobRecord
    nodes: list[str]
    proc: asyncio.subprocess.Process | None = None
    #: Set once the job is being ended from outside (cancel, time limit, shutdown).
    final_state: str | None = None
    watcher: asyncio.Task[None] | None = None
    #: What its processes use, sampled by the backend's one sampler while they run.
    meter: UsageMeter | None = None


class _OutputError(OSError):
    """A job's output file could not be opened; the message is slurmstepd's."""


@dataclass
class _Launch:
    stdout: Path
    stderr: Path
    cwd: Path
    warnings: list[str] = field(default_factory=list)


class JobProcesses:
    """The process side of :class:`~.local.LocalBackend` (a base class it builds on)."""

    config: FacilityConfig
    store: Store
    accounts: Accounts
    _active: dict[tuple[str, int], _Active]
    #: The sampler of running jobs' processes is running (:meth:`_measure`).
    _sampling: bool = False
    _wake: asyncio.Event

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    # -- running ----------------------------------------------------------------------------
    def _credentials(self, job: JobRecord) -> Credentials | None:
        """The OS identity the job runs with (None: the facility's own, when not root)."""
        if not self.accounts.isolated:
            return None
        user = self.accounts.get_user(job.user)
        if user is None:
            raise PermissionError(f"user {job.user} no longer exists")
        return self.accounts.credentials(user)

    def _stage_script(self, job: JobRecord, creds: Credentials | None) -> Path:
        """Copy the job's script where only its user can read it (slurmd's job spool)."""
        directory = self.config.user_spool / f"job{job.jobid:05d}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(mode=0o700)
        script = directory / "slurm_script"
        shutil.copyfile(job.extra["script"], script)
        script.chmod(0o700)
        if creds is not None:
            for path in (directory, script):
                os.lchown(path, creds.uid, creds.gid)
        return script

    def _unstage(self, job: JobRecord) -> None:
        shutil.rmtree(self.config.user_spool / f"job{job.jobid:05d}", ignore_errors=True)

    def _prepare(self, job: JobRecord, nodes: list[str]) -> _Launch:
        """Output files and working directory, as the job's user will meet them."""
        stdout, stderr = output_paths(job, nodes[0])
        launch = _Launch(stdout, stderr, Path(job.work_dir))
        try:
            # "." inside: the user needs search permission on the directory itself
            reachable = os.path.isdir(launch.cwd) and os.path.exists(launch.cwd / ".")
        except OSError:
            reachable = False
        if not reachable:
            launch.warnings.append(
                f"slurmstepd: error: couldn't chdir to `{launch.cwd}': "
                "No such file or directory: going to /tmp instead"
            )
            launch.cwd = Path("/tmp")
        return launch

    def _open_outputs(
        self, job: JobRecord, nodes: list[str], creds: Credentials | None
    ) -> tuple[Path, _Launch, IO[bytes], IO[bytes]]:
        """Stage the script and open the output files as the job's user; (script, launch,
        stdout, stderr). Runs in a worker thread, never on the event loop.

        Opened as slurmstepd opens them (with the user's identity: a path the user may not
        write fails the job), but without ever waiting: a FIFO that nobody reads fails the
        job (``No such device or address``) instead of holding the scheduler until someone
        does. Regular files, ``/dev/null`` and a FIFO someone reads work as under Slurm.
        """
        script = self._stage_script(job, creds)
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOCTTY | os.O_NONBLOCK
        flags |= os.O_APPEND if job.extra.get("open_mode") == "append" else os.O_TRUNC
        opened: list[IO[bytes]] = []

        def open_output(path: Path, which: str) -> IO[bytes]:
            try:
                fd = os.open(path, flags, 0o666)
            except OSError as exc:
                raise _OutputError(
                    f"slurmstepd: error: Could not open {which} file {path}: {exc.strerror}"
                ) from None
            handle = os.fdopen(fd, "ab")
            opened.append(handle)
            return handle

        try:
            with acting_as(creds):
                launch = self._prepare(job, nodes)
                out = open_output(launch.stdout, "stdout")
                err = (
                    out if launch.stderr == launch.stdout else open_output(launch.stderr, "stderr")
                )
            for warning in launch.warnings:
                with contextlib.suppress(BlockingIOError):  # a full pipe: skip the notice
                    os.write(err.fileno(), warning.encode() + b"\n")
            for handle in opened:  # the job itself writes as usual: blocking
                os.set_blocking(handle.fileno(), True)
        except BaseException:
            for handle in opened:
                handle.close()
            raise
        return script, launch, out, err

    async def _launch(self, job: JobRecord, nodes: list[str]) -> None:
        active = _Active(job, nodes)
        self._active[(job.machine, job.jobid)] = active
        job.start_time, job.nodelist, job.reason = time.time(), compress_nodelist(nodes), "None"
        try:
            creds = self._credentials(job)
            script, launch, out, err = await asyncio.to_thread(
                self._open_outputs, job, nodes, creds
            )
        except _OutputError as exc:  # the output file cannot be opened: Slurm fails the job
            self._fail_launch(active, 1, "JobLaunchFailure", str(exc))
            return
        except OSError as exc:
            self._fail_launch(active, 1, "JobLaunchFailure", str(exc))
            return
        except Exception as exc:
            self._fail_launch(active, 1, "JobLaunchFailure", repr(exc))
            raise
        job.stdout, job.stderr = str(launch.stdout), str(launch.stderr)
        with out, err:
            try:
                proc = await asyncio.create_subprocess_exec(
                    str(script),
                    *job.extra.get("args", []),
                    cwd=launch.cwd,
                    env=job_environment(job, nodes),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                    user=creds.uid if creds else None,
                    group=creds.gid if creds else None,
                    extra_groups=list(creds.groups) if creds else None,
                )
            except OSError as exc:
                with contextlib.suppress(OSError):
                    err.write(f"slurmstepd: error: execve(): {script}: {exc.strerror}\n".encode())
                self._fail_launch(active, exc.errno or 1, "NonZeroExitCode", str(exc))
                return
        active.proc = proc
        job.state = "RUNNING"
        job.extra.update(pid=proc.pid, pgid=proc.pid, proc_start=process_start_time(proc.pid))
        self.store.save_job(job)
        active.watcher = asyncio.create_task(self._watch(active), name=f"job-{job.jobid}")

    def _fail_launch(self, active: _Active, exit_code: int, reason: str, detail: str) -> None:
        job = active.job
        job.state, job.exit_code, job.reason, job.end_time = (
            "FAILED",
            exit_code,
            reason,
            time.time(),
        )
        job.extra["launch_error"] = detail
        self._active.pop((job.machine, job.jobid), None)
        self._unstage(job)
        self.store.save_job(job)

    async def _watch(self, active: _Active) -> None:
        """Wait for the job's script to exit, enforcing its time limit on the way."""
        proc, job = active.proc, active.job
        assert proc is not None and job.start_time is not None
        limit = job.extra.get("time_limit_seconds")
        deadline = job.start_time + limit if limit else None
        active.meter = meter = UsageMeter(proc.pid, job.extra.get("mem_bytes"))
        if not self._sampling:
            self._sampling = True
            self._spawn(self._measure())
        while True:
            timeout = None
            if deadline is not None and active.final_state is None:
                timeout = max(deadline - time.time(), 0.0)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
                break
            except asyncio.TimeoutError:
                self._begin_end(active, "TIMEOUT", "TimeLimit")
        # Whatever the script left behind in its process group dies with the job, and the job
        # stays COMPLETING until it has (as Slurm's proctrack waits for the step's processes).
        job.extra["usage"] = meter.to_json()
        signal_group(proc.pid, signal.SIGKILL)
        for _ in range(int(UNKILLABLE_WAIT / 0.02)):
            if not group_has_live_members(proc.pid):
                break
            await asyncio.sleep(0.02)
        self._finish(active)

    async def _measure(self) -> None:
        """Sample every running job's processes (one pass over /proc for all of them) until
        none runs; a job over its memory is killed at once and ends OUT_OF_MEMORY (Slurm's
        OverMemoryKill)."""
        try:
            while True:
                running = [a for a in self._active.values() if a.meter is not None]
                if not running:
                    return
                await asyncio.to_thread(sample_all, [a.meter for a in running if a.meter])
                for active in running:
                    meter = active.meter
                    if meter is not None and meter.over_limit and active.final_state is None:
                        self._begin_end(active, "OUT_OF_MEMORY", "OutOfMemory")
                        signal_group(meter.pgid, signal.SIGKILL)
                await asyncio.sleep(MEASURE_INTERVAL)
        finally:
            self._sampling = False

    def _begin_end(
        self, active: _Active, state: str, reason: str, cancelled_by: int | None = None
    ) -> None:
        """End a running job from outside: COMPLETING now, ``state`` once its processes die."""
        if active.final_state is not None:
            return
        job = active.job
        active.final_state = state
        job.state, job.reason, job.cancelled_by = "COMPLETING", reason, cancelled_by
        job.extra["final_state"] = state
        self.store.save_job(job)
        self._spawn(self._terminate(active))

    async def _terminate(self, active: _Active) -> None:
        proc = active.proc
        if proc is None:
            return
        signal_group(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), KILL_WAIT)
        except asyncio.TimeoutError:
            signal_group(proc.pid, signal.SIGKILL)

    def _finish(self, active: _Active) -> None:
        proc, job = active.proc, active.job
        assert proc is not None and proc.returncode is not None
        code = proc.returncode
        job.end_time = time.time()
        if active.final_state is not None:
            job.state = active.final_state
            # sacct prints 0:125 for a job its memory limit killed
            ends = {"CANCELLED": int(signal.SIGTERM), "OUT_OF_MEMORY": 125}
            job.exit_code, job.signal = 0, ends.get(job.state, 0)
        elif code == 0:
            job.state, job.reason = "COMPLETED", "None"
        elif code > 0:
            job.state, job.reason, job.exit_code = "FAILED", "NonZeroExitCode", code
        else:
            job.state, job.signal = "FAILED", -code
            job.reason = f"RaisedSignal:{-code}({signal.strsignal(-code)})"
        self._active.pop((job.machine, job.jobid), None)
        self._unstage(job)
        self.store.save_job(job)
        self._wake.set()
