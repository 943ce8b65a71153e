"""What a user may reach through ``ls``, download, upload and ``isPath`` submits.

A login node gives a user their own home and scratch (read-write), their projects'
directories (read-write), and the system's read-only directories, so ``ls /usr/bin/hostname``
behaves as at NERSC. Nothing else: not another user's tree, not the facility's own state
(keys, database, job spool), whether asked for with ``..``, an absolute path or a symlink.

Every check is made on the fully resolved path (``realpath``), so a symlink inside a home
that points at another home is refused just like the direct path.

Commands and batch jobs are different: they run as the facility's OS user, so they can
reach whatever that OS user can. The facility's docs say so plainly.
"""

from __future__ import annotations

import os
from pathlib import Path

from .backends.base import FacilityUser
from .config import FacilityConfig

SYSTEM_READ_ONLY = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")


class PathDenied(Exception):
    """The path is outside what the user may reach (or may only be read)."""


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def user_roots(config: FacilityConfig, user: FacilityUser) -> tuple[list[Path], list[Path]]:
    """(read-write roots, read-only roots), all resolved."""
    rw = [Path(os.path.realpath(p)) for p in (user.home, user.scratch, *user.project_dirs)]
    ro = [Path(os.path.realpath(p)) for p in SYSTEM_READ_ONLY if os.path.isdir(p)]
    return rw, ro


def absolute_remote_path(user: FacilityUser, path: str) -> Path:
    """The absolute path the caller means: extra leading slashes dropped, ``~`` and relative
    paths taken from the home directory (a login shell's working directory)."""
    text = path.strip()
    if text in ("", "~"):
        return Path(user.home)
    if text.startswith("~/"):
        text = f"{user.home}/{text[2:]}"
    elif not text.startswith("/"):
        text = f"{user.home}/{text}"
    return Path(os.path.normpath("/" + text.lstrip("/")))


def check_access(config: FacilityConfig, user: FacilityUser, real: Path, *, write: bool) -> None:
    """Raise :class:`PathDenied` unless ``real`` (a resolved path) is the user's to reach."""
    rw, ro = user_roots(config, user)
    if any(_within(real, root) for root in rw):
        return
    state = Path(os.path.realpath(config.state_dir))
    if not write and not _within(real, state) and any(_within(real, root) for root in ro):
        return
    raise PathDenied(str(real))


def resolve_user_path(
    config: FacilityConfig,
    user: FacilityUser,
    path: str,
    *,
    write: bool,
    follow_symlinks: bool = True,
) -> Path:
    """The absolute path for ``path`` if the user may reach it, else :class:`PathDenied`.

    With ``follow_symlinks=False`` a final symlink itself is checked (by its location),
    not its target, as ``ls -l`` shows a link without opening it.
    """
    absolute = absolute_remote_path(user, path)
    if follow_symlinks or not absolute.is_symlink():
        check_access(config, user, Path(os.path.realpath(absolute)), write=write)
    else:
        parent = Path(os.path.realpath(absolute.parent))
        check_access(config, user, parent / absolute.name, write=write)
    return absolute
