"""Users, projects and groups: the part of the facility that Iris plays at NERSC.

Users, projects and groups share one namespace, as on Unix, where every user has a group of
their own name: a name taken by one is refused for the others, before anything is changed.
Making a user, a project or a group first checks everything (names here, names on the
host), then changes the host (run as root) and last the database in one transaction; a
failure half-way undoes what was done, so no half-made account is left behind. All of it
runs under one lock across processes (:meth:`HostAccounts.lock`), so concurrent admin commands
neither race for ids nor see each other's half-made accounts.

Run as root, the facility uses only OS users and groups it made itself (see
:mod:`.host_accounts`); anything else of the same name is refused, with a message saying so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .clients import ClientRegistry
from .config import FacilityConfig
from .host_accounts import HostAccounts, lock_down, rollback
from .models import AccountError, FacilityUser
from .os_accounts import PREFIX_LENGTH
from .seed import seed_home
from .store import Store
from .unix import (
    MAX_GROUP_NAME,
    MAX_USER_NAME,
    unix_name_problem,
)

FIRST_UID = 70001
FIRST_PROJECT_ID = 4001
FIRST_GROUP_ID = 80001
#: A project's OS group carries the facility's prefix: what is left of Unix's 32 characters.
MAX_PROJECT_NAME = MAX_GROUP_NAME - PREFIX_LENGTH


def check_project_name(repo_name: str) -> None:
    """A project is a Unix group at NERSC (and names a directory): Unix's group-name rule,
    less the room the facility's prefix takes on the host."""
    problem = unix_name_problem(repo_name, MAX_PROJECT_NAME)
    if problem is not None:
        raise AccountError(f"{repo_name!r} is not a valid project name: {problem}")


