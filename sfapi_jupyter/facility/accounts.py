"""Users, projects, groups and API clients: the part of the facility that Iris plays at NERSC.

Registering a client works as in Iris: the facility makes an RSA key pair, keeps only the
public half, and hands the private key to the caller exactly once.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from .backends.base import FacilityUser
from .config import FacilityConfig
from .store import Store
from .unix import (
    MAX_GROUP_NAME,
    MAX_USER_NAME,
    Credentials,
    OSAccountError,
    ensure_os_group,
    ensure_os_user,
    isolation_enabled,
    make_searchable,
    os_account_matches,
    own,
    set_os_group_member,
    unix_name_problem,
)

log = logging.getLogger("sfapi_jupyter.facility")

#: Client lifetimes by security level, as NERSC's policy has them.
CLIENT_LIFETIMES = {"red": dt.timedelta(days=2), "green": dt.timedelta(days=60)}
#: Red clients may have at most this many source IP ranges.
MAX_RED_RANGES = 2
DEFAULT_RANGES = ("127.0.0.0/8", "::1/128")

FIRST_UID = 70001
FIRST_PROJECT_ID = 4001
FIRST_GROUP_ID = 80001
#: Modes of what the facility makes for a user when it runs as root (as on a login node:
#: home and scratch private to the user; a project directory shared by its group).
HOME_MODE = 0o700
PROJECT_MODE = 0o2770


class AccountError(ValueError):
    """A bad request to the account registry; the message says what to do instead."""


def lock_down(config: FacilityConfig) -> None:
    """Run as root: users reach the file trees and nothing else of the state directory."""
    config.ensure_dirs()
    config.state_dir.chmod(0o711)  # users pass through to fs/ and spool/, list nothing
    config.private_dir.chmod(0o700)
    for directory in (
        config.fs_root,
        config.fs_root / "homes",
        config.fs_root / "scratch",
        config.fs_root / "projects",
    ):
        directory.chmod(0o755)
    config.user_spool.chmod(0o711)
    for changed in make_searchable(config.state_dir):
        log.warning("made %s searchable by users (o+x) so they reach their homes", changed)


def check_project_name(repo_name: str) -> None:
    """A project is a Unix group at NERSC (and names a directory): Unix's group-name rule."""
    problem = unix_name_problem(repo_name, MAX_GROUP_NAME)
    if problem is not None:
        raise AccountError(f"{repo_name!r} is not a valid project name: {problem}")


@dataclass(frozen=True)
class NewClient:
    """What ``client create`` hands out once. Only ``client_id`` is ever stored with the key."""

    client_id: str
    user: str
    level: str
    expires_at: str
    private_key_pem: str
    private_key_jwk: dict[str, Any]

    def __repr__(self) -> str:  # never show the key
        return f"NewClient(client_id={self.client_id!r}, user={self.user!r}, level={self.level!r})"

    @property
    def key_file_text(self) -> str:
        """PEM with the client id on its first line: the ``~/.superfacility/`` format."""
        return f"{self.client_id}\n{self.private_key_pem}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def client_is_usable(doc: dict[str, Any] | None) -> bool:
    """True for a registered client that is neither revoked nor expired."""
    if doc is None or doc.get("revoked"):
        return False
    return dt.datetime.fromisoformat(doc["expires_at"]) > _now()


