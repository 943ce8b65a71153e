"""The SF API's submit callbacks: ``callbackUrl`` gets one POST when the job ends (its id,
final state and exit code, as JSON), ``callbackEmail`` one message written to the outbox
directory (``state_dir/private/outbox``), ``callbackTimeout`` bounds the POST in seconds.

NERSC documents the fields, not their semantics (docs/job-cost.md says what we chose). The
pending callbacks live in the store, so each is sent once even across a restart. A URL that
refuses is tried :data:`MAX_ATTEMPTS` times with growing waits, then given up and logged;
nothing here blocks the scheduler or raises into it. Not a way in: http/https only, no
redirects followed, loopback/private/link-local addresses refused (unless the config allows
them), a bounded timeout, at most :data:`MAX_RESPONSE_BYTES` of the answer read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import socket
import time
import uuid
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from .models import JobQuery, JobRecord

if TYPE_CHECKING:
    from .core import Facility

log = logging.getLogger("sfapi_jupyter.facility.callbacks")

#: Tries of one callback before it is given up (logged): a URL that refuses costs a bounded
#: number of requests, and never holds anything else up.
MAX_ATTEMPTS = 5
#: Seconds of a POST when the submit gave no ``callbackTimeout``; and the most it may give.
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 60.0
MAX_RESPONSE_BYTES = 64 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, machine TEXT NOT NULL, jobid INTEGER NOT NULL,
    kind TEXT NOT NULL, target TEXT NOT NULL, timeout REAL, attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending', error TEXT);
CREATE INDEX IF NOT EXISTS callbacks_pending ON callbacks(state, next_try);
"""


class CallbackError(ValueError):
    """A callback field the facility will not act on; the message says why."""


