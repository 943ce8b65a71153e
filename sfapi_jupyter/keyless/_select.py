"""Whether this host can serve keyless, and the one line that says which way is used."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import httpx

from ..client._errors import CredentialsError

#: Where keyless mode keeps its records (jobs submitted, tasks): a restarted kernel finds
#: its jobs there. Default: ``~/.local/share/sfapi-jupyter/keyless``.
ENV_STATE = "SFAPI_KEYLESS_STATE"

_told: set[str] = set()
_told_lock = threading.Lock()


class KeylessError(CredentialsError):
    """This host's Slurm cannot serve keyless (the message says why and what to do)."""


def tell_once(line: str) -> None:
    """Print ``line`` to stderr once per process (a notebook shows it under the cell)."""
    with _told_lock:
        if line in _told:
            return
        _told.add(line)
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def state_dir() -> Path:
    chosen = os.environ.get(ENV_STATE, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("sfapi-jupyter")) / "keyless"


def keyless_transport(api_base_url: str) -> httpx.AsyncBaseTransport:
    """The keyless transport for this process's OS user; raises :class:`KeylessError`."""
    try:
        from ..facility.config import FacilityConfig
        from ..facility.host_user import HostUserError, host_user_app, slurm_problem
    except ImportError as exc:
        raise KeylessError(
            f"keyless mode needs the facility's packages ({exc.name} is missing): "
            "pip install 'sfapi_jupyter[facility]'"
        ) from None
    from .transport import KeylessTransport

    problem = slurm_problem()
    if problem is not None:
        raise KeylessError(
            f"no keyless mode: {problem}: try again when `sinfo` answers, or put an API key "
            "in ~/.superfacility/"
        )
    try:
        app = host_user_app(FacilityConfig(state_dir=state_dir(), backend="slurm"))
    except HostUserError as exc:
        raise KeylessError(f"no keyless mode: {exc}") from None
    return KeylessTransport(api_base_url, app)


def provide(api_base_url: str, required: bool) -> httpx.AsyncBaseTransport | None:
    """The client's hook: the keyless transport, or None (then the SF API is used).

    Asked for (``required``), every obstacle raises its one line. Chosen by default (no key
    found), a host without Slurm commands, or a root process, quietly keeps the SF API; a
    host whose Slurm commands are here but cannot serve says why once.
    """
    if not required and (os.geteuid() == 0 or shutil.which("sbatch") is None):
        return None
    try:
        transport = keyless_transport(api_base_url)
    except KeylessError as exc:
        if required:
            raise
        tell_once(f"sfapi_jupyter: no API key found, and {exc}; meanwhile only public status works")
        return None
    user = transport.user  # type: ignore[attr-defined]
    tell_once(
        f"sfapi_jupyter: keyless: no API key needed here; jobs and files go through this "
        f"node's Slurm as {user} (status and outages still come from the SF API)"
    )
    return transport
