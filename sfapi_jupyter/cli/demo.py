"""The demo: a local facility plus JupyterLab on the quickstart notebook, in one command.

``sfapi-jupyter demo`` (``make demo``) serves the facility on loopback, writes a demo key
to ``~/.superfacility/local-facility.pem`` (client id on line 1, mode 600), and starts
JupyterLab with ``SFAPI_API_URL``, ``SFAPI_TOKEN_URL`` and ``SFAPI_KEY`` set, so every
kernel's ``Client()`` and every magic talks to the facility. Ctrl-C stops both.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..facility.accounts import client_is_usable
from ..facility.config import FacilityConfig

DEFAULT_KEY_FILE = "~/.superfacility/local-facility.pem"
NOTEBOOKS = ("quickstart.ipynb",)


def demo_user() -> str:
    user = "".join(c for c in getpass.getuser() if c.isalnum())
    return user if user[:1].isalpha() else "demo"


def ensure_demo_key(facility: Any, user: str, key_file: Path) -> str:
    """Reuse the demo key if it still works with this state directory, else make a new one."""
    if key_file.exists():
        client_id = key_file.read_text().split("\n", 1)[0].strip()
        if client_is_usable(facility.store.get_client(client_id)):
            return client_id
    client = facility.accounts.create_client(
        user, level="red", name="local demo", lifetime=dt.timedelta(days=30)
    )
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = key_file.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)
    tmp.write_text(client.key_file_text)
    tmp.replace(key_file)
    return client.client_id


def notebook_sources() -> Path | None:
    """The repository's ``notebooks/`` folder, when running from a checkout."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    return here if (here / NOTEBOOKS[0]).exists() else None


def prepare_workdir(state: Path) -> Path:
    """Copy the tutorial notebooks into the state directory once (the demo edits copies)."""
    workdir = state / "notebooks"
    workdir.mkdir(parents=True, exist_ok=True)
    source = notebook_sources()
    if source is not None:
        for name in NOTEBOOKS:
            if not (workdir / name).exists():
                shutil.copy2(source / name, workdir / name)
    return workdir


def kernel_environment(api_url: str, token_url: str, key_file: Path) -> dict[str, str]:
    return {"SFAPI_API_URL": api_url, "SFAPI_TOKEN_URL": token_url, "SFAPI_KEY": str(key_file)}


def run_demo(
    state: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    lab_port: int = 8888,
    key_file: str = DEFAULT_KEY_FILE,
    lab: bool = True,
) -> int:
    """Serve the facility and JupyterLab until Ctrl-C."""
    from ..facility.server import LocalFacility

    key_path = Path(key_file).expanduser()
    # A SIGTERM (a terminal closing, a supervisor) stops the demo as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    with LocalFacility(FacilityConfig(state_dir=state), host=host, port=port) as facility:
        user = demo_user()
        client_id = ensure_demo_key(facility.facility, user, key_path)
        env = kernel_environment(facility.api_url, facility.token_url, key_path)
        print(f"Local SF API facility: {facility.api_url}  (tokens: {facility.token_url})")
        print(f"Demo user {user!r}, client {client_id}; key in {key_path} (mode 600)")
        print("In a shell:  export " + " ".join(f"{k}={v}" for k, v in env.items()))
        if not lab:
            print("Serving until Ctrl-C.")
            return _sleep_until_interrupted()
        return _run_lab(prepare_workdir(facility.config.state_dir), env, host, lab_port)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _sleep_until_interrupted() -> int:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def _run_lab(workdir: Path, env: dict[str, str], host: str, lab_port: int) -> int:
    token = secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--ip={host}", f"--port={lab_port}",
        f"--ServerApp.root_dir={workdir}", f"--IdentityProvider.token={token}",
        "--LabApp.default_url=/lab/tree/quickstart.ipynb",
    ]  # fmt: skip
    if os.geteuid() == 0:
        argv.append("--allow-root")
    url = f"http://{host}:{lab_port}/lab/tree/quickstart.ipynb?token={token}"
    print(f"\nJupyterLab on the quickstart:  {url}", flush=True)
    print(f"(notebooks in {workdir}; Ctrl-C stops everything)\n", flush=True)
    lab = subprocess.Popen(argv, env={**os.environ, **env})
    try:
        return lab.wait()
    except KeyboardInterrupt:
        lab.terminate()
        try:
            lab.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lab.kill()
        return 0
