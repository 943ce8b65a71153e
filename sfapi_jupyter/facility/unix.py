"""Unix accounts: the names Unix accepts, the facility's OS users and groups, and acting as one.

When the facility runs as root it *isolates* its users: every facility user is a real OS
account (created here with ``useradd``, the uid the facility assigned and a home in the
state directory), every project and group a real OS group, and every command and job runs
with the user's uid, gid and supplementary groups. The files the facility itself reads or
writes on a user's behalf (``ls``, download, upload, transfers, ``isPath`` scripts, job
output files) are opened with the user's file-system identity (:func:`acting_as`), so the
kernel, not only the facility's path checks, decides what the user may reach.

When the facility runs as an ordinary user nothing of this is possible: every facility
user is that one OS user (:data:`ISOLATION_OFF_NOTICE` says so at start-up).
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import logging
import os
import platform
import pwd
import re
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("sfapi_jupyter.facility")

#: The GECOS field of every OS account the facility creates; only such accounts are adopted.
ACCOUNT_MARKER = "sfapi-jupyter facility user"
#: Facility uids and gids start here; OS users and groups below it are never adopted.
FIRST_FACILITY_ID = 70000
#: Ids the facility never hands out (nobody/nogroup and the 16-bit and 32-bit sentinels).
_RESERVED_IDS = frozenset({65534, 65535, 2**31 - 1, 2**32 - 1})

ISOLATION_OFF_NOTICE = (
    "The facility runs as the ordinary OS user {user!r}, not as root: every facility user's "
    "commands and jobs run as {user!r} and can read and write everything {user!r} can, "
    "including other facility users' files and the facility's state. Run it as root to give "
    "each user a real OS account."
)
ISOLATION_ON_NOTICE = (
    "The facility runs as root: each facility user is a real OS account; commands, jobs and "
    "file operations run as that user; the state directory's private part is root's alone."
)

# -- names ------------------------------------------------------------------------------------
#: What shadow-utils' useradd/groupadd accept (Debian 12, shadow 4.13): a letter, digit, '_'
#: or '.' first, then those or '-', an optional final '$'; not all digits, not '.' or '..'.
_UNIX_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?")
#: useradd's limit on login names (LOGIN_NAME_MAX - 1 on Linux is larger; shadow uses 32).
MAX_USER_NAME = 32
MAX_GROUP_NAME = 32


def unix_name_problem(name: str, max_length: int) -> str | None:
    """Why ``name`` is not a name Unix accepts for a user or group, or None if it is."""
    if not name:
        return "it is empty"
    if len(name) > max_length:
        return f"it is longer than {max_length} characters"
    if not name.isascii() or not _UNIX_NAME.fullmatch(name):
        return "use ASCII letters, digits, '_', '.' or '-' (not first), optionally ending in '$'"
    if name.isdigit():
        return "it is all digits, which Unix would read as a numeric id"
    if name in (".", ".."):
        return "it names a directory"
    return None


# -- isolation on or off --------------------------------------------------------------------------
def isolation_enabled() -> bool:
    """Whether this process may give users their own OS accounts: it runs as root."""
    return os.geteuid() == 0


def startup_notice() -> str:
    """One paragraph for the start-up output: what the facility isolates, as it runs now."""
    if isolation_enabled():
        return ISOLATION_ON_NOTICE
    return ISOLATION_OFF_NOTICE.format(user=pwd.getpwuid(os.geteuid()).pw_name)


@dataclass(frozen=True)
class Credentials:
    """The OS identity a user's processes and file operations run with."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]


# -- OS accounts ----------------------------------------------------------------------------------
class OSAccountError(RuntimeError):
    """An OS account or group could not be created or adopted; the message says why."""


def _run(argv: list[str]) -> None:
    """Run a shadow-utils command; retry while another process holds /etc/passwd's lock."""
    for attempt in range(20):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return
        # 10: "cannot lock /etc/group" / 1: "cannot lock /etc/passwd" (shadow's exit codes)
        if "lock" in proc.stderr and attempt < 19:
            time.sleep(0.1 * (attempt + 1))
            continue
        raise OSAccountError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.returncode}")


