"""Handing what a test made to a facility user, for a facility run as root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def give_to_account(user: str, *paths: Path) -> None:
    """:func:`give`, for a facility in another process: by the user's OS account's name."""
    if os.geteuid() != 0:
        return
    import pwd

    account = pwd.getpwnam(user)
    _chown_all(paths, account.pw_uid, account.pw_gid)


def _chown_all(paths: tuple[Path, ...], uid: int, gid: int) -> None:
    for path in paths:
        for root, dirs, files in os.walk(path):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), uid, gid)
        os.lchown(path, uid, gid)


def give(facility: Any, user: str, *paths: Path) -> None:
    """Hand files the test made (as root, in CI) to ``user``, as if the user had made them.

    A facility run as root isolates users by real OS accounts, so a directory the test
    process creates in a home belongs to root, and the user could not write into it.
    """
    if os.geteuid() != 0:
        return
    account = facility.facility.accounts.get_user(user)
    _chown_all(paths, account.uid, account.gid)
