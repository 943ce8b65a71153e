"""Unix accounts: the names Unix accepts, the facility's OS users and groups, and acting as one.

When the facility runs as root it *isolates* its users: every facility user is a real OS
account (created by :mod:`.os_accounts` with ``useradd``), every project and group a real
OS group in the facility's own namespace on the host, and every command and job runs
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
import logging
import os
import platform
import pwd
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("sfapi_jupyter.facility")

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


class OSAccountError(RuntimeError):
    """An OS account or group could not be created, adopted or removed; the message says why."""


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
