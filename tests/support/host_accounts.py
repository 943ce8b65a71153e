"""Removing the OS accounts the tests' facilities made (run as root), so that a later test's
facility can make its own ``elvis``: a facility never adopts an account it did not make.

A facility of the test process removes its accounts when it closes and no process has its
database open any more (:func:`remove_accounts_on_close`; a test may start several facilities
one after another, each with an ``elvis``). For the others (facilities in subprocesses), after
each test, the facility accounts that appeared during the run (the facility's marker,
a home in a temporary directory) are removed once no process has their facility's database
open any more (a module's facility lives on into its next tests), with their personal groups
and every group in their facilities' namespaces (``sf<tag>-``) that appeared during the run.
"""

from __future__ import annotations

import fcntl
import gc
import grp
import os
import pwd
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sfapi_jupyter.facility.config import FacilityConfig
from sfapi_jupyter.facility.os_accounts import (
    ACCOUNT_MARKER,
    group_prefix,
    remove_os_group,
    remove_os_user,
)
from sfapi_jupyter.facility.unix import OSAccountError


def host_names() -> tuple[set[str], set[str]]:
    """The host's user names and group names now."""
    return {p.pw_name for p in pwd.getpwall()}, {g.gr_name for g in grp.getgrall()}


def _open_files() -> set[str]:
    """Every file some process has open (readable to root)."""
    paths = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone meanwhile
            continue
        for fd in fds:
            try:
                paths.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:  # closed meanwhile (a busy process): the others still count
                continue
    return paths


#: Each run's temporary files live in one directory of its own (``TMPDIR``, set by
#: :func:`start_run_directory`), held locked while the run lives: the accounts whose homes lie in
#: a live run's directory are that run's, and nobody else's to remove.
RUN_PREFIX = "sfapi-tests-"
_LOCK_NAME = ".run.lock"
_run: dict[str, Any] = {}


def start_run_directory(system_tmp: str = "/tmp") -> Path:
    """Make this run's temporary directory, lock it for the run's life and make it ``TMPDIR``
    (for this process, its children and pytest's ``tmp_path``)."""
    directory = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=system_tmp))
    directory.chmod(0o711)  # the facilities' OS users reach their homes inside it
    lock = (directory / _LOCK_NAME).open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    _run.update(directory=directory, lock=lock, system_tmp=system_tmp)
    os.environ["TMPDIR"] = str(directory)
    tempfile.tempdir = None  # tempfile caches the directory it chose first
    return directory


def _system_tmp() -> str:
    return os.path.realpath(_run.get("system_tmp") or tempfile.gettempdir())


def _run_directory_of(home: str) -> Path | None:
    """The run directory (``/tmp/sfapi-tests-*``) a home lies in, if any."""
    parts = Path(home).relative_to(_system_tmp()).parts
    if parts and parts[0].startswith(RUN_PREFIX):
        return Path(_system_tmp(), parts[0])
    return None


def _run_is_alive(directory: Path) -> bool:
    """Some process holds the run's lock (a live test run, maybe another checkout's)."""
    if directory == _run.get("directory"):
        return True
    try:
        with (directory / _LOCK_NAME).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except OSError:  # locked: that run is going on
        return True
    return False


def remove_dead_run_directories(keep: int = 1) -> list[Path]:
    """Delete the directories of earlier runs that ended (their lock is free), but for the
    newest ``keep`` (to look into after a failure), once none holds a home of an account."""
    homes = {os.path.realpath(e.pw_dir) for e in pwd.getpwall()}
    dead = [
        d for d in Path(_system_tmp()).glob(RUN_PREFIX + "*") if d.is_dir() and not _run_is_alive(d)
    ]
    dead.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    removed = []
    for directory in dead[keep:]:
        inside = str(directory) + os.sep
        if any(home.startswith(inside) for home in homes):
            continue  # an account still lives there: the sweeper of a root run removes it
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed


