"""Keyless mode for real: the toolkit run as an ordinary OS user (``nobody``) on the host's
Slurm, with no key, an empty ``~/.superfacility`` and no ``SFAPI_*`` variable but a tripwire
facility's ``SFAPI_API_URL`` (it may see public status reads, nothing else)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.reachable import reachable_python, without_checkout
from ..support.slurm import require_slurm

NOBODY = 65534
SCENARIO = Path(__file__).with_name("scenario.py")
SLURM_TOOLS = ("squeue", "sacct")
#: Variables of the test run's own (tests/conftest.py points XDG_*, JUPYTER_*, IPYTHONDIR and
#: TMPDIR into root's private temporary home), which nobody cannot enter ("Permission denied:
#: .../sfapi-test-home-.../.local/share/sfapi-jupyter/keyless/private"); a user's own login
#: has none of them, so the toolkit uses the defaults under their HOME.
RUN_ONLY = ("SFAPI_", "XDG_", "JUPYTER", "IPYTHONDIR", "TMPDIR")


class Recorder:
    """ASGI middleware: the path of every request the tripwire receives."""

    def __init__(self, app: Any, seen: list[str]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


@dataclass
class KeylessHost:
    python: Path
    home: Path
    calls: Path
    shims: Path
    tripwire_url: str
    tripwire_seen: list[str] = field(default_factory=list)

    def new_home(self, name: str, uid: int = NOBODY) -> Path:
        """Another empty home (with an empty ~/.superfacility) owned by ``uid``."""
        home = self.home.parent / name
        for directory in (home, home / ".superfacility"):
            directory.mkdir(mode=0o700)
            os.chown(directory, uid, uid)
        return home

    def environment(self, home: Path | None, extra_env: dict[str, str] | None) -> dict[str, str]:
        """The user's environment: no ``SFAPI_*`` but the tripwire's API URL, shims first."""
        env = {k: v for k, v in without_checkout(os.environ).items() if not k.startswith(RUN_ONLY)}
        env.update(
            HOME=str(home or self.home),
            PATH=f"{self.shims}:{self.python.parent}:{env.get('PATH', '/usr/bin:/bin')}",
            SFAPI_API_URL=self.tripwire_url,
            KEYLESS_CALLS=str(self.calls),
            **(extra_env or {}),
        )
        return env

    def run_command(
        self,
        args: list[str],
        *,
        uid: int = NOBODY,
        home: Path | None = None,
        extra_env: dict[str, str] | None = None,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` of the reachable environment, as ``uid``, in ``home``."""
        return subprocess.run(
            [
                *("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"),
                str(self.python),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(home or self.home),
            env=self.environment(home, extra_env),
        )

    def run(
        self,
        step: str,
        *,
        uid: int = NOBODY,
        home: Path | None = None,
        extra_env: dict[str, str] | None = None,
        timeout: float = 600,
    ) -> dict[str, Any]:
        """Run one scenario step as ``uid``; its JSON, with its stderr under ``"stderr"``."""
        # A copy where the user can read it: CI clones into a private (0700) directory.
        script = self.shims.parent / SCENARIO.name
        if not script.exists():
            shutil.copyfile(SCENARIO, script)
            script.chmod(0o644)
        proc = self.run_command(
            [str(script), step], uid=uid, home=home, extra_env=extra_env, timeout=timeout
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        out["stderr"] = proc.stderr
        return out


def ensure_slurm_account(user: str, account: str = "root") -> None:
    """Slurm runs the jobs of users it has an association for; give ``user`` one."""
    shown = subprocess.run(
        ["sacctmgr", "-n", "-P", "show", "user", user, "withassoc", "format=account"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if not shown.strip():
        subprocess.run(
            ["sacctmgr", "-i", "-Q", "add", "user", user, f"account={account}"],
            capture_output=True,
            text=True,
            check=True,
        )


def counting_shims(directory: Path, calls: Path) -> None:
    """``squeue``/``sacct`` that note each call in ``calls/<tool>`` and exec the real ones."""
    for tool in SLURM_TOOLS:
        real = shutil.which(tool)
        assert real, f"{tool} not on PATH"
        shim = directory / tool
        shim.write_text(f'#!/bin/sh\necho x >> "{calls}/{tool}"\nexec {real} "$@"\n')
        shim.chmod(0o755)


@pytest.fixture(scope="module")
def keyless_host() -> Iterator[KeylessHost]:
    yield from _keyless_host(("facility",))


@pytest.fixture(scope="module")
def keyless_notebook_host() -> Iterator[KeylessHost]:
    """The same, with a kernel and nbval in the environment ``nobody`` runs."""
    yield from _keyless_host(("facility", "test"))


@pytest.fixture(scope="module")
def keyless_lab_host() -> Iterator[KeylessHost]:
    """The same, with JupyterLab, its prebuilt extensions and this checkout's side panel
    (tests/hub/env.py's environment, which every OS user can run)."""
    from tests.hub.env import hub_python

    yield from _keyless_host(("demo",), hub_python)


def _keyless_host(
    extras: tuple[str, ...],
    environment: Callable[[], AbstractContextManager[Path]] | None = None,
) -> Iterator[KeylessHost]:
    if os.geteuid() != 0:
        pytest.skip("runs the toolkit as another OS user (nobody): needs root")
    require_slurm()
    import pwd

    ensure_slurm_account(pwd.getpwuid(NOBODY).pw_name)
    root = Path(tempfile.mkdtemp(prefix="sfapi-keyless-", dir="/tmp"))
    root.chmod(0o755)
    home, calls, shims = root / "home", root / "calls", root / "shims"
    for directory in (home, calls, shims, home / ".superfacility"):
        directory.mkdir()
        os.chown(directory, NOBODY, NOBODY)
    home.chmod(0o700)
    calls.chmod(0o777)
    counting_shims(shims, calls)
    seen: list[str] = []
    tripwire = LocalFacility(fast_config(root / "tripwire"))
    tripwire.app.add_middleware(Recorder, seen=seen)
    try:
        python_env = environment() if environment else reachable_python(extras)
        with python_env as python, tripwire:
            yield KeylessHost(python, home, calls, shims, tripwire.api_url, seen)
    finally:
        subprocess.run(["rm", "-rf", str(root)], check=False)
