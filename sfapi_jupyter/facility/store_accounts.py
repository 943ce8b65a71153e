"""The account tables of the facility's database: users, projects, groups, API clients, and
what the facility made on the host. A mixin of :class:`.store.Store`, which owns the
connection and the schema.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any


class AccountTables:
    """Users, projects, memberships, groups, clients and the host's accounts made."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        raise NotImplementedError

    def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        raise NotImplementedError

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

    def delete_group(self, name: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM group_members WHERE group_name=?", (name,))
            db.execute("DELETE FROM groups WHERE name=?", (name,))

    def name_in_use(self, name: str) -> str | None:
        """What ``name`` already names among users, projects and groups (one namespace, as
        on Unix, where every user has a group of their own name), or None."""
        if self._one("SELECT 1 FROM users WHERE name=?", (name,)):
            return f"user {name!r}"
        if self._one("SELECT 1 FROM projects WHERE repo_name=?", (name,)):
            return f"project {name!r}"
        row = self._one("SELECT repo_name, owner FROM groups WHERE name=?", (name,))
        if row is not None:
            return f"group {name!r} (of project {row['repo_name']!r}, made by {row['owner']!r})"
        return None

    # -- what the facility made on the host (run as root) -------------------------------------
    def record_os_made(self, kind: str, name: str, os_id: int) -> None:
        """Remember that the facility created OS ``kind`` (user/group) ``name`` with ``os_id``."""
        self._run(
            "INSERT OR REPLACE INTO os_made(kind, name, id) VALUES (?, ?, ?)", (kind, name, os_id)
        )

    def forget_os_made(self, kind: str, name: str) -> None:
        self._run("DELETE FROM os_made WHERE kind=? AND name=?", (kind, name))

    def list_os_made(self) -> list[tuple[str, str, int]]:
        """(kind, name, id) of everything the facility made on the host, users first."""
        rows = self._all("SELECT kind, name, id FROM os_made ORDER BY kind DESC, name")
        return [(r["kind"], r["name"], int(r["id"])) for r in rows]

    def os_made(self, kind: str, name: str) -> int | None:
        """The id of OS ``kind`` ``name`` if the facility made it, else None."""
        row = self._one("SELECT id FROM os_made WHERE kind=? AND name=?", (kind, name))
        return int(row["id"]) if row else None

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
