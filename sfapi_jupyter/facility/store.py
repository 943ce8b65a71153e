"""The facility's state: one SQLite database in the state directory.

Every table is small and every call is short, so one connection behind a lock is enough;
WAL mode lets the admin CLI change status or revoke a client while a server is running, and
commits do not wait for the disk (``synchronous=NORMAL``).
Rows that the API returns as objects are kept as JSON documents beside the columns we
query on.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .store_jobs import JobTable, migrate_jobs

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, uid INTEGER UNIQUE NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    repo_name TEXT PRIMARY KEY, id INTEGER UNIQUE NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    repo_name TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (repo_name, user));
CREATE TABLE IF NOT EXISTS groups (
    name TEXT PRIMARY KEY, gid INTEGER UNIQUE NOT NULL, repo_name TEXT, owner TEXT);
CREATE TABLE IF NOT EXISTS group_members (
    group_name TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (group_name, user));
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, user TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_jti (
    jti TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS used_jti_expires ON used_jti(expires);
CREATE TABLE IF NOT EXISTS resources (
    name TEXT PRIMARY KEY, position INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changelog (
    id INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT NOT NULL, change TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, status TEXT NOT NULL, result TEXT,
    kind TEXT NOT NULL, created REAL NOT NULL, finished REAL);
CREATE INDEX IF NOT EXISTS tasks_by_user ON tasks(user, created);
CREATE TABLE IF NOT EXISTS transfers (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, doc TEXT NOT NULL);
"""