def new_client_id() -> str:
    """13 lowercase alphanumerics, like Iris's client ids."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(13))


def parse_ranges(ranges: list[str] | tuple[str, ...], level: str) -> list[str]:
    """Validate CIDR ranges; a red client may have at most two."""
    parsed = []
    for text in ranges:
        try:
            parsed.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise AccountError(
                f"{text!r} is not an IP range; give CIDR text such as 10.0.0.0/24 or 127.0.0.1/32"
            ) from None
    if level == "red" and len(parsed) > MAX_RED_RANGES:
        raise AccountError(
            f"a red client may have at most {MAX_RED_RANGES} source IP ranges, got {len(parsed)}; "
            "use fewer ranges or a green client"
        )
    return parsed


class Accounts:
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
        """Create ``name`` if new, with home, scratch, a personal group and a project.

        When the facility runs as root the user is also a real OS account (made here if
        absent) and owns their home and scratch; see :mod:`sfapi_jupyter.facility.unix`.
        """
        problem = unix_name_problem(name, MAX_USER_NAME)
        if problem is not None:
            raise AccountError(f"{name!r} is not a valid user name: {problem}")
        for repo in projects or []:
            check_project_name(repo)
        if self.isolated:
            lock_down(self.config)
        doc = self.store.get_user(name)
        if doc is None:
            uid = self.store.next_counter("next_uid", FIRST_UID)
            home = self.config.home_of(name)
            gid = uid
            if self.isolated:
                uid, gid = self._os_user(name, uid, home)
            doc = {
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
            self.store.put_user(name, uid, doc)
            self.store.put_group(name, gid, None, name)
            self.store.set_group_member(name, name, True)
            if not projects:
                projects = [self._new_project_name()]
        for repo in projects or []:
            self.join_project(name, repo)
        user = self.get_user(name)
        assert user is not None
        new_home = not user.home.exists()
        for d in (user.home, user.scratch):
            d.mkdir(parents=True, exist_ok=True)
        if self.isolated:
            user = self.sync_os_account(name)
        if new_home:
            from .seed import seed_home  # example files to browse (~/examples)

            seed_home(user.home)
            if self.isolated:  # the user's own files, as if they had made them
                for path in (user.home / "examples", *(user.home / "examples").rglob("*")):
                    os.lchown(path, user.uid, user.gid)
        return user

    # -- OS accounts (the facility runs as root) ---------------------------------------------
    @property
    def isolated(self) -> bool:
        return isolation_enabled()

    def _os_user(self, name: str, uid: int, home: Path) -> tuple[int, int]:
        taken = {u["uid"] for u in self.store.list_users() if u["name"] != name}
        own_group = self.store.get_group(name)
        taken |= self.store.all_gids() - ({own_group["gid"]} if own_group else set())
        try:
            return ensure_os_user(name, uid, home, taken)
        except OSAccountError as exc:
            raise AccountError(str(exc)) from None

    def _os_group(self, name: str, gid: int) -> int:
        taken = {u["uid"] for u in self.store.list_users()} | self.store.all_gids()
        taken.discard(gid)
        try:
            return ensure_os_group(name, gid, taken)
        except OSAccountError as exc:
            raise AccountError(str(exc)) from None

    def sync_os_account(self, name: str) -> FacilityUser:
        """Make the OS match the facility for ``name``: the account, its groups and their
        members, and the ownership of home, scratch and project directories.

        Ids follow the OS when they differ (a state directory made by an ordinary user and
        now served by root, or an account removed and made again).
        """
        doc = self.store.get_user(name)
        if doc is None:
            raise AccountError(f"no user {name!r}")
        uid, gid = self._os_user(name, doc["uid"], Path(doc["home"]))
        if (uid, gid) != (doc["uid"], doc["gid"]):
            doc.update(uid=uid, gid=gid)
            self.store.put_user(name, uid, doc)
            self.store.set_group_gid(name, gid)
        for group in self.store.groups_of(name):
            info = self.store.get_group(group)
            assert info is not None
            os_gid = self._os_group(group, info["gid"])
            if os_gid != info["gid"]:
                self.store.set_group_gid(group, os_gid)
            set_os_group_member(group, name, True)
        user = self.get_user(name)
        assert user is not None
        for directory in (user.home, user.scratch):
            directory.mkdir(parents=True, exist_ok=True)
            own(directory, uid, gid, HOME_MODE)
        for repo, directory in zip(user.projects, user.project_dirs, strict=True):
            info = self.store.get_group(repo)
            if info is not None:
                directory.mkdir(parents=True, exist_ok=True)
                own(directory, 0, info["gid"], PROJECT_MODE)
        return user

    def sync_os_accounts(self) -> None:
        """:meth:`sync_os_account` for every user (at start-up, when running as root)."""
        for doc in self.store.list_users():
            self.sync_os_account(doc["name"])

    def credentials(self, user: FacilityUser) -> Credentials | None:
        """The OS identity ``user``'s processes and file operations take; None when the
        facility does not run as root (everything then runs as the facility's OS user)."""
        if not self.isolated:
            return None
        # Something may have closed a directory above the state dir again (pytest does
        # this to its temporary root at every session start); cheap to check each time.
        for changed in make_searchable(self.config.state_dir):
            log.info("made %s searchable by users (o+x) again", changed)
        if not os_account_matches(user.name, user.uid):
            user = self.sync_os_account(user.name)
        groups = []
        for name in self.store.groups_of(user.name):
            info = self.store.get_group(name)
            if info is not None and info["gid"] != user.gid:
                groups.append(int(info["gid"]))
        return Credentials(user.name, user.uid, user.gid, tuple(groups))

    def _new_project_name(self) -> str:
        return f"m{self.store.next_counter('next_project', FIRST_PROJECT_ID)}"

    def join_project(self, user: str, repo_name: str, role: str = "PI") -> None:
        """Add ``user`` to project ``repo_name``, creating the project (and its group) if new."""
        check_project_name(repo_name)
        if self.store.get_project(repo_name) is None:
            if self.store.get_group(repo_name) is not None:
                raise AccountError(
                    f"{repo_name!r} is already the name of a group; choose another project name"
                )
            pid = self.store.next_counter("next_project_id", 60001)
            gid = self.store.next_counter("next_gid", FIRST_GROUP_ID)
            if self.isolated:
                gid = self._os_group(repo_name, gid)
            self.store.put_project(
                repo_name,
                pid,
                {
                    "id": pid,
                    "description": f"Beamline analysis project {repo_name}",
                    "repo_name": repo_name,
                    "cpu_hours_given": 50000.0,
                    "cpu_base_used": 1234.5,
                    "gpu_hours_given": 20000.0,
                    "gpu_base_used": 321.25,
                },
            )
            self.store.put_group(repo_name, gid, repo_name, user)
            self.config.project_dir(repo_name).mkdir(parents=True, exist_ok=True)
        elif any(p["repo_name"] == repo_name for p, _ in self.store.memberships(user)):
            return
        else:
            role = "Member"
        self.store.add_membership(repo_name, user, role)
        self.set_group_member(repo_name, user, True)

    # -- groups ------------------------------------------------------------------------------
    def create_group(self, name: str, repo_name: str, owner: str) -> None:
        """A new group of project ``repo_name`` with ``owner`` as its first member.

        Raises :class:`AccountError` for a name Unix would refuse, and ``FileExistsError``
        for a name already taken (here, or on the host by a system group).
        """
        problem = unix_name_problem(name, MAX_GROUP_NAME)
        if problem is not None:
            raise AccountError(f"Group name {name!r} is not valid: {problem}")
        if self.store.get_group(name) is not None:
            raise FileExistsError(name)
        gid = self.store.next_counter("next_gid", FIRST_GROUP_ID)
        if self.isolated:
            try:
                gid = self._os_group(name, gid)
            except AccountError:
                raise FileExistsError(name) from None
        self.store.put_group(name, gid, repo_name, owner)
        self.set_group_member(name, owner, True)

    def set_group_member(self, group: str, user: str, member: bool) -> None:
        self.store.set_group_member(group, user, member)
        if self.isolated:
            set_os_group_member(group, user, member)

    # -- clients --------------------------------------------------------------------------
    def create_client(
        self,
        user: str,
        *,
        level: str = "red",
        ip_ranges: list[str] | None = None,
        name: str | None = None,
        lifetime: dt.timedelta | None = None,
        projects: list[str] | None = None,
    ) -> NewClient:
        """Register an API client for ``user`` (created if new)."""
        if level not in CLIENT_LIFETIMES:
            raise AccountError(f"level must be red or green, not {level!r}")
        ranges = parse_ranges(list(ip_ranges or DEFAULT_RANGES), level)
        self.ensure_user(user, projects)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        jwk = RSAKey.import_key(pem)
        client_id = new_client_id()
        created = _now()
        expires = created + (lifetime or CLIENT_LIFETIMES[level])
        self.store.put_client(
            client_id,
            user,
            {
                "client_id": client_id,
                "user": user,
                "name": name or f"{user}-{level}-{created:%Y%m%d}",
                "level": level,
                "ip_ranges": ranges,
                "public_jwk": jwk.as_dict(private=False),
                "created_at": created.isoformat(),
                "expires_at": expires.isoformat(),
                "revoked": False,
                "comments": f"{level} client, source ranges {', '.join(ranges)}",
            },
        )
        return NewClient(
            client_id=client_id,
            user=user,
            level=level,
            expires_at=expires.isoformat(),
            private_key_pem=pem,
            private_key_jwk=jwk.as_dict(private=True),
        )

    def revoke_client(self, client_id: str) -> None:
        doc = self.store.get_client(client_id)
        if doc is None:
            raise AccountError(f"no client {client_id!r}; `client list` shows the registered ones")
        doc["revoked"] = True
        self.store.put_client(client_id, doc["user"], doc)

    def list_clients(self, user: str | None = None) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in doc.items() if k != "public_jwk"}
            for doc in self.store.list_clients(user)
        ]
