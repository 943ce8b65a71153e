"""What a user may reach through ``ls``, download, upload, transfers and ``isPath`` submits.

A login node gives a user their own home and scratch (read-write), their projects'
directories (read-write), and the system's read-only directories, so ``ls /usr/bin/hostname``
behaves as at NERSC. Nothing else: not another user's tree, not the facility's own state
(keys, database, job spool), whether asked for with ``..``, an absolute path or a symlink.

Every check is made on the fully resolved path (``realpath``), so a symlink inside a home
that points at another home is refused just like the direct path. In the system's
directories the user is an ordinary login-node user, "other" to the files' owners: a
directory must be searchable (and, to be listed, readable) by others and a file readable by
others, even when the facility itself runs as root (so ``/etc/shadow`` stays closed).

These checks are the facility's own rules. When the facility runs as root, the file
operations behind them also run with the user's own OS identity
(:func:`sfapi_jupyter.facility.unix.acting_as`), and commands and jobs run as the user's OS
account, so the kernel enforces the same boundaries. When it runs as an ordinary user,
commands and jobs run as that one OS user and can reach whatever it can; the docs say so.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .config import FacilityConfig
from .models import FacilityUser

SYSTEM_READ_ONLY = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")


class PathDenied(Exception):
    """The path is outside what the user may reach (or may only be read).

    ``reason`` is the coreutils-style text to show (``Permission denied`` unless the path
    cannot name a file at all). The exception's own text is the resolved path: for logs
    only, never for the caller, since it would reveal where a symlink points.
    """

    def __init__(self, path: str, reason: str = "Permission denied") -> None:
        super().__init__(path)
        self.reason = reason


def is_within(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it (both already resolved)."""
    return path == root or root in path.parents


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def _shared_dirs(config: FacilityConfig) -> list[Path]:
    """Directories no single user's root may contain: the private state, and the parents
    of everyone's homes, scratch and project directories."""
    fs = _real(config.fs_root)
    return [_real(config.private_dir), fs, fs / "homes", fs / "scratch", fs / "projects"]


def user_roots(config: FacilityConfig, user: FacilityUser) -> tuple[list[Path], list[Path]]:
    """(read-write roots, read-only roots), all resolved.

    A read-write root that would hand out more than the user's own tree (a home that is, or
    resolves to, the state directory or the parent of all homes) grants nothing, except in
    a facility serving only its own OS user (``host_user``), whose state may lie in the
    home: there is no other user's tree to hand out (the private part stays closed).
    """
    shared = _shared_dirs(config)
    private = shared[0]
    rw = []
    for p in (user.home, user.scratch, *user.project_dirs):
        root = _real(p)
        hands_out_more = not config.host_user and any(is_within(s, root) for s in shared)
        if not hands_out_more and not is_within(root, private):
            rw.append(root)
    ro = [_real(p) for p in SYSTEM_READ_ONLY if os.path.isdir(p)]
    return rw, ro


def absolute_remote_path(user: FacilityUser, path: str) -> Path:
    """The absolute path the caller means: extra leading slashes dropped, ``~`` and relative
    paths taken from the home directory (a login shell's working directory).

    Raises :class:`PathDenied` for text no file can be named by (a NUL byte).
    """
    if "\0" in path:
        raise PathDenied(path, "No such file or directory")
    text = path
    if text.strip() in ("", "~"):
        return Path(user.home)
    if text.startswith("~/"):
        text = f"{user.home}/{text[2:]}"
    elif not text.startswith("/"):
        text = f"{user.home}/{text}"
    return Path(os.path.normpath("/" + text.lstrip("/")))


def _others_may(real: Path, root: Path, *, stat_only: bool) -> bool:
    """Whether an ordinary user ("other") may reach ``real`` inside the read-only ``root``.

    Directories on the way need ``o+x``; a directory itself ``o+rx`` (to be listed); a file
    ``o+r`` unless only its entry is wanted (``stat_only``, as ``ls -l`` needs). A missing
    path is allowed so that the caller reports "No such file or directory" as ls would.
    """
    try:
        for directory in (p for p in reversed(real.parents) if is_within(p, root)):
            if not os.stat(directory).st_mode & stat.S_IXOTH:
                return False
        mode = os.lstat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    if stat.S_ISLNK(mode):
        return True
    if stat.S_ISDIR(mode):
        return mode & (stat.S_IROTH | stat.S_IXOTH) == stat.S_IROTH | stat.S_IXOTH
    return stat_only or bool(mode & stat.S_IROTH)


def check_access(
    config: FacilityConfig, user: FacilityUser, real: Path, *, write: bool, stat_only: bool = False
) -> None:
    """Raise :class:`PathDenied` unless ``real`` (a resolved path) is the user's to reach."""
    if is_within(real, _real(config.private_dir)):
        raise PathDenied(str(real))
    rw, ro = user_roots(config, user)
    if any(is_within(real, root) for root in rw):
        return
    if not write and not is_within(real, _real(config.state_dir)):
        for root in ro:
            if is_within(real, root) and _others_may(real, root, stat_only=stat_only):
                return
    raise PathDenied(str(real))


def _is_symlink(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def resolve_user_path(
    config: FacilityConfig,
    user: FacilityUser,
    path: str,
    *,
    write: bool,
    follow_symlinks: bool = True,
    stat_only: bool = False,
) -> Path:
    """The absolute path for ``path`` if the user may reach it, else :class:`PathDenied`.

    With ``follow_symlinks=False`` a final symlink itself is checked (by its location),
    not its target, as ``ls -l`` shows a link without opening it. ``stat_only`` asks only
    for a file's entry, not its content (``ls`` of a file).
    """
    absolute = absolute_remote_path(user, path)
    if follow_symlinks or not _is_symlink(absolute):
        real = _real(absolute)
    else:
        real = _real(absolute.parent) / absolute.name
    check_access(config, user, real, write=write, stat_only=stat_only)
    return absolute