def check_url(url: str, private_ok: bool) -> str:
    """The URL if the facility may POST to it; else :class:`CallbackError`. A host name is
    resolved again before each POST (:func:`_refused_address`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackError(f"callbackUrl must be an http:// or https:// URL, not {url!r}")
    if len(url) > 2048:
        raise CallbackError("callbackUrl is longer than 2048 characters")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:  # a host name: checked as it resolves, before each POST
        return url
    if not private_ok and not literal.is_global:
        raise CallbackError(
            f"callbackUrl may not point at {parts.hostname}: it is not a public address; "
            "give a URL of a server reachable from the internet"
        )
    return url


def check_email(address: str) -> str:
    if "@" not in address or len(address) > 254 or any(c in address for c in "\r\n<>,; "):
        raise CallbackError(f"callbackEmail must be one e-mail address, not {address!r}")
    return address


def _refused_address(host: str, port: int) -> str | None:
    """Why ``host`` may not be called (it resolves to a non-public address), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host}: {exc.strerror or exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{host} resolves to {address}, which is not a public address"
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time (callbackTimeout)"
    return str(exc) or type(exc).__name__


class Callbacks:
    """The facility's pending callbacks and the loop that sends them."""

    def __init__(self, facility: Facility) -> None:
        self.facility = facility
        self.store = facility.store
        #: Callbacks being sent now (by id): a slow URL is not sent to twice.
        self._in_flight: set[int] = set()
        #: Their tasks (a reference kept until each ends).
        self._sending: set[asyncio.Task[None]] = set()
        with self.store._lock:
            self.store._db.executescript(SCHEMA)

    def add(
        self, job: JobRecord, url: str | None, email: str | None, timeout: float | None
    ) -> None:
        """Remember the callbacks of a job just submitted."""
        for kind, target in (("url", url), ("email", email)):
            if target:
                self.store._run(
                    "INSERT INTO callbacks(machine, jobid, kind, target, timeout) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (job.machine, job.jobid, kind, target, timeout),
                )

    def pending(self) -> list[dict[str, Any]]:
        rows = self.store._all(
            "SELECT * FROM callbacks WHERE state='pending' AND next_try<=? ORDER BY id",
            (time.time(),),
        )
        return [dict(r) for r in rows]

    async def run(self) -> None:
        """Send what is due, for ever (a failure is logged, never raised)."""
        while True:
            try:
                await self.send_due()
            except Exception:
                log.exception("callbacks: a pass failed; trying again")
            await asyncio.sleep(self.facility.config.callback_interval)

    async def send_due(self) -> None:
        due = self.pending()
        by_machine: dict[str, set[int]] = {}
        for row in due:
            by_machine.setdefault(row["machine"], set()).add(row["jobid"])
        ended: dict[tuple[str, int], list[JobRecord]] = {}
        for machine, ids in by_machine.items():
            query = JobQuery(jobids=frozenset(ids), include_finished=True)
            for job in await self.facility.backend.jobs(machine, query):
                key = (machine, job.array_job_id if job.array_job_id in ids else job.jobid)
                ended.setdefault(key, []).append(job)
        for row in due:
            jobs = ended.get((row["machine"], row["jobid"]), [])
            if jobs and all(j.is_terminal for j in jobs) and row["id"] not in self._in_flight:
                self._in_flight.add(row["id"])
                task = asyncio.get_running_loop().create_task(self._deliver(row, jobs))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    async def _deliver(self, row: dict[str, Any], jobs: list[JobRecord]) -> None:
        try:
            await self._deliver_once(row, jobs)
        finally:
            self._in_flight.discard(row["id"])

    async def _deliver_once(self, row: dict[str, Any], jobs: list[JobRecord]) -> None:
        job = min(jobs, key=lambda j: j.jobid)
        failed = [j for j in jobs if j.state != "COMPLETED"]
        final = (failed[0] if failed else job).display_state
        event = {
            "jobid": str(row["jobid"]),
            "machine": row["machine"],
            "state": final,
            "name": job.name,
            "exitcode": f"{job.exit_code}:{job.signal}",
        }
        try:
            if row["kind"] == "email":
                await asyncio.to_thread(self._write_mail, row["target"], event)
            else:
                await self._post(row["target"], row["timeout"], event)
        except Exception as exc:  # refused, unreachable, a bad answer: retry, then give up
            attempts = row["attempts"] + 1
            give_up = attempts >= MAX_ATTEMPTS
            log.warning(
                "callback for job %s to %s failed (attempt %d of %d%s): %s",
                row["jobid"],
                row["target"],
                attempts,
                MAX_ATTEMPTS,
                "; given up" if give_up else "; will try again",
                _reason(exc),
            )
            self.store._run(
                "UPDATE callbacks SET attempts=?, next_try=?, state=?, error=? WHERE id=?",
                (
                    attempts,
                    time.time() + self.facility.config.callback_retry_base * 2**attempts,
                    "failed" if give_up else "pending",
                    _reason(exc)[:500],
                    row["id"],
                ),
            )
            return
        self.store._run("UPDATE callbacks SET state='done', error=NULL WHERE id=?", (row["id"],))

    async def _post(self, url: str, timeout: float | None, event: dict[str, str]) -> None:
        check_url(url, self.facility.config.callback_private_ok)
        parts = urlsplit(url)
        if not self.facility.config.callback_private_ok:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            why = await asyncio.to_thread(_refused_address, parts.hostname or "", port)
            if why:
                raise CallbackError(why)
        seconds = min(float(timeout or DEFAULT_TIMEOUT), MAX_TIMEOUT)
        async with (
            httpx.AsyncClient(follow_redirects=False, timeout=seconds, trust_env=False) as http,
            http.stream("POST", url, json=event) as response,
        ):
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES:
                    break
            if not 200 <= response.status_code < 300:
                raise CallbackError(f"{url} answered HTTP {response.status_code}")

    def _write_mail(self, address: str, event: dict[str, str]) -> None:
        message = EmailMessage()
        message["To"] = address
        message["From"] = "Superfacility API <noreply@localhost>"
        message["Subject"] = f"Job {event['jobid']} ({event['name']}) ended {event['state']}"
        message.set_content(json.dumps(event, indent=2) + "\n")
        outbox = self.facility.config.outbox
        outbox.mkdir(parents=True, exist_ok=True)
        name = f"job{event['jobid']}-{uuid.uuid4().hex[:8]}.eml"
        partial = outbox / f".{name}.part"
        partial.write_bytes(bytes(message))
        os.replace(partial, outbox / name)  # whole or not at all