class Accounts(HostAccounts, ClientRegistry):
    """Users, their projects and groups, and their API clients."""

    def __init__(self, config: FacilityConfig, store: Store) -> None:
        self.config = config
        self.store = store

    # -- users ----------------------------------------------------------------------------
    def _user_from_doc(self, doc: dict[str, Any]) -> FacilityUser:
        projects = tuple(p["repo_name"] for p, _ in self.store.memberships(doc["name"]))
        return FacilityUser(
            name=doc["name"],
            uid=doc["uid"],
            gid=doc["gid"],
            group=doc["name"],
            home=Path(doc["home"]),
            scratch=Path(doc["scratch"]),
            projects=projects,
            project_dirs=tuple(self.config.project_dir(p) for p in projects),
        )

    def get_user(self, name: str) -> FacilityUser | None:
        doc = self.store.get_user(name)
        return self._user_from_doc(doc) if doc else None

    def user_info(self, name: str) -> dict[str, Any] | None:
        return self.store.get_user(name)

    def ensure_user(self, name: str, projects: list[str] | None = None) -> FacilityUser:
        """Create ``name`` if new, with home, scratch, a personal group and a project
        (``projects``, joined or made; else the next free ``m4001``, ``m4002``, ...).

        Run as root, the user is also a real OS account, made here, owning home and scratch.
        """
        problem = unix_name_problem(name, MAX_USER_NAME)
        if problem is not None:
            raise AccountError(f"{name!r} is not a valid user name: {problem}")
        wanted = list(dict.fromkeys(projects or []))
        for repo in wanted:
            check_project_name(repo)
        if self.isolated:
            lock_down(self.config)
        with self.lock():
            if self.store.get_user(name) is None:
                self._create_user(name, wanted)
            else:
                for repo in wanted:
                    self.join_project(name, repo)
            user = self.get_user(name)
            assert user is not None
            new_home = not user.home.exists()
            for d in (user.home, user.scratch):
                d.mkdir(parents=True, exist_ok=True)
            if self.isolated:
                user = self.sync_os_account(name)
        if new_home:
            seed_home(user.home)  # example files to browse (~/examples)
            if self.isolated:  # the user's own files, as if they had made them
                for path in (user.home / "examples", *(user.home / "examples").rglob("*")):
                    os.lchown(path, user.uid, user.gid)
        return user

    def _create_user(self, name: str, projects: list[str]) -> None:
        used = self.store.name_in_use(name)
        if used is not None:
            raise AccountError(
                f"{name!r} is already the name of {used}; every user has a group of their own "
                "name, so choose another user name (nothing was changed)"
            )
        joined = [r for r in projects if self.store.get_project(r) is not None]
        new = [r for r in projects if r not in joined] or (
            [] if joined else [self._free_project_name()]
        )
        for repo in new:
            if repo == name:
                raise AccountError(
                    f"project {repo!r} cannot have the name of its user: {name!r} is the user's "
                    "personal group; choose another project name (nothing was changed)"
                )
            self._check_new_group_name(repo, "project")
        if self.isolated:
            self._check_host_user(name)
            for repo in new:
                self._check_host_group(self.os_group_name(repo))
        with rollback() as undo:
            uid = self.store.next_counter("next_uid", FIRST_UID)
            gid = uid
            gids = {r: self.store.next_counter("next_gid", FIRST_GROUP_ID) for r in new}
            home = self.config.home_of(name)
            if self.isolated:
                uid, gid = self._make_host_user(name, uid, home, undo)
                for repo in new:
                    gids[repo] = self._make_host_group(self.os_group_name(repo), gids[repo], undo)
                for repo in [*new, *joined]:
                    self._set_host_member(repo, name, True, undo)
            pids = {r: self.store.next_counter("next_project_id", 60001) for r in new}
            with self.store.transaction():
                self.store.put_user(name, uid, self._new_user_doc(name, uid, gid, home))
                self.store.put_group(name, gid, None, name)
                self.store.set_group_member(name, name, True)
                for repo in new:
                    self.store.put_project(
                        repo, pids[repo], self._new_project_doc(repo, pids[repo])
                    )
                    self.store.put_group(repo, gids[repo], repo, name)
                for repo in [*new, *joined]:
                    self.store.add_membership(repo, name, "PI" if repo in new else "Member")
                    self.store.set_group_member(repo, name, True)
        for repo in new:
            self.config.project_dir(repo).mkdir(parents=True, exist_ok=True)

    def _new_user_doc(self, name: str, uid: int, gid: int, home: Path) -> dict[str, Any]:
        return {
            "uid": uid,
            "gid": gid,
            "name": name,
            "firstname": name.capitalize(),
            "lastname": "Scientist",
            "middlename": "",
            "workphone": "510-486-5000",
            "otherPhones": "",
            "email": f"{name}@example.org",
            "home": str(home),
            "scratch": str(self.config.scratch_of(name)),
        }

    @staticmethod
    def _new_project_doc(repo: str, pid: int) -> dict[str, Any]:
        return {
            "id": pid,
            "description": f"Beamline analysis project {repo}",
            "repo_name": repo,
            "cpu_hours_given": 50000.0,
            "cpu_base_used": 1234.5,
            "gpu_hours_given": 20000.0,
            "gpu_base_used": 321.25,
        }

    def _free_project_name(self) -> str:
        """The next default project name nobody has taken (a group may squat ``m4002``)."""
        while True:
            name = f"m{self.store.next_counter('next_project', FIRST_PROJECT_ID)}"
            if self.store.name_in_use(name) is None:
                return name

    def _check_new_group_name(self, name: str, what: str) -> None:
        used = self.store.name_in_use(name)
        if used is not None:
            raise AccountError(
                f"{name!r} is already the name of {used}; choose another {what} name "
                "(nothing was changed)"
            )

    def join_project(self, user: str, repo_name: str, role: str = "PI") -> None:
        """Add ``user`` to project ``repo_name``: its PI if the project is new (made here, with
        its group), a Member of an existing one."""
        check_project_name(repo_name)
        with self.lock():
            if any(p["repo_name"] == repo_name for p, _ in self.store.memberships(user)):
                return
            new = self.store.get_project(repo_name) is None
            if new:
                self._check_new_group_name(repo_name, "project")
                if self.isolated:
                    self._check_host_group(self.os_group_name(repo_name))
            with rollback() as undo:
                if new:
                    gid = self.store.next_counter("next_gid", FIRST_GROUP_ID)
                    if self.isolated:
                        gid = self._make_host_group(self.os_group_name(repo_name), gid, undo)
                    pid = self.store.next_counter("next_project_id", 60001)
                if self.isolated:
                    self._set_host_member(repo_name, user, True, undo)
                with self.store.transaction():
                    if new:
                        doc = self._new_project_doc(repo_name, pid)
                        self.store.put_project(repo_name, pid, doc)
                        self.store.put_group(repo_name, gid, repo_name, user)
                    self.store.add_membership(repo_name, user, role if new else "Member")
                    self.store.set_group_member(repo_name, user, True)
            self.config.project_dir(repo_name).mkdir(parents=True, exist_ok=True)

    # -- groups ------------------------------------------------------------------------------
    def create_group(self, name: str, repo_name: str, owner: str) -> None:
        """A new group of project ``repo_name`` with ``owner`` as its first member.

        Raises :class:`AccountError` for a name Unix would refuse, and ``FileExistsError``
        (its message: what has the name) for a name a user, project or group has.
        """
        problem = unix_name_problem(name, MAX_PROJECT_NAME)
        if problem is not None:
            raise AccountError(f"Group name {name!r} is not valid: {problem}")
        with self.lock():
            used = self.store.name_in_use(name)
            if used is not None:
                raise FileExistsError(used)
            if self.isolated:
                self._check_host_group(self.os_group_name(name))
            with rollback() as undo:
                gid = self.store.next_counter("next_gid", FIRST_GROUP_ID)
                if self.isolated:
                    gid = self._make_host_group(self.os_group_name(name), gid, undo)
                    self._set_host_member(name, owner, True, undo)
                with self.store.transaction():
                    self.store.put_group(name, gid, repo_name, owner)
                    self.store.set_group_member(name, owner, True)

    def may_change_group(self, group: dict[str, Any], user: str) -> bool:
        """Only a group's owner or its project's PI may change who is in it."""
        if group["repo_name"] is None:  # a personal group is its user's, as Unix has it
            return False
        if group["owner"] == user:
            return True
        return any(
            p["repo_name"] == group["repo_name"] and role == "PI"
            for p, role in self.store.memberships(user)
        )

    def set_group_member(self, group: str, user: str, member: bool) -> None:
        with self.lock(), rollback() as undo:
            if self.isolated:
                self._set_host_member(group, user, member, undo)
            self.store.set_group_member(group, user, member)
