"""The facility for one person: the OS user running it, as themself, with no token.

Where the Slurm commands already work as the user (a kernel on a NERSC login node or
JupyterHub), the facility's routes and its ``slurm`` backend can answer SF API calls for
that user directly: :func:`host_user_app` is the facility's application for the process's
own OS user. Nobody is provisioned: the user is the one ``pwd`` names, with their own home,
``$SCRATCH`` and files; their projects are the Slurm accounts their associations name
(``sacctmgr``), the way ``sbatch -A`` knows them. The facility's database (jobs submitted
this way, tasks) lives in ``config.state_dir`` as usual, so a restarted kernel finds its
jobs again.

What only the real API knows is refused with one line saying so: allocation balances,
Globus transfers, API clients and groups.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import Identity
from .backends.base import FacilityUser
from .config import API_PREFIX, FacilityConfig
from .core import Facility
from .deps import IDENTITY_KEY

#: Seconds ``sinfo``/``sacctmgr`` may take before Slurm counts as not answering.
PROBE_TIMEOUT = 15.0
#: The client id an identity served this way carries (it names no API client).
HOST_CLIENT_ID = "host-user"
NEEDS_KEY = "needs the SF API and an API client key (Iris); the local Slurm cannot do it"


class HostUserError(RuntimeError):
    """Slurm cannot serve this user (one line saying why and what to do)."""


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL
    )


def slurm_problem() -> str | None:
    """Why this host's Slurm cannot take jobs now (None: ``sinfo`` answers)."""
    missing = [t for t in ("sbatch", "squeue", "sacct", "scancel", "sinfo") if not shutil.which(t)]
    if missing:
        return f"the Slurm commands are not here ({', '.join(missing)} not on PATH)"
    try:
        done = _run(["sinfo", "-h", "-o", "%T"])
    except subprocess.TimeoutExpired:
        return (
            "the Slurm commands are here but the controller did not answer sinfo in "
            f"{PROBE_TIMEOUT:.0f} s"
        )
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the Slurm commands are here but the controller does not answer ({why})"
    return None


def slurm_accounts(user: str) -> list[str] | None:
    """The Slurm accounts of ``user``'s associations, the default first; None when Slurm
    keeps no accounting (``sacctmgr`` missing or failing), so nothing can be known."""
    if not shutil.which("sacctmgr"):
        return None
    try:
        argv = ["sacctmgr", "-n", "-P", "show", "user", user, "withassoc"]
        done = _run([*argv, "format=defaultaccount,account"])
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    accounts: list[str] = []
    for line in done.stdout.splitlines():
        default, _, account = line.strip().partition("|")
        for name in (default, account):
            if name and name not in accounts:
                accounts.append(name)
    return accounts


def current_user() -> FacilityUser:
    """The process's OS user as a facility user: ``$HOME``, ``$SCRATCH`` (else the home)
    and the Slurm accounts of their associations as projects.

    Raises :class:`HostUserError` for root (keyless mode is one person's, and a root kernel
    has no Slurm account of its own at a site) and for a user Slurm has no account for.
    """
    if os.geteuid() == 0:
        raise HostUserError(
            "keyless mode runs as an ordinary user, not root: use an API key, or start the "
            "kernel as the user whose jobs these are"
        )
    entry = pwd.getpwuid(os.geteuid())
    accounts = slurm_accounts(entry.pw_name)
    if accounts == []:
        raise HostUserError(
            f"Slurm has no account for user {entry.pw_name!r} (sacctmgr shows no association), "
            "so it would refuse their jobs: ask your site to add one, or use an API key"
        )
    # The home the user's shell has (on a NERSC node the same as the password entry's).
    home = Path(os.environ.get("HOME") or entry.pw_dir)
    scratch = Path(os.environ.get("SCRATCH") or home)
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = entry.pw_name
    return FacilityUser(
        name=entry.pw_name,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        group=group,
        home=home,
        scratch=scratch if scratch.is_dir() else home,
        projects=tuple(accounts or ()),
    )


def _user_doc(user: FacilityUser) -> dict[str, Any]:
    gecos = pwd.getpwuid(user.uid).pw_gecos.split(",")[0].split()
    return {
        "uid": user.uid,
        "name": user.name,
        "firstname": gecos[0] if gecos else None,
        "lastname": gecos[-1] if len(gecos) > 1 else None,
        "middlename": None,
        "workphone": None,
        "otherPhones": None,
        "email": None,
    }


def _account_routes(user: FacilityUser) -> FastAPI:
    """``/account`` as Slurm knows the user: who they are and their Slurm accounts."""
    front = FastAPI(redirect_slashes=False, openapi_url=None, docs_url=None)
    balance = f"Slurm account of {user.name}; its allocation balance {NEEDS_KEY}"

    @front.get(f"{API_PREFIX}/account")
    @front.get(f"{API_PREFIX}/account/")
    def get_user(username: str | None = None) -> dict[str, Any]:
        if username not in (None, user.name):
            raise HTTPException(404, f"Not found: looking up another user {NEEDS_KEY}")
        return _user_doc(user)

    @front.get(f"{API_PREFIX}/account/projects")
    def get_projects() -> list[dict[str, Any]]:
        return [
            {"id": i, "description": balance, "repo_name": name, "iris_role": None}
            for i, name in enumerate(user.projects, 1)
        ]

    @front.get(f"{API_PREFIX}/account/roles")
    def get_roles() -> list[dict[str, Any]]:
        return [
            {"id": i, "repo_name": name, "iris_role": None}
            for i, name in enumerate(user.projects, 1)
        ]

    @front.get(f"{API_PREFIX}/account/clients")
    def get_clients() -> list[dict[str, Any]]:
        return []  # this way uses no API client

    @front.api_route(f"{API_PREFIX}/account/{{rest:path}}", methods=["GET", "POST", "PUT"])
    def account_other(rest: str) -> None:
        raise HTTPException(403, f"/account/{rest} {NEEDS_KEY}")

    @front.api_route(f"{API_PREFIX}/storage/{{_rest:path}}", methods=["GET", "POST"])
    def storage() -> None:
        raise HTTPException(403, f"A Globus transfer {NEEDS_KEY}")

    return front


class HostUserApp:
    """The facility's API for the OS user running it: every request is theirs, no token.

    Call :meth:`startup` (the backend's checks) before the first request and
    :meth:`shutdown` at the end; an ASGI server's lifespan is not used.
    """

    def __init__(self, config: FacilityConfig, user: FacilityUser | None = None) -> None:
        from .app import create_app

        config.host_user = True
        self.user = user or current_user()
        self.facility = Facility(config)
        self.identity = Identity(self.user, HOST_CLIENT_ID, "red")
        self._front = _account_routes(self.user)
        self._front.mount("/", create_app(self.facility))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[IDENTITY_KEY] = self.identity
        app: ASGIApp = self._front
        await app(scope, receive, send)

    async def startup(self) -> None:
        await self.facility.startup()

    async def shutdown(self) -> None:
        await self.facility.shutdown()
        self.facility.close()


def host_user_app(config: FacilityConfig, user: FacilityUser | None = None) -> HostUserApp:
    """The facility's application serving only this process's OS user, with no token."""
    return HostUserApp(config, user)
