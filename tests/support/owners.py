"""Handing what a test made to a facility user, for a facility run as root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def give(facility: Any, user: str, *paths: Path) -> None:
    """Hand files the test made (as root, in CI) to ``user``, as if the user had made them.

    A facility run as root isolates users by real OS accounts, so a directory the test
    process creates in a home belongs to root, and the user could not write into it.
    """
    if os.geteuid() != 0:
        return
    account = facility.facility.accounts.get_user(user)
    for path in paths:
        for root, dirs, files in os.walk(path):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), account.uid, account.gid)
        os.lchown(path, account.uid, account.gid)
