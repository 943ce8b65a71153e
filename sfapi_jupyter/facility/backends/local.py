"""The ``local`` job backend: batch scripts run as real processes with Slurm's semantics.

Each machine has ``config.nodes[machine]`` pretend nodes (``nid001001``…). A scheduler
loop starts pending jobs in job-id order when they fit, so users see the queue they would
see on Perlmutter: PENDING with Slurm's reasons (Resources, Priority, Dependency,
JobArrayTaskLimit), RUNNING, COMPLETING while processes are being killed, then COMPLETED,
FAILED, TIMEOUT, CANCELLED or NODE_FAIL. Every job runs in its own process group, so a
cancel or a time limit kills everything the script started, as Slurm's proctrack does.

The store is the truth: every state change is written through at once, and a job only
lives in memory (``_active``) while its processes do.

Jobs run as their user: with the user's own OS account when the facility runs as root
(the script is staged, as slurmd does, in ``STATE/spool/job<id>/slurm_script`` owned by
the user, and output files are opened with the user's identity), else as the facility's
OS user.

Deliberate differences from Slurm:

* ``--time`` is honoured to the second (``-t 0:02`` kills after 2 s) so tests can
  exercise TIMEOUT; the record shows the limit rounded up to minutes, as Slurm stores it.
* ``--begin``, memory, GPUs, licenses and the like are recorded, not enforced.

Stopping and restarting: a process's exit status can only be collected by its parent, so
a new server cannot adopt jobs an old one started. :meth:`LocalBackend.stop` therefore
ends running jobs (SIGTERM to the group, SIGKILL after 2 s) and marks them NODE_FAIL,
reason NodeDown, as Slurm does when a node dies under a job; this also keeps tests from
leaking processes. If a server died without stopping, :meth:`LocalBackend.start` kills the
orphaned process groups it finds in the store and marks those jobs the same way. Pending
jobs stay queued across restarts and finished jobs keep their records; nothing vanishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Coroutine
from typing import Any

from ..accounts import Accounts
from ..config import FacilityConfig
from ..models import FacilityUser, JobQuery, JobRecord, SbatchError, ScancelError, SubmitRequest
from ..sbatch import parse_batch_script
from ..store import Store
from .local_jobs import (
    build_records,
    dependency_states,
    dependency_verdict,
    job_dependencies,
    node_names,
    process_start_time,
    signal_group,
)
from .local_processes import JobProcesses, _Active

log = logging.getLogger(__name__)

#: Seconds between scheduler passes when only an event (submit, end, cancel) can change
#: the queue; those events wake the scheduler at once.
IDLE_INTERVAL = 2.0


class LocalBackend(JobProcesses):
    """Runs batch scripts on this host; see the module docstring for the semantics."""

    name = "local"

    def __init__(self, config: FacilityConfig, store: Store, accounts: Accounts) -> None:
        self.config = config
        self.store = store
        self.accounts = accounts
        self._active: dict[tuple[str, int], _Active] = {}
        self._scheduler: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # Held while picking and launching jobs, and by cancel: a job must not be started
        # from a stale record after it was cancelled.
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._stopping = False

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        if self._scheduler is not None:
            return
        self._stopping = False
        self.config.user_spool.mkdir(parents=True, exist_ok=True)
        self.config.user_spool.chmod(0o711)  # job<id>/ inside belongs to the job's user
        self._recover()
        self._scheduler = asyncio.create_task(self._schedule_forever(), name="local-scheduler")

    async def stop(self) -> None:
        # The scheduler finishes its pass and leaves by itself: cancelling it could cut a
        # launch in half, and asyncio.wait_for may swallow a cancel on Python 3.11.
        self._stopping = True
        self._wake.set()
        if self._scheduler is not None:
            await self._scheduler
            self._scheduler = None
        async with self._lock:
            for active in list(self._active.values()):
                self._begin_end(active, "NODE_FAIL", "NodeDown")
            watchers = [a.watcher for a in self._active.values() if a.watcher is not None]
        await asyncio.gather(*watchers, return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)

    def _recover(self) -> None:
        """End jobs a previous server left running: their processes are not ours to wait for."""
        now = time.time()
        for job in self.store.load_jobs(states=["RUNNING", "COMPLETING"]):
            if (job.machine, job.jobid) in self._active:
                continue
            pgid = job.extra.get("pgid")
            started = process_start_time(pgid) if pgid else None
            if started is None or started == job.extra.get("proc_start"):
                signal_group(pgid, signal.SIGKILL)
            job.state = job.extra.get("final_state") or "NODE_FAIL"
            if job.state == "NODE_FAIL":
                job.reason = "NodeDown"
            job.end_time = now
            self._unstage(job)
            self.store.save_job(job)
            log.warning("job %s on %s ended by restart: %s", job.jobid, job.machine, job.state)

    # -- submit -----------------------------------------------------------------------------
    async def submit(self, request: SubmitRequest) -> int:
        opts = request.options or parse_batch_script(request.script)
        machine = request.machine
        if opts.nodes > self._capacity(machine):
            raise SbatchError(
                "sbatch: error: Batch job submission failed: Node count specification invalid"
            )
        if opts.dependencies:  # every target must exist: one query for all of them
            wanted = {dep.jobid for dep in opts.dependencies}
            if not wanted <= dependency_states(self.store, machine, wanted).keys():
                raise SbatchError(
                    "sbatch: error: Batch job submission failed: Job dependency problem"
                )
        task_ids: tuple[int | None, ...] = opts.array.task_ids if opts.array else (None,)
        first = self.store.next_job_id(len(task_ids))
        spool = self.config.job_spool / str(first)
        spool.mkdir(parents=True, exist_ok=True)
        script = spool / "script"
        script.write_text(request.script)
        script.chmod(0o755)

        records = build_records(request, opts, first, script)
        self.store.save_jobs(records)
        self._wake.set()
        return first

    # -- queries and cancel -----------------------------------------------------------------
    async def jobs(self, machine: str, query: JobQuery) -> list[JobRecord]:
        return self.store.select_jobs(machine, query)

    async def cancel(self, machine: str, jobid: int, user: FacilityUser) -> None:
        prefix = f"scancel: error: Kill job error on job id {jobid}:"
        async with self._lock:
            targets = self._targets(machine, jobid)
            if not targets:
                raise ScancelError(f"{prefix} Invalid job id specified")
            if any(t.uid != user.uid for t in targets):
                raise ScancelError(f"{prefix} Access/permission denied")
            live = [t for t in targets if t.state in ("PENDING", "RUNNING")]
            if not live:
                raise ScancelError(f"{prefix} Job/step already completing or completed")
            for job in live:
                active = self._active.get((machine, job.jobid))
                if active is not None:
                    self._begin_end(active, "CANCELLED", "None", cancelled_by=user.uid)
                else:
                    job.state, job.reason = "CANCELLED", "None"
                    job.cancelled_by, job.end_time = user.uid, time.time()
                    self.store.save_job(job)
        self._wake.set()

    def _targets(self, machine: str, jobid: int) -> list[JobRecord]:
        """The job, or every task when ``jobid`` names an array (tasks have consecutive ids)."""
        first = self.store.get_job(machine, jobid)
        if first is None or first.array_job_id != jobid:
            return [first] if first else []
        tasks = [first]
        for offset in range(1, int(first.extra.get("array_task_count", 1))):
            task = self.store.get_job(machine, jobid + offset)
            if task is not None:
                tasks.append(task)
        return tasks

    # -- scheduling -------------------------------------------------------------------------
    def _capacity(self, machine: str) -> int:
        return self.config.nodes.get(machine, 1)

    def _free_nodes(self, machine: str) -> list[str]:
        used = {n for (m, _), a in self._active.items() if m == machine for n in a.nodes}
        return [n for n in node_names(self._capacity(machine)) if n not in used]

    def _running_per_array(self) -> dict[tuple[str, int], int]:
        counts: dict[tuple[str, int], int] = {}
        for (machine, _), active in self._active.items():
            if active.job.array_job_id is not None:
                key = (machine, active.job.array_job_id)
                counts[key] = counts.get(key, 0) + 1
        return counts

    async def _schedule_forever(self) -> None:
        while not self._stopping:
            waiting_on_clock = True
            try:
                waiting_on_clock = await self._tick()
            except Exception:  # the queue must keep moving whatever one job did
                log.exception("local scheduler pass failed")
            # Submits, ends and cancels wake the loop at once; only jobs still inside their
            # minimum pending time need the clock. Otherwise a slow safety-net pass is enough,
            # which keeps a queue of thousands of array tasks from costing CPU every 0.1 s.
            interval = self.config.scheduler_interval if waiting_on_clock else IDLE_INTERVAL
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            if not self._stopping:
                self._wake.clear()

    async def _tick(self) -> bool:
        """One pass over the queue; True if some job waits only for the clock."""
        waiting_on_clock = False
        async with self._lock:
            now = time.time()
            blocked: set[str] = set()  # machines whose first waiting job needs more nodes
            # Free nodes and running array tasks are counted once per pass and kept up to
            # date as jobs launch: a pass costs the pending jobs, not pending x running.
            free_by_machine: dict[str, list[str]] = {}
            running = self._running_per_array()
            pending = self.store.load_jobs(states=["PENDING"])
            states = self._dependency_states(pending)
            for job in pending:
                verdict = dependency_verdict(job, states.get(job.machine, {}))
                if verdict == "never":
                    job.state, job.reason = "CANCELLED", "DependencyNeverSatisfied"
                    job.end_time = now
                    self.store.save_job(job)
                    self._wake.set()  # jobs waiting on this one learn it next pass
                    continue
                became_eligible = verdict == "ok" and job.eligible_time is None
                if became_eligible:
                    job.eligible_time = now
                free = free_by_machine.get(job.machine)
                if free is None:
                    free = free_by_machine[job.machine] = self._free_nodes(job.machine)
                if verdict == "wait":
                    reason = "Dependency"
                elif self._throttled(job, running):
                    reason = "JobArrayTaskLimit"
                elif now - job.submit_time < self.config.min_pending_seconds:
                    reason = "None"
                    waiting_on_clock = True
                elif job.machine in blocked:
                    reason = "Priority"
                elif len(free) >= job.nodes:
                    nodes = free[: job.nodes]
                    del free[: job.nodes]
                    if job.array_job_id is not None:
                        key = (job.machine, job.array_job_id)
                        running[key] = running.get(key, 0) + 1
                    await self._launch(job, nodes)
                    if states:
                        self._wake.set()  # an ``after:`` dependency may be met now
                    continue
                else:
                    reason = "Resources"
                    blocked.add(job.machine)
                if job.reason != reason or became_eligible:
                    job.reason = reason
                    self.store.save_job(job)
        return waiting_on_clock

    def _dependency_states(self, pending: list[JobRecord]) -> dict[str, dict[int, list[str]]]:
        """The states every pending job's dependencies name, by machine: one query for all
        of them, not one per dependency term (a list may name thousands of jobs)."""
        wanted: dict[str, set[int]] = {}
        for job in pending:
            for _, ids in job_dependencies(job)[0]:
                wanted.setdefault(job.machine, set()).update(ids)
        return {m: dependency_states(self.store, m, ids) for m, ids in wanted.items()}

    @staticmethod
    def _throttled(job: JobRecord, running: dict[tuple[str, int], int]) -> bool:
        limit = job.extra.get("array_throttle")
        if job.array_job_id is None or not limit:
            return False
        return running.get((job.machine, job.array_job_id), 0) >= int(limit)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
