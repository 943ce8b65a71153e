"""Two test runs as root on one host: each removes only its own facilities' OS accounts.

A run's sweeper removes the facility accounts that appear while it runs once their facility
has closed. Before runs had directories of their own, a second run (a developer's quick
``pytest tests/widgets`` beside CI) counted the first run's new accounts as its own and
removed them in the instant between the first run's facility closing and that facility's
own removal: ``userdel: cannot remove entry 'elvis'`` failed the first run.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sfapi_jupyter.facility.os_accounts import create_os_user, free_id, os_user, remove_os_user
from tests.support.host_accounts import RUN_PREFIX, FacilityAccountSweeper

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="OS accounts need root")

#: Holds a run directory's lock, as a live test run does, until its stdin closes.
_HOLD_LOCK = """
import fcntl, sys
lock = open(sys.argv[1] + "/.run.lock", "w")
fcntl.flock(lock, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def _account_of_another_run(run_dir: Path, name: str) -> None:
    home = run_dir / "state" / "fs" / "homes" / name
    home.mkdir(parents=True)
    taken = {p.pw_uid for p in pwd.getpwall()}
    uid = free_id(4_100_000, taken, group=False)
    create_os_user(name, uid, 65534, home, "zz9test")


def test_a_live_runs_accounts_are_left_to_it_and_a_dead_runs_are_removed():
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir="/tmp"))
    name = "sfconc" + run_dir.name[-6:].lower().replace("_", "x")
    other_run = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(run_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other_run.stdout is not None and other_run.stdout.readline() == "locked\n"
        sweeper = FacilityAccountSweeper()  # this run's, started before the account appears
        _account_of_another_run(run_dir, name)
        sweeper.sweep()
        assert os_user(name) is not None, "this run removed another live run's account"
        assert FacilityAccountSweeper().sweep() == []  # nor at the start of a third run
        assert os_user(name) is not None
    finally:
        assert other_run.stdin is not None
        other_run.stdin.close()
        other_run.wait(timeout=30)
    try:
        # The other run was killed before it could clean up: its account is a leftover now,
        # for this run to remove (or for any other run on the host that saw it first).
        removed = FacilityAccountSweeper().sweep()
        assert os_user(name) is None, removed
    finally:
        if os_user(name) is not None:
            remove_os_user(name)
