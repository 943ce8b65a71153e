"""The host's accounts of a facility run as root: which OS users and groups are its own.

The facility uses only OS users and groups it made itself: the database records each one
(with its id) before it is created, so a crash half-way leaves nothing unknown. An OS user
or group of the same name that it did not make (the host's, another facility's, one made
by hand) is refused with a message saying so, never adopted; so is one of its own that no
longer looks as it was made (another primary group, another uid).
"""

from __future__ import annotations

import contextlib
import grp
import logging
import secrets
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .config import FacilityConfig
from .models import AccountError, FacilityUser
from .os_accounts import (
    ACCOUNT_MARKER,
    HOST_LOCK,
    PREFIX_LENGTH,
    account_comment,
    account_lock,
    create_os_group,
    create_os_user,
    free_id,
    group_prefix,
    os_group,
    os_user,
    remove_os_group,
    remove_os_user,
    set_account_comment,
    set_os_group_member,
)
from .store import Store
from .unix import Credentials, OSAccountError, isolation_enabled, make_searchable, own

log = logging.getLogger("sfapi_jupyter.facility")

#: Modes of what the facility makes for a user when it runs as root (as on a login node:
#: home and scratch private to the user; a project directory shared by its group).
HOME_MODE = 0o700
PROJECT_MODE = 0o2770

Undo = list[Callable[[], None]]


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


@contextlib.contextmanager
def rollback() -> Iterator[Undo]:
    """Collect undo steps; on any failure run them, last first, and re-raise (a failure of
    ``useradd`` and its kin as :class:`AccountError`, with their own words)."""
    undo: Undo = []
    try:
        yield undo
    except BaseException as exc:
        for step in reversed(undo):
            try:
                step()
            except Exception:  # undo the rest regardless; the log says what stayed behind
                log.exception("could not undo a step of a failed account change")
        if isinstance(exc, OSAccountError):
            raise AccountError(f"{exc}; nothing was changed") from None
        raise


