"""Run the facility's jobs on a real Slurm through its command-line tools.

When the facility runs as root, every job is submitted with ``sbatch --uid/--gid`` and
Slurm runs it as the user's own OS account. Otherwise Slurm runs every job as the
facility's OS user and cannot tell facility users apart. Either way the facility's store
is the owner of record: a job id belongs to a user only if the store says so (array tasks
belong to whoever owns the array), ``jobs()`` shows every facility user's jobs but no
other Slurm jobs, and ``cancel()`` checks ownership before calling scancel.

State comes from ``squeue --json`` while slurmctld still knows the job (MinJobAge, an hour
with ci/slurm-up.sh) and from text ``sacct`` after that; every refresh is written back to
the store so finished jobs keep their record once Slurm has forgotten them. All parsing and
quirk handling lives in :mod:`.slurm_parse`.

Every Slurm call is an ``asyncio`` subprocess (never a shell, never blocking the loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pwd
import shutil
import time
import uuid
from collections.abc import Mapping
from typing import Any

from ..accounts import Accounts
from ..config import FacilityConfig
from ..environment import login_environment
from ..models import FacilityUser, JobQuery, JobRecord, SbatchError, ScancelError, SubmitRequest
from ..sbatch import BatchOptions, parse_batch_script
from ..store import Store
from ..unix import acting_as, isolation_enabled
from .slurm_commands import SlurmCommandError, run_command
from .slurm_parse import (
    SACCT_FIELDS,
    SlurmJob,
    SlurmParseError,
    output_path,
    parse_sacct_text,
    parse_sbatch_output,
    parse_squeue_json,
)
from .usage import read_slurm_usage

#: Slack (s) when matching Slurm's submit time against the time we called sbatch. Slurm
#: restarts job ids at 1 with a fresh state dir; an old record must not adopt a new job.
SUBMIT_SLACK = 5.0
_TOOLS = ("sbatch", "squeue", "sacct", "scancel", "sinfo")
#: The account Slurm runs our jobs as: whoever runs the facility (sbatch's caller).
_SLURM_USER = pwd.getpwuid(os.getuid()).pw_name
_NOT_RUNNING = (
    "Slurm is not available: {problem}. Start it with `sudo ci/slurm-up.sh` (as root), "
    "or run the facility with `--backend local`."
)


class SlurmBackend:
    """The :class:`~.base.JobBackend` that submits to Slurm (``--backend slurm``)."""

    name = "slurm"

    def __init__(self, config: FacilityConfig, store: Store, accounts: Accounts) -> None:
        self.config = config
        self.store = store
        self.accounts = accounts
        # one refresh at a time: concurrent polls would run the same squeue/sacct twice
        self._refresh_lock = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Fail early, with the fix in the message, when Slurm is not installed or not up."""
        missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
        if missing:
            raise RuntimeError(_NOT_RUNNING.format(problem=f"{', '.join(missing)} not on PATH"))
        code, _, err = await run_command(["sinfo", "-h", "-o", "%T"], timeout=15)
        if code != 0:
            problem = f"sinfo failed ({err.strip() or 'no answer'})"
            raise RuntimeError(_NOT_RUNNING.format(problem=problem))

    async def stop(self) -> None:
        """Nothing to stop: jobs belong to Slurm and keep running without the facility."""

    # -- submit --------------------------------------------------------------------------------
    async def submit(self, request: SubmitRequest) -> int:
        """Copy the script to the spool, sbatch it as the facility user would, record the owner."""
        user = request.user
        try:
            opts = request.options or parse_batch_script(request.script)
        except SbatchError:
            opts = BatchOptions()  # let sbatch itself refuse it, with its own words
        submit_dir = request.submit_dir or user.home
        creds = self.accounts.credentials(user)  # None unless the facility runs as root
        with acting_as(creds):  # sbatch runs in the user's directory: it must reach it
            reachable = submit_dir.is_dir() and os.path.exists(submit_dir / ".")
        if not reachable:
            raise SbatchError(f"sbatch: error: chdir({submit_dir}): No such file or directory")
        spool = self.config.job_spool / uuid.uuid4().hex
        spool.mkdir(parents=True)
        script = spool / "script"
        script.write_text(request.script)
        script.chmod(0o700)

        argv = ["sbatch", "--parsable"]
        if creds is not None:
            argv += [f"--uid={creds.uid}", f"--gid={creds.gid}"]
        if not opts.chdir:
            argv.append(f"--chdir={submit_dir}")
        # Slurm would name the job after the spool copy ("script"); use the local backend's names
        job_name = opts.job_name or (request.script_path.name if request.script_path else "sbatch")
        if not opts.job_name:
            argv.append(f"--job-name={job_name}")
        if self.config.slurm_partition:
            argv.append(f"--partition={self.config.slurm_partition}")
        argv += [str(script), *request.args]
        # sbatch exports this to the job (--export=ALL); slurmd adds SLURM_* on top
        env = login_environment(user.name, user.home, user.scratch, request.machine)
        before = time.time()
        code, out, err = await run_command(argv, cwd=submit_dir, env=env)
        after = time.time()
        if code != 0:
            raise SbatchError(err.strip() or out.strip() or f"sbatch exited with {code}")
        try:
            jobid = parse_sbatch_output(out)
        except SlurmParseError as exc:
            raise SbatchError(f"sbatch: error: {exc}") from None

        work_dir = submit_dir / opts.chdir if opts.chdir else submit_dir
        job = JobRecord(
            machine=request.machine,
            jobid=jobid,
            name=job_name,
            user=user.name,
            uid=user.uid,
            gid=user.gid,
            group=user.group,
            account=opts.account or user.default_account,
            partition=opts.partition or self.config.slurm_partition or "",
            qos=opts.qos or "",
            constraint=opts.constraint or "",
            time_limit=opts.time_limit_minutes,
            submit_time=before,
            work_dir=str(work_dir),
            command=str(request.script_path or script),
            dependency=opts.dependency,
            comment=opts.comment,
            array_job_id=jobid if opts.array else None,
            array_task_str=opts.array.text if opts.array else "",
            extra={
                "spool": str(spool),
                "submit_window": [before, after],
                "command": str(request.script_path or script),
                "stdout_pattern": opts.output or "",
                "stderr_pattern": opts.error or "",
                "slurm_user": user.name if creds is not None else _SLURM_USER,
            },
        )
        self._fill_paths(job)
        self.store.save_job(job)
        return jobid

    # -- queries -------------------------------------------------------------------------------
    async def jobs(self, machine: str, query: JobQuery) -> list[JobRecord]:
        """The store's jobs of ``machine`` matching ``query``, after a refresh from Slurm.

        The filters are applied to the facility's records, not given to squeue/sacct: the
        store is the owner of record (run as an ordinary user, Slurm knows every job as the
        facility's own OS user, so Slurm's ``--user`` would find none), 22.05's
        ``squeue --json`` ignores filters anyway, and the refresh only reads the jobs that
        are not finished, so what a listing costs does not grow with the jobs stored.
        """
        await self._refresh(machine)
        return self.store.select_jobs(machine, query)

    async def cancel(self, machine: str, jobid: int, user: FacilityUser) -> None:
        """scancel a job the user owns (all tasks when ``jobid`` is an array's job id)."""
        await self._refresh(machine)
        job = self.store.get_job(machine, jobid)
        prefix = f"scancel: error: Kill job error on job id {jobid}:"
        if job is None:
            raise ScancelError(f"{prefix} Invalid job id specified")
        if job.user != user.name:
            raise ScancelError(f"{prefix} Access/permission denied")
        group = self.store.load_jobs(machine, jobids=[jobid])
        group = [j for j in group if j.jobid == jobid or j.array_job_id == jobid]
        live = [j for j in group if not j.is_terminal]
        if not live:
            raise ScancelError(f"{prefix} Job/step already completing or completed")
        code, out, err = await run_command(["scancel", str(jobid)])
        if code != 0:
            raise ScancelError(err.strip() or out.strip() or f"scancel exited with {code}")
        for j in group:
            # tasks not dispatched yet get their records later; they inherit ``extra``
            j.extra["cancel_uid"] = user.uid
        self.store.save_jobs(group)

    # -- refresh from Slurm -------------------------------------------------------------------
    async def _refresh(self, machine: str) -> None:
        """Bring the records of ``machine``'s unfinished jobs up to date with Slurm.

        Only unfinished records are read, plus those of jobs squeue still shows (and their
        arrays): the work follows the queue, never the number of jobs ever stored.
        """
        async with self._refresh_lock:
            live = self.store.live_jobs(machine)
            if not live:
                return
            records = {j.jobid: j for j in live}
            changed: dict[int, JobRecord] = {}
            seen: set[int] = set()

            def take(slurm_jobs: list[SlurmJob]) -> None:
                wanted = {sj.jobid for sj in slurm_jobs} | {
                    sj.array_job_id for sj in slurm_jobs if sj.array_job_id is not None
                }
                unknown = wanted - records.keys()
                if unknown:  # finished records of jobs Slurm still shows, and array parents
                    for stored in self.store.load_jobs(machine, jobids=unknown):
                        records.setdefault(stored.jobid, stored)
                arrays = {j.array_job_id: j for j in records.values() if j.array_job_id is not None}
                for sj in slurm_jobs:
                    if sj.jobid in seen:
                        continue
                    job = self._owned_record(sj, records, arrays)
                    if job is None:
                        continue
                    seen.add(sj.jobid)
                    if job.is_terminal and sj.jobid in records:
                        continue  # final already; keep what we recorded
                    self._apply(job, sj)
                    records[job.jobid] = changed[job.jobid] = job

            take(parse_squeue_or_raise(await self._query(self._squeue_argv())))
            gone = sorted({j.array_job_id or j.jobid for j in live if j.jobid not in seen})
            if gone:
                argv = ["sacct", "-X", "-P", "-n", "-o", ",".join(SACCT_FIELDS)]
                argv += ["-j", ",".join(map(str, gone))]
                text = await self._query(argv)
                try:
                    take(parse_sacct_text(text))
                except SlurmParseError as exc:
                    raise SlurmCommandError(argv, 0, f"unreadable output: {exc}") from None
            ended = [j for j in changed.values() if j.is_terminal and "usage" not in j.extra]
            if ended:  # what they used: sacct's step rows, read once as each job ends
                await read_slurm_usage(ended, self._query)
            if changed:
                self.store.save_jobs(changed.values())

    @staticmethod
    def _squeue_argv() -> list[str]:
        """Not run as root, every job of ours runs as our own OS user: ask for those only.
        22.05 ignores the filter with --json; later Slurms honour it, and on a busy
        cluster (a keyless kernel on a NERSC node) the whole queue is megabytes a tick."""
        return ["squeue", "--json"] + ([] if isolation_enabled() else [f"--user={_SLURM_USER}"])

    async def _query(self, argv: list[str]) -> str:
        code, out, err = await run_command(argv)
        if code != 0:
            raise SlurmCommandError(argv, code, err)
        return out

    @staticmethod
    def _owned_record(
        sj: SlurmJob, records: Mapping[int, JobRecord], arrays: Mapping[int, JobRecord]
    ) -> JobRecord | None:
        """The store's record for a Slurm job, a new one for a task of an owned array, or None.

        Slurm's submit time must fall in the window around our sbatch call, so a record left
        from before Slurm's job ids restarted never adopts someone else's job.
        """
        job = records.get(sj.jobid)
        if job is None and sj.array_job_id is not None and sj.array_job_id in arrays:
            parent = arrays[sj.array_job_id]
            job = dataclasses.replace(
                parent,
                jobid=sj.jobid,
                state="PENDING",
                cancelled_by=None,
                extra=dict(parent.extra),
            )
        if job is None:
            return None
        window = job.extra.get("submit_window")
        if (
            window
            and sj.submit_time
            and not (window[0] - SUBMIT_SLACK <= sj.submit_time <= window[1] + SUBMIT_SLACK)
        ):
            return None
        return job

    @staticmethod
    def _apply(job: JobRecord, sj: SlurmJob) -> None:
        """Copy what Slurm knows onto the record; the owner fields stay the facility's."""
        keep_stdout, keep_stderr = job.stdout, job.stderr
        for field in (
            *("name", "state", "reason", "partition", "qos", "constraint", "nodes", "cpus"),
            *("time_limit", "submit_time", "eligible_time", "start_time", "end_time"),
            *("exit_code", "signal", "nodelist", "work_dir", "dependency"),
            *("array_job_id", "array_task_id", "array_task_str"),
        ):
            setattr(job, field, getattr(sj, field))
        if sj.priority is not None:
            job.priority = sj.priority
        job.command = job.extra.get("command") or sj.command
        if sj.state == "CANCELLED":
            job.cancelled_by = job.extra.get("cancel_uid", sj.cancelled_by)
        else:
            job.cancelled_by = None
        if sj.stdout is not None:
            job.stdout, job.stderr = sj.stdout, sj.stderr or sj.stdout
        elif job.array_task_id is not None or not keep_stdout:
            SlurmBackend._fill_paths(job)  # sacct has no paths: expand what sbatch was told
        else:
            job.stdout, job.stderr = keep_stdout, keep_stderr

    @staticmethod
    def _fill_paths(job: JobRecord) -> None:
        """stdout/stderr from the patterns the script gave (or Slurm's defaults)."""
        extra: dict[str, Any] = job.extra
        paths = [
            output_path(
                pattern,
                work_dir=job.work_dir,
                jobid=job.jobid,
                array_job_id=job.array_job_id,
                array_task_id=job.array_task_id,
                name=job.name,
                # %u is the user Slurm runs the job as: the user's account, or ours
                user=extra.get("slurm_user", _SLURM_USER),
                nodename=None,
            )
            for pattern in (extra.get("stdout_pattern", ""), extra.get("stderr_pattern", ""))
        ]
        job.stdout = paths[0]
        job.stderr = paths[1] if extra.get("stderr_pattern") else paths[0]


def parse_squeue_or_raise(text: str) -> list[SlurmJob]:
    """:func:`parse_squeue_json`, failing as a Slurm command error the route can show."""
    try:
        return parse_squeue_json(text)
    except SlurmParseError as exc:
        raise SlurmCommandError(["squeue", "--json"], 0, f"unreadable output: {exc}") from None
