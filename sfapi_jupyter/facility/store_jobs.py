"""The jobs table of the facility's database: records, the SQL that selects them, and usage.

A facility keeps every job it ever ran, so nothing a request does may grow with that number.
The columns every listing filters on (user, state, qos, …) sit beside the JSON document, each
listing is one indexed ``SELECT`` with its paging in ``LIMIT``/``OFFSET``, the queue (jobs not
finished) has an index of its own, and node-hours used are summed as jobs finish instead of
over all jobs on every ``/account/projects``.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from .models import TERMINAL_STATES, JobQuery, JobRecord

JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    machine TEXT NOT NULL, jobid INTEGER NOT NULL, user TEXT NOT NULL, state TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (machine, jobid));
CREATE TABLE IF NOT EXISTS usage (
    account TEXT NOT NULL, arch TEXT NOT NULL, node_hours REAL NOT NULL,
    PRIMARY KEY (account, arch));
"""

#: Columns added to the first schema's jobs table, with how to fill them from ``doc``.
_COLUMNS = {
    "finished": ("INTEGER NOT NULL DEFAULT 0", None),
    "array_job_id": ("INTEGER", "$.array_job_id"),
    "qos": ("TEXT NOT NULL DEFAULT ''", "$.qos"),
    "partition": ("TEXT NOT NULL DEFAULT ''", "$.partition"),
    "name": ("TEXT NOT NULL DEFAULT ''", "$.name"),
    "account": ("TEXT NOT NULL DEFAULT ''", "$.account"),
}

_INDEXES = """
CREATE INDEX IF NOT EXISTS jobs_live ON jobs(machine, finished, jobid);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(machine, finished, user, jobid);
CREATE INDEX IF NOT EXISTS jobs_user ON jobs(machine, user, jobid);
CREATE INDEX IF NOT EXISTS jobs_array ON jobs(array_job_id, machine);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, machine, jobid);
"""

