"""The host's side of the facility's accounts (run as root): OS users and groups, and one lock.

These are primitives. Which accounts the facility may use is decided in
:mod:`.accounts`, from what the state database records it made: an OS user or group the
facility did not create itself is never adopted, whoever made it.

Names on the host:

- A user is the OS account of the same name, with a personal group of that name as its
  primary group (as ``useradd`` makes them with ``USERGROUPS_ENAB``).
- Every other facility group (projects, groups made through the API) is an OS group named
  ``sf<tag>-<name>``, where ``<tag>`` is the facility's own (one per state directory). So no
  facility group ever becomes a group the host or another facility uses (``docker``,
  ``wheel``, another facility's ``m4001``), whatever users call their groups.

Allocating an id and creating the account is one step under :func:`account_lock`, a lock
across processes, so concurrent admin commands never pick the same uid or gid.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import os
import pwd
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .unix import OSAccountError

#: The GECOS field of the OS accounts the facility creates, followed by the facility's tag.
ACCOUNT_MARKER = "sfapi-jupyter facility user"
#: Facility uids and gids start above this; the host's own ids lie below.
FIRST_FACILITY_ID = 70000
#: Ids the facility never hands out (nobody/nogroup and the 16-bit and 32-bit sentinels).
_RESERVED_IDS = frozenset({65534, 65535, 2**31 - 1, 2**32 - 1})
#: Where root serialises account creation across every facility of the host (root-owned).
HOST_LOCK = Path("/run/sfapi-jupyter-accounts.lock")
#: ``sf`` + a 4-character tag + ``-``: what a facility group's OS name adds to its name.
PREFIX_LENGTH = 7


def group_prefix(tag: str) -> str:
    return f"sf{tag}-"


def account_comment(tag: str) -> str:
    """The GECOS field of an account made by the facility with ``tag``."""
    return f"{ACCOUNT_MARKER} {tag}"


# -- the lock -------------------------------------------------------------------------------
_held = threading.local()


@contextlib.contextmanager
def account_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (re-entrant within a thread).

    ``flock`` conflicts between open file descriptions, so it serialises threads of one
    process as well as processes.
    """
    depth: dict[str, int] = getattr(_held, "depth", None) or {}
    _held.depth = depth
    key = str(path)
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- looking --------------------------------------------------------------------------------
def os_user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def os_group(name: str) -> grp.struct_group | None:
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def _uid_taken(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _gid_taken(gid: int) -> bool:
    try:
        grp.getgrgid(gid)
    except KeyError:
        return False
    return True


def free_id(start: int, taken: set[int], *, group: bool) -> int:
    """The first id from ``start`` used neither by the OS (users or groups) nor in ``taken``.

    Call under :func:`account_lock`: another process could take the id meanwhile otherwise.
    """
    candidate = max(start, FIRST_FACILITY_ID + 1)
    while (
        candidate in taken
        or candidate in _RESERVED_IDS
        or (_gid_taken(candidate) if group else _uid_taken(candidate) or _gid_taken(candidate))
    ):
        candidate += 1
    return candidate


# -- changing -------------------------------------------------------------------------------
def _run(argv: list[str]) -> None:
    """Run a shadow-utils command; retry while something else holds /etc/passwd's lock."""
    for attempt in range(20):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return
        # shadow's "cannot lock /etc/passwd" (or /etc/group): someone else is editing them
        if "lock" in proc.stderr and attempt < 19:
            time.sleep(0.1 * (attempt + 1))
            continue
        raise OSAccountError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.returncode}")


def create_os_group(name: str, gid: int) -> None:
    """Create OS group ``name`` (absent and ``gid`` free: the caller checked, under the lock)."""
    _run(["groupadd", "--gid", str(gid), name])


def create_os_user(name: str, uid: int, gid: int, home: Path, tag: str) -> None:
    """Create OS account ``name`` (absent: the caller checked), primary group ``gid``."""
    _run(
        [
            "useradd",
            "--uid",
            str(uid),
            "--gid",
            str(gid),
            "--home-dir",
            str(home),
            "--no-create-home",
            "--no-log-init",
            "--shell",
            "/bin/bash",
            "--comment",
            account_comment(tag),
            name,
        ]
    )


def set_account_comment(name: str, tag: str) -> None:
    _run(["usermod", "--comment", account_comment(tag), name])


def remove_os_user(name: str) -> None:
    """Remove an OS account the facility made (its personal group is removed separately).

    Gone is gone: when something else removed the account meanwhile (shadow then says
    ``cannot remove entry``), there is nothing left to do.
    """
    if os_user(name) is None:
        return
    try:
        _run(["userdel", "--force", name])
    except OSAccountError:
        if os_user(name) is not None:
            raise


def remove_os_group(name: str) -> None:
    """Remove an OS group the facility made; gone meanwhile counts as removed."""
    if os_group(name) is None:
        return
    try:
        _run(["groupdel", name])
    except OSAccountError:
        if os_group(name) is not None:
            raise


def set_os_group_member(group: str, user: str, member: bool) -> None:
    """Keep /etc/group in step with the facility (Slurm reads supplementary groups there)."""
    entry = os_group(group)
    if entry is None or member == (user in entry.gr_mem):
        return
    _run(["gpasswd", "--add" if member else "--delete", user, group])