class Store(JobTable):
    """Thread-safe access to the facility database (the jobs table: :mod:`.store_jobs`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL stays consistent after any crash and is durable across
        # a crash of the facility; only a power loss can drop the last commits. FULL fsyncs
        # on every commit (~8 ms here), blocking the event loop: a submit commits ~7 times.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with contextlib.suppress(sqlite3.OperationalError):  # a database from before expiry
            self._db.execute("ALTER TABLE tasks ADD COLUMN finished REAL")
        self._db.executescript(SCHEMA)
        migrate_jobs(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- plumbing -----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, tuple(params)))

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._lock:
            cur = self._db.execute(sql, tuple(params))
            return cur.lastrowid or 0

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key=?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def next_counter(self, key: str, start: int, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers of counter ``key``; return the first."""
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            first = int(row["value"]) if row else start
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(first + count))
            )
        return first

    # -- users, projects, groups ------------------------------------------------------------
    def put_user(self, name: str, uid: int, doc: dict[str, Any]) -> None:
        self._run(
            "INSERT OR REPLACE INTO users(name, uid, doc) VALUES (?, ?, ?)",
            (name, uid, json.dumps(doc)),
        )

    def get_user(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM users WHERE name=?", (name,))
        return json.loads(row["doc"]) if row else None

    def get_user_by_uid(self, uid: int) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM users WHERE uid=?", (uid,))
        return json.loads(row["doc"]) if row else None

    def list_users(self) -> list[dict[str, Any]]:
        return [json.loads(r["doc"]) for r in self._all("SELECT doc FROM users ORDER BY uid")]

    def put_project(self, repo_name: str, project_id: int, doc: dict[str, Any]) -> None:
        self._run(
            "INSERT OR REPLACE INTO projects(repo_name, id, doc) VALUES (?, ?, ?)",
            (repo_name, project_id, json.dumps(doc)),
        )

    def get_project(self, repo_name: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM projects WHERE repo_name=?", (repo_name,))
        return json.loads(row["doc"]) if row else None

    def add_membership(self, repo_name: str, user: str, role: str) -> None:
        self._run(
            "INSERT OR REPLACE INTO memberships(repo_name, user, role) VALUES (?, ?, ?)",
            (repo_name, user, role),
        )

    def memberships(self, user: str) -> list[tuple[dict[str, Any], str]]:
        rows = self._all(
            "SELECT p.doc, m.role FROM memberships m JOIN projects p USING (repo_name) "
            "WHERE m.user=? ORDER BY p.id",
            (user,),
        )
        return [(json.loads(r["doc"]), r["role"]) for r in rows]

    def put_group(self, name: str, gid: int, repo_name: str | None, owner: str | None) -> None:
        self._run(
            "INSERT INTO groups(name, gid, repo_name, owner) VALUES (?, ?, ?, ?)",
            (name, gid, repo_name, owner),
        )

    def set_group_gid(self, name: str, gid: int) -> None:
        self._run("UPDATE groups SET gid=? WHERE name=?", (gid, name))

    def all_gids(self) -> set[int]:
        return {int(r["gid"]) for r in self._all("SELECT gid FROM groups")}

    def get_group(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM groups WHERE name=?", (name,))
        if row is None:
            return None
        members = [
            r["user"]
            for r in self._all(
                "SELECT user FROM group_members WHERE group_name=? ORDER BY user", (name,)
            )
        ]
        return {**dict(row), "members": members}

    def groups_of(self, user: str) -> list[str]:
        rows = self._all(
            "SELECT g.name FROM groups g JOIN group_members m ON m.group_name=g.name "
            "WHERE m.user=? ORDER BY g.gid",
            (user,),
        )
        return [r["name"] for r in rows]

    def set_group_member(self, group: str, user: str, member: bool) -> None:
        if member:
            self._run(
                "INSERT OR IGNORE INTO group_members(group_name, user) VALUES (?, ?)",
                (group, user),
            )
        else:
            self._run("DELETE FROM group_members WHERE group_name=? AND user=?", (group, user))

    # -- API clients ----------------------------------------------------------------------
    def put_client(self, client_id: str, user: str, doc: dict[str, Any]) -> None:
        self._run(
            "INSERT OR REPLACE INTO clients(client_id, user, doc) VALUES (?, ?, ?)",
            (client_id, user, json.dumps(doc)),
        )

    def get_client(self, client_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM clients WHERE client_id=?", (client_id,))
        return json.loads(row["doc"]) if row else None

    def list_clients(self, user: str | None = None) -> list[dict[str, Any]]:
        if user is None:
            rows = self._all("SELECT doc FROM clients ORDER BY rowid")
        else:
            rows = self._all("SELECT doc FROM clients WHERE user=? ORDER BY rowid", (user,))
        return [json.loads(r["doc"]) for r in rows]

    def use_jti(self, jti: str, expires: float) -> bool:
        """Record an assertion id; False if it was seen before (a replay)."""
        now = time.time()
        with self.transaction() as db:
            # by the index on expires: a token costs the ids that expired, not all kept
            db.execute("DELETE FROM used_jti WHERE expires < ?", (now,))
            try:
                db.execute("INSERT INTO used_jti(jti, expires) VALUES (?, ?)", (jti, expires))
            except sqlite3.IntegrityError:
                return False
        return True

    # -- status, outages, notes, meta -------------------------------------------------------
    def put_resource(self, name: str, doc: dict[str, Any], position: int | None = None) -> None:
        with self.transaction() as db:
            row = db.execute("SELECT position FROM resources WHERE name=?", (name,)).fetchone()
            if position is None:
                if row is not None:
                    position = int(row["position"])
                else:
                    top = db.execute("SELECT MAX(position) AS m FROM resources").fetchone()
                    position = (top["m"] or 0) + 1
            db.execute(
                "INSERT OR REPLACE INTO resources(name, position, doc) VALUES (?, ?, ?)",
                (name, position, json.dumps(doc)),
            )

    def get_resource(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM resources WHERE name=?", (name,))
        return json.loads(row["doc"]) if row else None

    def list_resources(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["doc"]) for r in self._all("SELECT doc FROM resources ORDER BY position")
        ]

    def add_outage(self, doc: dict[str, Any]) -> int:
        return self._run(
            "INSERT INTO outages(name, doc) VALUES (?, ?)", (doc["name"], json.dumps(doc))
        )

    def remove_outage(self, outage_id: int) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM outages WHERE id=?", (outage_id,))
            return cur.rowcount > 0

    def list_outages(self, name: str | None = None) -> list[tuple[int, dict[str, Any]]]:
        if name is None:
            rows = self._all("SELECT id, doc FROM outages ORDER BY id")
        else:
            rows = self._all("SELECT id, doc FROM outages WHERE name=? ORDER BY id", (name,))
        return [(r["id"], json.loads(r["doc"])) for r in rows]

    def add_note(self, doc: dict[str, Any]) -> int:
        return self._run(
            "INSERT INTO notes(name, doc) VALUES (?, ?)", (doc["name"], json.dumps(doc))
        )

    def list_notes(self, name: str | None = None) -> list[dict[str, Any]]:
        if name is None:
            rows = self._all("SELECT doc FROM notes ORDER BY id")
        else:
            rows = self._all("SELECT doc FROM notes WHERE name=? ORDER BY id", (name,))
        return [json.loads(r["doc"]) for r in rows]

    def add_changelog(self, date: str, change: str) -> None:
        self._run("INSERT INTO changelog(date, change) VALUES (?, ?)", (date, change))

    def list_changelog(self) -> list[dict[str, str]]:
        rows = self._all("SELECT date, change FROM changelog ORDER BY date DESC, id DESC")
        return [{"date": r["date"], "change": r["change"]} for r in rows]

    def set_config(self, key: str, value: str | None) -> None:
        self._run("INSERT OR REPLACE INTO config(key, value) VALUES (?, ?)", (key, value))

    def list_config(self) -> list[dict[str, str | None]]:
        return [
            {"key": r["key"], "value": r["value"]}
            for r in self._all("SELECT key, value FROM config ORDER BY key")
        ]

    # -- jobs (the rest: JobTable) -----------------------------------------------------
    def next_job_id(self, count: int = 1) -> int:
        """Reserve ``count`` consecutive job ids; return the first."""
        return self.next_counter("next_job_id", 1000001, count)

    # -- tasks --------------------------------------------------------------------------------
    def put_task(self, task_id: str, user: str, status: str, result: str | None, kind: str) -> None:
        now = time.time()
        self._run(
            "INSERT OR REPLACE INTO tasks(id, user, status, result, kind, created, finished) "
            "VALUES (?, ?, ?, ?, ?, COALESCE((SELECT created FROM tasks WHERE id=?), ?), ?)",
            (task_id, user, status, result, kind, task_id, now, None if status == "new" else now),
        )

    def get_task(self, task_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM tasks WHERE id=?", (task_id,))
        return dict(row) if row else None

    def list_tasks(self, user: str) -> list[dict[str, Any]]:
        return [
            dict(r) for r in self._all("SELECT * FROM tasks WHERE user=? ORDER BY created", (user,))
        ]

    # -- transfers ----------------------------------------------------------------------------
    def put_transfer(self, transfer_id: str, user: str, doc: dict[str, Any]) -> None:
        self._run(
            "INSERT OR REPLACE INTO transfers(id, user, doc) VALUES (?, ?, ?)",
            (transfer_id, user, json.dumps(doc)),
        )

    def list_transfers(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, user, doc) of every transfer."""
        rows = self._all("SELECT id, user, doc FROM transfers ORDER BY rowid")
        return [(r["id"], r["user"], json.loads(r["doc"])) for r in rows]

    def get_transfer(self, transfer_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT user, doc FROM transfers WHERE id=?", (transfer_id,))
        return {**json.loads(row["doc"]), "_user": row["user"]} if row else None