def _id_taken(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        pass
    else:
        return True
    return False


def _gid_taken(gid: int) -> bool:
    try:
        grp.getgrgid(gid)
    except KeyError:
        return False
    return True


def free_id(start: int, taken: set[int], *, group: bool) -> int:
    """The first id from ``start`` used neither by the OS (users or groups) nor in ``taken``."""
    candidate = max(start, FIRST_FACILITY_ID + 1)
    while (
        candidate in taken
        or candidate in _RESERVED_IDS
        or (_gid_taken(candidate) if group else _id_taken(candidate) or _gid_taken(candidate))
    ):
        candidate += 1
    return candidate


def ensure_os_group(name: str, wanted_gid: int, taken: set[int]) -> int:
    """The gid of OS group ``name``, creating it (with ``wanted_gid`` if free) when absent.

    An existing group is used only if its gid is in the facility's range: a facility group
    named like a system group (``root``, ``shadow``, ``sudo``) must never become it.
    """
    try:
        existing = grp.getgrnam(name)
    except KeyError:
        pass
    else:
        if existing.gr_gid <= FIRST_FACILITY_ID:
            raise OSAccountError(
                f"{name!r} is already a system group (gid {existing.gr_gid}) on this host; "
                "choose another name"
            )
        return existing.gr_gid
    gid = free_id(wanted_gid, taken, group=True)
    try:
        _run(["groupadd", "--gid", str(gid), name])
    except OSAccountError:
        with contextlib.suppress(KeyError):  # created meanwhile by another facility process
            return ensure_os_group(name, wanted_gid, taken)
        raise
    return gid


def ensure_os_user(name: str, wanted_uid: int, home: Path, taken: set[int]) -> tuple[int, int]:
    """(uid, gid) of the facility's OS account ``name``, created (with its personal group
    ``name``) if absent. Only accounts the facility made (marked, in its id range) are used."""
    try:
        existing = pwd.getpwnam(name)
    except KeyError:
        existing = None
    if existing is not None:
        if existing.pw_uid <= FIRST_FACILITY_ID or existing.pw_gecos != ACCOUNT_MARKER:
            raise OSAccountError(
                f"{name!r} is already an account on this host that the facility did not "
                "create; choose another user name"
            )
        if existing.pw_dir != str(home):
            with contextlib.suppress(OSAccountError):  # cosmetic: ~name in shells
                _run(["usermod", "--home", str(home), name])
        return existing.pw_uid, existing.pw_gid
    uid = free_id(wanted_uid, taken, group=False)
    gid = ensure_os_group(name, uid, taken)
    try:
        _run(["useradd", "--uid", str(uid), "--gid", str(gid), "--home-dir", str(home),
              "--no-create-home", "--no-log-init", "--shell", "/bin/bash",
              "--comment", ACCOUNT_MARKER, name])  # fmt: skip
    except OSAccountError:
        try:
            again = pwd.getpwnam(name)  # created meanwhile by another facility process
        except KeyError:
            raise
        return again.pw_uid, again.pw_gid
    return uid, gid


def os_account_matches(name: str, uid: int) -> bool:
    """Whether OS account ``name`` is the facility's, with uid ``uid``."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return False
    return entry.pw_uid == uid and entry.pw_gecos == ACCOUNT_MARKER


def set_os_group_member(group: str, user: str, member: bool) -> None:
    """Keep /etc/group in step with the facility (Slurm reads supplementary groups there)."""
    try:
        members = grp.getgrnam(group).gr_mem
    except KeyError:
        return
    if member != (user in members):
        with contextlib.suppress(OSAccountError):
            _run(["gpasswd", "--add" if member else "--delete", user, group])


def own(path: Path, uid: int, gid: int, mode: int) -> None:
    """Give a directory the facility made to its user (never following a symlink)."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise OSAccountError(f"{path} is a symlink; the facility will not hand it to a user")
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.lchown(path, uid, gid)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)


def make_searchable(path: Path) -> list[Path]:
    """Add search permission (``o+x``, never read) to ``path`` and the directories above it
    that lack it, so users can reach their homes below; return those changed.

    Only needed when a state directory sits in a private place (pytest's temporary
    directories are 0700); a state directory under /var/lib or /srv needs nothing.
    """
    changed = []
    for directory in [path, *path.parents]:
        try:
            mode = os.stat(directory).st_mode
        except OSError:
            continue
        if not mode & stat.S_IXOTH:
            os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)
            changed.append(directory)
    return changed


# -- acting as a user for file operations ----------------------------------------------------------
_SYSCALLS = {
    "x86_64": {"setgroups": 116, "setfsuid": 122, "setfsgid": 123},
    "aarch64": {"setgroups": 159, "setfsuid": 151, "setfsgid": 152},
}
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(name: str, *args: object) -> int:
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        raise OSError(f"acting as a user is not supported on {platform.machine()}")
    result: int = _libc.syscall(ctypes.c_long(numbers[name]), *args)
    return result


def _set_thread_groups(gids: tuple[int, ...] | list[int]) -> None:
    """setgroups(2) for this thread only (glibc's wrapper would change every thread)."""
    array = (ctypes.c_uint * max(len(gids), 1))(*gids)
    if _syscall("setgroups", ctypes.c_size_t(len(gids)), array) != 0:
        raise OSError(ctypes.get_errno(), "setgroups failed")


def _set_fs_ids(uid: int, gid: int) -> None:
    _syscall("setfsgid", ctypes.c_uint(gid))
    _syscall("setfsuid", ctypes.c_uint(uid))
    # setfsuid answers the previous id, never an error: read back with an invalid id.
    now_uid = _syscall("setfsuid", ctypes.c_uint(2**32 - 1))
    now_gid = _syscall("setfsgid", ctypes.c_uint(2**32 - 1))
    if (now_uid, now_gid) != (uid, gid):
        raise OSError(f"could not take file-system ids {uid}:{gid} (have {now_uid}:{now_gid})")


@contextlib.contextmanager
def acting_as(creds: Credentials | None) -> Iterator[None]:
    """File operations of this thread, inside the block, run with ``creds``' identity.

    The thread's file-system uid and gid (``setfsuid``/``setfsgid``) and supplementary
    groups change, and with them the kernel drops root's file capabilities, so opening,
    creating and listing behave exactly as for the user, and new files belong to the user.
    Other threads (the event loop, other requests) are untouched. Never ``await`` inside.
    ``None`` (no isolation) does nothing.
    """
    if creds is None:
        yield
        return
    saved_groups = os.getgroups()
    euid, egid = os.geteuid(), os.getegid()
    try:
        _set_thread_groups((*creds.groups, creds.gid))
        _set_fs_ids(creds.uid, creds.gid)
        yield
    finally:
        try:
            _set_fs_ids(euid, egid)
            _set_thread_groups(saved_groups)
        except OSError:  # pragma: no cover - a thread stuck as a user must not live on
            log.critical("could not restore the facility's identity; stopping", exc_info=True)
            os.abort()
