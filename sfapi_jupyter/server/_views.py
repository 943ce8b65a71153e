"""What each route answers, built from the client core through the shared cache.

Every answer is JSON of plain values. A job is the fields a panel shows (:func:`job_json`);
a view carries ``fetched_at`` (when the API gave the data) and ``stale`` (the API could not
be asked again: ``error`` says why).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from ..client import AuthenticationError, JobInfo, SfApiError
from ..client.models.status import Outage, Status
from ..client.resources.jobs import AsyncJob
from ..client.scripts import SbatchDirectives, default_output_path
from ..client.tail import read_since
from ._cache import SharedCache
from ._settings import SfApiServer
from ._upstream import Upstream


class NotHere(Exception):
    """A machine the panel does not list, or a job with no output file yet (HTTP 404)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware time (NERSC's times without a zone are UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _seconds(value: dt.timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def output_path(info: JobInfo) -> str | None:
    """Where Slurm writes the job's stdout by default (``slurm-%j.out`` in its work dir)."""
    if not info.work_dir:
        return None
    directives = SbatchDirectives(job_name=info.name, array=info.array_task_id)
    task_text = info.array_task_id or ""
    task = int(task_text) if task_text.isdigit() else None
    return default_output_path(
        directives,
        info.jobid,
        info.work_dir,
        user=info.user or "",
        array_job_id=info.array_job_id or info.jobid,
        array_task_id=task,
    )


def job_json(info: JobInfo) -> dict[str, Any]:
    return {
        "jobid": info.jobid,
        "name": info.name,
        "state": info.state.value,
        "terminal": info.is_terminal,
        "reason": info.reason if info.reason not in (None, "None", "(null)") else None,
        "exit_code": info.exit_code,
        "elapsed": _seconds(info.elapsed),
        "time_limit": _seconds(info.time_limit),
        "submit_time": _time(info.submit_time),
        "start_time": _time(info.start_time),
        "end_time": _time(info.end_time),
        "nodes": info.nodes,
        "partition": info.partition,
        "qos": info.qos,
        "work_dir": info.work_dir,
        "array_job_id": info.array_job_id,
        "array_task_id": info.array_task_id,
        "output": output_path(info),
    }


def outage_json(outage: Outage) -> dict[str, Any]:
    return {
        "name": outage.name,
        "start_at": _time(outage.start_at),
        "end_at": _time(outage.end_at),
        "description": outage.description,
        "status": outage.status,
    }


def _is_output(key: Any) -> bool:
    return isinstance(key, tuple) and key[:1] == ("output",)


def _active(jobs: list[JobInfo]) -> set[str]:
    return {j.jobid for j in jobs if not j.is_terminal}


def _signature(statuses: list[Status]) -> list[str]:
    return [f"{s.name} {s.status.value} {s.updated_at}" for s in statuses]


class Views:
    """The routes' data: one ``Upstream`` client, one ``SharedCache``, the admin's settings."""

    def __init__(self, settings: SfApiServer, upstream: Upstream) -> None:
        self.settings = settings
        self.upstream = upstream
        self.cache = SharedCache()

    def check_machine(self, machine: str) -> None:
        if machine not in self.settings.machines:
            known = ", ".join(self.settings.machines)
            raise NotHere(f"No machine {machine!r} here; the panel's machines are: {known}")

    # -- status -------------------------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        """Every resource's status (``GET /status``), and its current and planned outages
        (read every ``outage_interval``, and when a status changed)."""
        client = self.upstream.client()
        before = self.cache.peek("status")
        answer = await self.cache.get("status", client.status, self.settings.min_interval)
        if before is not None and _signature(answer.value) != _signature(before):
            self.cache.forget("outages")  # a status changed: an outage may have begun or ended

        async def outages() -> list[Outage]:
            current, planned = await asyncio.gather(client.outages(), client.planned_outages())
            # /status/outages also lists outages long over: the panel says what is down now or
            # will be, soonest first (a user read "Nov 7" under "Outages" on Dec 7 as current).
            now = dt.datetime.now(dt.timezone.utc)
            upcoming = [o for o in (*current, *planned) if o.end_at is None or _utc(o.end_at) > now]
            never = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
            return sorted(upcoming, key=lambda o: _utc(o.start_at) if o.start_at else never)

        try:
            found = await self.cache.get("outages", outages, self.settings.outage_interval)
            outage_rows, outage_meta = [outage_json(o) for o in found.value], found.meta()
        except SfApiError as exc:  # the statuses are worth showing without the outages
            outage_rows, outage_meta = [], {"error": exc.message}
        return {
            **answer.meta(),
            "resources": [
                {
                    "name": s.name,
                    "full_name": s.full_name,
                    "status": s.status.value,
                    "description": s.description,
                    "notes": list(s.notes),
                    "updated_at": _time(s.updated_at),
                }
                for s in answer.value
            ],
            "outages": outage_rows,
            "outages_meta": outage_meta,
            "interval": self.settings.min_interval,
        }

    # -- jobs ---------------------------------------------------------------------------------
    async def _user(self) -> str:
        return (await self.upstream.client(need_key=True).whoami()).name

    async def _queue(self, machine: str) -> list[JobInfo]:
        user = await self._user()
        rows = await self.upstream.client().compute(machine).fetch_rows(user=user)
        jobs = [JobInfo.from_row(r) for r in rows]
        before = self.cache.peek(("queue", self.upstream.who(), machine))
        if before is not None and _active(before) - _active(jobs):
            # a job has ended (left the queue, or is listed as ended): read its final state
            self.cache.forget(("recent", self.upstream.who(), machine))
        return jobs

    async def _recent(self, machine: str) -> list[JobInfo]:
        user = await self._user()
        rows = await self.upstream.client().compute(machine).fetch_rows(user=user, sacct=True)
        ended = [i for i in map(JobInfo.from_row, rows) if i.is_terminal]
        ended.sort(key=lambda i: i.end_time or dt.datetime.min, reverse=True)
        return ended[: self.settings.recent_limit]

    async def machine_jobs(self, machine: str) -> dict[str, Any]:
        """One machine's queue (squeue, every ``min_interval``) and recently finished jobs
        (sacct, every ``recent_interval`` and when a job has left the queue)."""
        who = self.upstream.who()
        queue = await self.cache.get(
            ("queue", who, machine), lambda: self._queue(machine), self.settings.min_interval
        )
        recent = await self.cache.get(
            ("recent", who, machine), lambda: self._recent(machine), self.settings.recent_interval
        )
        queued = [i for i in queue.value if not i.is_terminal]
        queued_ids = {i.jobid for i in queued}
        shown = queued_ids | {i.jobid for i in recent.value}
        # squeue lists an ended job for a while: shown as ended until sacct has it
        ending = [i for i in queue.value if i.is_terminal and i.jobid not in shown]
        ended = [*ending, *(i for i in recent.value if i.jobid not in queued_ids)]
        return {
            "machine": machine,
            **queue.meta(),
            "jobs": [job_json(i) for i in queued],
            "recent": [job_json(i) for i in ended],
            "recent_meta": recent.meta(),
        }

    async def jobs(self, machines: list[str]) -> dict[str, Any]:
        """Every machine's jobs; without a usable key, the key state and what to do."""
        state, message = self.upstream.key_state()
        body: dict[str, Any] = {"key": state, "message": message, "machines": []}
        body["interval"] = self.settings.min_interval
        if state in ("missing", "unusable"):
            return body
        for machine in machines:
            try:
                body["machines"].append(await self.machine_jobs(machine))
            except AuthenticationError as exc:
                body["key"], body["message"] = "refused", exc.message
                break
            except SfApiError as exc:
                failed = {"machine": machine, "error": exc.message, "stale": True}
                body["machines"].append({**failed, "fetched_at": None, "jobs": [], "recent": []})
        return body

    # -- one job ------------------------------------------------------------------------------
    async def _info(self, machine: str, jobid: str) -> JobInfo:
        who = self.upstream.who()
        for kind in ("queue", "recent"):
            for info in self.cache.peek((kind, who, machine)) or []:
                if info.jobid == jobid:
                    return info
        job = await self.upstream.client(need_key=True).compute(machine).job(jobid)
        assert job.info is not None  # job() raised NotFoundError otherwise
        return job.info

    async def output(
        self, machine: str, jobid: str, offset: int, inode: int | None, path: str | None
    ) -> dict[str, Any]:
        """The job's output after byte ``offset`` (only the new bytes cross the API)."""
        if path is None:
            path = output_path(await self._info(machine, jobid))
            if path is None:
                raise NotHere(f"Job {jobid} has no work directory yet, so no output file")
        remote = self.upstream.client(need_key=True).compute(machine)
        key = ("output", self.upstream.who(), machine, path, offset, inode)
        answer = await self.cache.get(
            key, lambda: read_since(remote, path, offset, inode), self.settings.output_interval
        )
        read = answer.value
        # each offset is a key of its own, asked once or twice: forget the old ones
        self.cache.prune(_is_output, 60.0)
        return {
            **answer.meta(),
            "machine": machine,
            "jobid": jobid,
            "path": path,
            "text": read.text,
            "offset": read.offset,
            "inode": read.inode,
            "size": read.size,
            "reset": read.reset,
            "missing": read.missing,
            "more": read.more,
        }

    async def cancel(self, machine: str, jobid: str) -> dict[str, Any]:
        """``scancel`` the job; the next look at the queue asks the API again."""
        remote = self.upstream.client(need_key=True).compute(machine)
        await AsyncJob(remote, jobid).cancel()
        who = self.upstream.who()
        self.cache.forget(("queue", who, machine))
        self.cache.forget(("recent", who, machine))
        return {"machine": machine, "jobid": jobid, "cancelled": True}


JOBID = re.compile(r"\d+(?:_\d+)?")
