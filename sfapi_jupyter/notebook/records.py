"""The local record of jobs submitted from notebooks, kept across kernel restarts.

One SQLite file, ``jobs.sqlite`` under ``platformdirs.user_data_dir("sfapi-jupyter")`` (or
``$SFAPI_JUPYTER_DATA``), keyed by API URL, machine and job id. It keeps what the API
cannot tell later: the hash of the script text (``%%sfjob --once``), and the script's
``--output``/``--error`` patterns and work directory (``%sftail JOBID``). SQLite makes every
write atomic and lets several kernels share the file; each call opens its own connection, so
any thread may use it.

Examples
--------
>>> from sfapi_jupyter.notebook.records import job_records
>>> for rec in job_records().jobs("https://api.nersc.gov/api/v1.2", "perlmutter"):
...     print(rec.jobid, rec.name, rec.state)                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

#: The environment variable that moves the data directory (tests, shared setups).
ENV_DATA_DIR = "SFAPI_JUPYTER_DATA"
FILE_NAME = "jobs.sqlite"

_COLUMNS = (
    "api_url",
    "machine",
    "jobid",
    "name",
    "submitted",
    "script_hash",
    "output",
    "error",
    "job_name",
    "array",
    "chdir",
    "work_dir",
    "user",
    "state",
    "updated",
)
_TYPES = {"submitted": "REAL", "updated": "REAL"}
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS jobs (
    {", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in _COLUMNS)},
    PRIMARY KEY (api_url, machine, jobid)
)
"""


def data_dir() -> Path:
    """Where the record lives: ``$SFAPI_JUPYTER_DATA`` or the platform's user data dir."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("sfapi-jupyter"))


def script_hash(script: str, *, machine: str = "", args: list[str] | None = None) -> str:
    """A stable hash of a cell's script text, machine and arguments (for ``--once``)."""
    text = "\n".join(line.rstrip() for line in script.strip().splitlines())
    digest = hashlib.sha256()
    for part in (machine, text, "\0".join(args or [])):
        digest.update(part.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


@dataclass
class JobRecord:
    """One job as recorded when it was submitted (and last seen)."""

    api_url: str
    machine: str
    jobid: str
    name: str | None = None
    submitted: float = 0.0
    script_hash: str | None = None
    output: str | None = None
    error: str | None = None
    job_name: str | None = None
    array: str | None = None
    chdir: str | None = None
    work_dir: str | None = None
    user: str | None = None
    #: The last state seen (a ``JobState`` value), e.g. ``"COMPLETED"``.
    state: str | None = None
    updated: float = 0.0

    @property
    def is_terminal(self) -> bool:
        from ..client.models import JobState

        state, _ = JobState.parse(self.state or "")
        return state.is_terminal


class JobRecords:
    """The record file; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / FILE_NAME
        self._ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JobRecords({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as db, db:
                    db.execute(_SCHEMA)
                self._ready = True
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction: committed whole or not at all
                yield db
        finally:
            db.close()

    @staticmethod
    def _record(row: sqlite3.Row) -> JobRecord:
        return JobRecord(**{key: row[key] for key in row.keys()})  # noqa: SIM118

    def save(self, record: JobRecord) -> JobRecord:
        """Insert or replace ``record`` (stamped with the current time)."""
        record.updated = time.time()
        record.submitted = record.submitted or record.updated
        values = dataclasses.astuple(record)
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._connect() as db:
            db.execute(
                f"INSERT OR REPLACE INTO jobs ({', '.join(_COLUMNS)}) VALUES ({marks})", values
            )
        return record

    def get(self, api_url: str, machine: str, jobid: str | int) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM jobs WHERE api_url=? AND machine=? AND jobid=?",
                (api_url, machine, str(jobid)),
            ).fetchone()
        return self._record(row) if row else None

    def jobs(self, api_url: str, machine: str | None = None) -> list[JobRecord]:
        """Recorded jobs, newest first (all machines when ``machine`` is None)."""
        sql, params = "SELECT * FROM jobs WHERE api_url=?", [api_url]
        if machine is not None:
            sql, params = sql + " AND machine=?", [*params, machine]
        with self._connect() as db:
            rows = db.execute(sql + " ORDER BY submitted DESC", params).fetchall()
        return [self._record(r) for r in rows]

    def find_script(self, api_url: str, machine: str, digest: str) -> list[JobRecord]:
        """Jobs submitted with script hash ``digest``, newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE api_url=? AND machine=? AND script_hash=? "
                "ORDER BY submitted DESC",
                (api_url, machine, digest),
            ).fetchall()
        return [self._record(r) for r in rows]

    def set_state(
        self, api_url: str, machine: str, jobid: str | int, state: str, **more: Any
    ) -> None:
        """Remember the last state seen (and e.g. ``work_dir=``); unknown jobs are ignored."""
        fields = {"state": state, "updated": time.time(), **more}
        unknown = set(fields) - set(_COLUMNS)
        if unknown:
            raise TypeError(f"not a record field: {', '.join(sorted(unknown))}")
        assignments = ", ".join(f"{k}=?" for k in fields)
        with self._connect() as db:
            db.execute(
                f"UPDATE jobs SET {assignments} WHERE api_url=? AND machine=? AND jobid=?",
                (*fields.values(), api_url, machine, str(jobid)),
            )


_records: JobRecords | None = None


def job_records() -> JobRecords:
    """The process's record file (looked up again after :func:`forget_records`)."""
    global _records
    if _records is None or _records.path != data_dir() / FILE_NAME:
        _records = JobRecords()
    return _records


def forget_records() -> None:
    """Drop the cached :class:`JobRecords` (the file stays); the next use opens it again."""
    global _records
    _records = None


__all__ = ["JobRecord", "JobRecords", "data_dir", "forget_records", "job_records", "script_hash"]