def _test_facility_account(entry: pwd.struct_passwd) -> bool:
    """Made by a facility whose state lies in the temporary directory (a test's)."""
    temporary = _system_tmp() + os.sep
    # The marker alone (no tag) is what facilities wrote before they kept a record.
    marked = entry.pw_gecos == ACCOUNT_MARKER or entry.pw_gecos.startswith(ACCOUNT_MARKER + " ")
    return marked and os.path.realpath(entry.pw_dir).startswith(temporary)


def _another_live_runs(entry: pwd.struct_passwd) -> bool:
    """The account's facility belongs to another test run that is still going on."""
    directory = _run_directory_of(os.path.realpath(entry.pw_dir))
    if directory is None or directory == _run.get("directory"):
        return False
    return _run_is_alive(directory)


class FacilityAccountSweeper:
    """Collects the facility accounts a run made and removes those whose facility closed.

    Accounts a test facility made before this run (a run that was killed before it could
    remove them) count as the run's own, so they go too once no process has their facility's
    database open. A concurrent run's accounts are never touched, even between its
    facility's close and its own removal of them (the window two runs' removals raced in:
    ``userdel: cannot remove entry``): they lie in that run's locked directory.
    """

    def __init__(self) -> None:
        self.users_before, self.groups_before = host_names()
        leftovers = [
            e for e in pwd.getpwall() if _test_facility_account(e) and not _another_live_runs(e)
        ]
        for entry in leftovers:
            self.users_before.discard(entry.pw_name)
            self.groups_before.discard(entry.pw_name)
            prefix = group_prefix(entry.pw_gecos.removeprefix(ACCOUNT_MARKER + " "))
            self.groups_before -= {g for g in self.groups_before if g.startswith(prefix)}
        self.pending: dict[str, str] = {}  # user name -> its facility's database path
        self.prefixes: set[str] = set()  # the namespaces of the facilities whose users went

    def sweep(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        for entry in pwd.getpwall():
            if (
                entry.pw_name not in self.users_before
                and _test_facility_account(entry)
                and not _another_live_runs(entry)
            ):
                state = Path(os.path.realpath(entry.pw_dir)).parents[2]  # STATE/fs/homes/NAME
                self.pending[entry.pw_name] = str(FacilityConfig(state_dir=state).db_path)
        if not self.pending:
            return []
        gc.collect()  # a facility nobody holds any more closes its database
        still_open = _open_files()
        removed: list[str] = []
        for name, database in list(self.pending.items()):
            if database in still_open:
                continue
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                del self.pending[name]
                continue
            self.prefixes.add(group_prefix(entry.pw_gecos.removeprefix(ACCOUNT_MARKER + " ")))
            try:
                remove_os_user(name)
            except OSAccountError:
                continue  # tried again after the next test
            del self.pending[name]
            removed.append(name)
        for group in grp.getgrall():
            name = group.gr_name
            if name in self.groups_before:
                continue
            if name in removed or (self.prefixes and name.startswith(tuple(self.prefixes))):
                try:
                    remove_os_group(name)
                except OSAccountError:
                    continue  # a primary group still in use; it goes with its user
                removed.append(name)
        return removed


def remove_accounts_on_close() -> None:
    """Make ``Facility.close`` remove the OS accounts of its facility once nobody uses it."""
    from sfapi_jupyter.facility.accounts import Accounts
    from sfapi_jupyter.facility.core import Facility
    from sfapi_jupyter.facility.store import Store

    original = Facility.close
    if getattr(original, "removes_accounts", False):
        return

    def close(self: Facility) -> None:
        original(self)
        database = self.config.db_path
        if not database.exists() or str(database) in _open_files():
            return
        store = Store(database)
        try:
            Accounts(self.config, store).remove_os_accounts()
        finally:
            store.close()

    close.removes_accounts = True  # type: ignore[attr-defined]
    Facility.close = close  # type: ignore[method-assign]