class HostAccounts:
    """The OS side of :class:`.accounts.Accounts` (a mixin): the facility's tag and group
    namespace on the host, what it made, and making the OS match the database."""

    config: FacilityConfig
    store: Store

    def get_user(self, name: str) -> FacilityUser | None:
        raise NotImplementedError

    @property
    def isolated(self) -> bool:
        return isolation_enabled()

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Serialise account changes: of every facility on the host when run as root (they
        share /etc/passwd's ids), else of this state directory."""
        return account_lock(
            HOST_LOCK if self.isolated else self.config.private_dir / "accounts.lock"
        )

    # -- the host (the facility runs as root) --------------------------------------------------
    @property
    def tag(self) -> str:
        """This facility's tag on the host: its OS groups are ``sf<tag>-<name>``."""
        tag = self.store.get_meta("os_tag")
        if tag is not None:
            return tag
        with self.lock():
            tag = self.store.get_meta("os_tag")
            if tag is None:
                alphabet = string.ascii_lowercase + string.digits
                prefixes = {g.gr_name[:PREFIX_LENGTH] for g in grp.getgrall()}
                while tag is None or group_prefix(tag) in prefixes:
                    tag = "".join(secrets.choice(alphabet) for _ in range(4))
                self.store.set_meta("os_tag", tag)
                if self.isolated:
                    self._adopt_legacy_accounts(tag)
        return tag

    def _adopt_legacy_accounts(self, tag: str) -> None:
        """A state directory from before the facility recorded what it made: its users' OS
        accounts are adopted only if exactly as it made them (its marker, its uid, a primary
        group of the user's name with its gid). Their projects get new, prefixed groups."""
        for doc in self.store.list_users():
            entry, group = os_user(doc["name"]), os_group(doc["name"])
            if (
                entry is not None
                and group is not None
                and entry.pw_gecos == ACCOUNT_MARKER
                and (entry.pw_uid, entry.pw_gid, group.gr_gid)
                == (doc["uid"], doc["gid"], doc["gid"])
            ):
                set_account_comment(doc["name"], tag)
                self.store.record_os_made("user", doc["name"], entry.pw_uid)
                self.store.record_os_made("group", doc["name"], group.gr_gid)

    def os_group_name(self, group: str) -> str:
        """The OS name of facility group ``group``: a personal group is the user's name (the
        user owns it on the host); every other group lives in the facility's namespace."""
        doc = self.store.get_group(group)
        if doc is not None and doc["repo_name"] is None:
            return group
        return group_prefix(self.tag) + group

    def _ours(self, kind: str, name: str, os_id: int) -> bool:
        return self.store.os_made(kind, name) == os_id

    def _check_host_user(self, name: str) -> None:
        """Refuse an OS account or group called ``name`` that this facility did not make."""
        entry = os_user(name)
        if entry is not None and not self._user_is_ours(entry):
            whose = (
                f"another sfapi-jupyter facility's (home {entry.pw_dir})"
                if entry.pw_gecos.startswith(ACCOUNT_MARKER)
                else f"uid {entry.pw_uid}"
            )
            raise AccountError(
                f"{name!r} is already an account on this host that this facility did not "
                f"create ({whose}); choose another user name, or remove that account "
                f"(userdel {name}) if it is a leftover. Nothing was changed."
            )
        group = os_group(name)
        if group is not None and not self._ours("group", name, group.gr_gid):
            raise AccountError(
                f"{name!r} is already a group on this host (gid {group.gr_gid}) that this "
                "facility did not create, and a user's personal group takes the user's name; "
                "choose another user name. Nothing was changed."
            )

    def _user_is_ours(self, entry: Any) -> bool:
        comment = account_comment(self.tag)  # first: a state from before the record adopts
        return (
            self._ours("user", entry.pw_name, entry.pw_uid)
            and entry.pw_gecos == comment
            and self._ours("group", entry.pw_name, entry.pw_gid)
        )

    def _check_host_group(self, os_name: str) -> None:
        group = os_group(os_name)
        if group is not None and not self._ours("group", os_name, group.gr_gid):
            raise AccountError(
                f"{os_name!r} is already a group on this host that this facility did not "
                "create; remove it (groupdel) or choose another name. Nothing was changed."
            )

    def _ids_in_use(self) -> set[int]:
        return {u["uid"] for u in self.store.list_users()} | self.store.all_gids()

    def _make_host_group(self, os_name: str, wanted: int, undo: Undo) -> int:
        existing = os_group(os_name)
        if existing is not None:  # ours (checked): made before a crash, or removed meanwhile
            return existing.gr_gid
        gid = free_id(wanted, self._ids_in_use() - {wanted}, group=True)
        self.store.record_os_made("group", os_name, gid)  # before: a crash leaves it known
        undo.append(lambda: self.store.forget_os_made("group", os_name))
        create_os_group(os_name, gid)
        undo.append(lambda: remove_os_group(os_name))
        return gid

    def _make_host_user(self, name: str, wanted: int, home: Path, undo: Undo) -> tuple[int, int]:
        existing = os_user(name)
        if existing is not None:  # ours (checked)
            return existing.pw_uid, existing.pw_gid
        taken = self._ids_in_use() - {wanted}
        uid = free_id(wanted, taken, group=False)
        gid = self._make_host_group(name, uid, undo)
        self.store.record_os_made("user", name, uid)
        undo.append(lambda: self.store.forget_os_made("user", name))
        create_os_user(name, uid, gid, home, self.tag)
        undo.append(lambda: remove_os_user(name))
        return uid, gid

    def _set_host_member(self, group: str, user: str, member: bool, undo: Undo) -> None:
        os_name = self.os_group_name(group)
        entry = os_group(os_name)
        if entry is None or member == (user in entry.gr_mem):
            return
        set_os_group_member(os_name, user, member)
        undo.append(lambda: set_os_group_member(os_name, user, not member))

    def sync_os_account(self, name: str) -> FacilityUser:
        """Make the OS match the facility for ``name``: the account, its groups and their
        members, and the ownership of home, scratch and project directories.

        What is missing is made again (ids follow the OS when the old ones are taken); an
        account or group of the name that the facility did not make is refused.
        """
        with self.lock():
            doc = self.store.get_user(name)
            if doc is None:
                raise AccountError(f"no user {name!r}")
            self._check_host_user(name)
            with rollback() as undo:
                uid, gid = self._make_host_user(name, doc["uid"], Path(doc["home"]), undo)
                if (uid, gid) != (doc["uid"], doc["gid"]):
                    doc.update(uid=uid, gid=gid)
                    self.store.put_user(name, uid, doc)
                    self.store.set_group_gid(name, gid)
                for group in self.store.groups_of(name):
                    info = self.store.get_group(group)
                    assert info is not None
                    os_name = self.os_group_name(group)
                    self._check_host_group(os_name)
                    os_gid = self._make_host_group(os_name, info["gid"], undo)
                    if os_gid != info["gid"]:
                        self.store.set_group_gid(group, os_gid)
                    self._set_host_member(group, name, True, undo)
        user = self.get_user(name)
        assert user is not None
        for directory in (user.home, user.scratch):
            directory.mkdir(parents=True, exist_ok=True)
            own(directory, user.uid, user.gid, HOME_MODE)
        for repo, directory in zip(user.projects, user.project_dirs, strict=True):
            info = self.store.get_group(repo)
            if info is not None:
                directory.mkdir(parents=True, exist_ok=True)
                own(directory, 0, info["gid"], PROJECT_MODE)
        return user

    def sync_os_accounts(self) -> None:
        """:meth:`sync_os_account` for every user (at start-up, when running as root). A user
        whose name the host gives to an account the facility did not make is left out, and
        the log says why: that user's requests fail until it is resolved."""
        for doc in self.store.list_users():
            try:
                self.sync_os_account(doc["name"])
            except AccountError as exc:
                log.error("user %s has no OS account: %s", doc["name"], exc)

    def remove_os_accounts(self) -> list[str]:
        """Remove every OS user and group this facility made, and nothing else of those names
        (e.g. after a tutorial); it makes them again when it next starts. Their names.

        Ids are no proof (another facility may have the same uid for its ``elvis`` now): a
        user must carry this facility's tag, a group be in its namespace or be the personal
        group of a user it made that is gone.
        """
        removed: list[str] = []
        tag = self.store.get_meta("os_tag")
        if tag is None:  # it never made anything (and must not adopt anything now)
            return removed
        prefix = group_prefix(tag)
        with self.lock():
            for kind, name, os_id in self.store.list_os_made():  # users first
                if kind == "user":
                    entry = os_user(name)
                    if entry is not None and entry.pw_gecos == account_comment(tag):
                        remove_os_user(name)
                        removed.append(name)
                else:
                    group = os_group(name)
                    personal_and_free = not name.startswith(prefix) and os_user(name) is None
                    if (
                        group is not None
                        and group.gr_gid == os_id
                        and (name.startswith(prefix) or personal_and_free)
                    ):
                        remove_os_group(name)
                        removed.append(name)
                self.store.forget_os_made(kind, name)  # gone, or no longer ours
        return removed

    def credentials(self, user: FacilityUser) -> Credentials | None:
        """The OS identity ``user``'s processes and file operations take; None when the
        facility does not run as root (everything then runs as the facility's OS user)."""
        if not self.isolated:
            return None
        # Something may have closed a directory above the state dir again (pytest does
        # this to its temporary root at every session start); cheap to check each time.
        for changed in make_searchable(self.config.state_dir):
            log.info("made %s searchable by users (o+x) again", changed)
        entry = os_user(user.name)
        if entry is None or entry.pw_uid != user.uid or not self._user_is_ours(entry):
            user = self.sync_os_account(user.name)
        groups = []
        for name in self.store.groups_of(user.name):
            info = self.store.get_group(name)
            if info is not None and info["gid"] != user.gid:
                groups.append(int(info["gid"]))
        return Credentials(user.name, user.uid, user.gid, tuple(groups))