_TERMINAL = ",".join(f"'{state}'" for state in sorted(TERMINAL_STATES))
#: Job ids asked for in one statement at most (SQLite bounds a statement's parameters;
#: a user may ask for any number of ids, as squeue allows, so longer lists go in slices).
_IDS_PER_SELECT = 2000
_INSERT = (
    "INSERT OR REPLACE INTO jobs(machine, jobid, user, state, doc, finished, array_job_id, "
    "qos, partition, name, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: The largest integer SQLite stores.
_SQLITE_MAX = 2**63 - 1


def architecture(constraint: str | None) -> str:
    """``cpu`` or ``gpu``; Perlmutter's GPU constraints are gpu, gpu&hbm40g and gpu&hbm80g."""
    return "gpu" if (constraint or "").startswith("gpu") else "cpu"


def node_hours(job: JobRecord) -> float:
    """What a job charged: its run time in hours times its nodes (0 if it never started)."""
    if job.start_time is None:
        return 0.0
    end = job.end_time or job.start_time
    return (end - job.start_time) / 3600.0 * job.nodes


def _row(job: JobRecord) -> tuple[Any, ...]:
    return (
        job.machine,
        job.jobid,
        job.user,
        job.state,
        json.dumps(job.to_json()),
        int(job.is_terminal),
        job.array_job_id,
        job.qos,
        job.partition,
        job.name,
        job.account,
    )


def migrate_jobs(db: sqlite3.Connection) -> None:
    """Bring a jobs table of any earlier schema up to this one (columns, indexes, usage)."""
    db.executescript(JOBS_SCHEMA)
    # Looked at inside the write lock: an admin command and a server starting together on
    # an old database must not both add the columns.
    db.execute("BEGIN IMMEDIATE")
    present = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    missing = [name for name in _COLUMNS if name not in present]
    if not missing:
        db.execute("COMMIT")
    else:
        for name in missing:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {_COLUMNS[name][0]}")
        fills = [f"finished=(state IN ({_TERMINAL}))"]
        for name in missing:
            path = _COLUMNS[name][1]
            if path is not None:
                value = f"json_extract(doc, '{path}')"
                fills.append(
                    f"{name}={value}" if name == "array_job_id" else f"{name}=COALESCE({value}, '')"
                )
        db.execute(f"UPDATE jobs SET {', '.join(fills)}")
        # Usage so far, once: from here on it grows as each job finishes.
        db.execute("DELETE FROM usage")
        for (doc,) in db.execute("SELECT doc FROM jobs WHERE finished=1").fetchall():
            job = JobRecord.from_json(json.loads(doc))
            _add_usage(db, job)
        db.execute("COMMIT")
    db.executescript(_INDEXES)


def _add_usage(db: sqlite3.Connection, job: JobRecord) -> None:
    hours = node_hours(job)
    if hours:
        db.execute(
            "INSERT INTO usage(account, arch, node_hours) VALUES (?, ?, ?) ON CONFLICT"
            "(account, arch) DO UPDATE SET node_hours = node_hours + excluded.node_hours",
            (job.account, architecture(job.constraint), hours),
        )


def _marks(values: Iterable[Any], params: list[Any]) -> str:
    items = sorted(values)
    params.extend(items)
    return f"({','.join('?' * len(items))})"


def _select(machine: str | None, query: JobQuery) -> tuple[str, list[Any]]:
    """``SELECT doc, jobid`` of ``query`` (and its parameters), each branch on an index.

    A job id asks for the job or, if it names an array, its tasks: two index look-ups joined
    by UNION, since SQLite answers ``jobid IN … OR array_job_id IN …`` with a scan.
    """
    where, params = [], list[Any]()
    if machine is not None:
        where.append("machine=?")
        params.append(machine)
    if not query.include_finished:
        where.append("finished=0")
    for column, values in (
        ("user", query.users),
        ("qos", query.qos),
        ("partition", query.partitions),
        ("state", query.states),
        ("name", query.names),
        ("account", query.accounts),
    ):
        if values is not None:
            where.append(f"{column} IN {_marks(values, params)}")
    common = " AND ".join(where) or "1=1"
    if query.jobids is None:
        table = "jobs"
        if query.users is not None and machine is not None:
            # one user's jobs, or queue, whatever SQLite guesses about several user names
            table += " INDEXED BY " + ("jobs_user" if query.include_finished else "jobs_queue")
        return f"SELECT doc, jobid FROM {table} WHERE {common}", params
    sqls, all_params = [], list[Any]()
    # Without statistics SQLite would walk the machine's whole key to merge the branches
    # in order; the array branch is told its index (the answer is small and sorted after).
    for column, table in (("jobid", "jobs"), ("array_job_id", "jobs INDEXED BY jobs_array")):
        branch = list(params)
        sqls.append(
            f"SELECT doc, jobid FROM {table} WHERE {common} "
            f"AND {column} IN {_marks(query.jobids, branch)}"
        )
        all_params += branch
    return " UNION ".join(sqls), all_params


class JobTable:
    """The job methods of :class:`~.store.Store` (which supplies the connection and lock)."""

    _db: sqlite3.Connection
    _lock: threading.RLock

    def _write_jobs(self, jobs: Iterable[JobRecord]) -> None:
        """Write records in one transaction, charging each job's node-hours as it finishes."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for job in jobs:
                    if job.is_terminal:
                        before = self._db.execute(
                            "SELECT finished FROM jobs WHERE machine=? AND jobid=?",
                            (job.machine, job.jobid),
                        ).fetchone()
                        if before is None or not before[0]:
                            _add_usage(self._db, job)
                    self._db.execute(_INSERT, _row(job))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def save_job(self, job: JobRecord) -> None:
        self._write_jobs([job])

    def save_jobs(self, jobs: Iterable[JobRecord]) -> None:
        self._write_jobs(jobs)

    def get_job(self, machine: str, jobid: int) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM jobs WHERE machine=? AND jobid=?", (machine, jobid)
            ).fetchone()
        return JobRecord.from_json(json.loads(row[0])) if row else None

    def select_jobs(self, machine: str | None, query: JobQuery) -> list[JobRecord]:
        """The records ``query`` asks for, by job id, paged in SQL (``offset``, ``limit``)."""
        ids = sorted(query.jobids) if query.jobids is not None else []
        if len(ids) > _IDS_PER_SELECT:
            found: dict[int, JobRecord] = {}
            for start in range(0, len(ids), _IDS_PER_SELECT):
                part = dataclasses.replace(
                    query,
                    jobids=frozenset(ids[start : start + _IDS_PER_SELECT]),
                    offset=0,
                    limit=None,
                )
                found.update((job.jobid, job) for job in self.select_jobs(machine, part))
            ordered = [found[k] for k in sorted(found)][max(query.offset, 0) :]
            return ordered if query.limit is None else ordered[: max(query.limit, 0)]
        sql, params = _select(machine, query)
        sql += " ORDER BY jobid"
        if query.limit is not None or query.offset:
            sql += " LIMIT ? OFFSET ?"
            # SQLite's integers are 64-bit: a larger index or limit (the API takes any int)
            # means "past the end" or "all", which these say without overflowing.
            params += [
                -1 if query.limit is None else min(max(query.limit, 0), _SQLITE_MAX),
                min(max(query.offset, 0), _SQLITE_MAX),
            ]
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [JobRecord.from_json(json.loads(r[0])) for r in rows]

    def load_jobs(
        self,
        machine: str | None = None,
        states: Iterable[str] | None = None,
        jobids: Iterable[int] | None = None,
    ) -> list[JobRecord]:
        """Jobs, optionally of one machine, in ``states``, or with (array) ids in ``jobids``."""
        query = JobQuery(
            jobids=None if jobids is None else frozenset(int(j) for j in jobids),
            states=None if states is None else frozenset(states),
            include_finished=True,
        )
        return self.select_jobs(machine, query)

    def live_jobs(self, machine: str) -> list[JobRecord]:
        """The jobs of ``machine`` not finished yet (the queue), from the queue's index."""
        return self.select_jobs(machine, JobQuery())

    def node_hours_used(self, accounts: Iterable[str]) -> dict[tuple[str, str], float]:
        """Node-hours finished jobs charged, by (account, ``cpu``/``gpu``)."""
        names = sorted(set(accounts))
        with self._lock:
            rows = self._db.execute(
                f"SELECT account, arch, node_hours FROM usage "
                f"WHERE account IN ({','.join('?' * len(names))})",
                names,
            ).fetchall()
        return {(r[0], r[1]): float(r[2]) for r in rows}
