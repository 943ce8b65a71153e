"""A local facility that logs what it receives, and a real Jupyter server in front of it.

The Jupyter server is a subprocess on loopback (``python -m jupyter_server``), enabled by the
repository's own ``jupyter-config/`` file, with its own home (its key, if any, is in
``~/.superfacility/`` there) and a log file the tests read. The facility runs in the test's
process, recording every API request (tests/support/request_log.py: it can also answer job
listings with 429), so counts are what the API saw.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility

from ..browser.servers import ManagedProcess, free_port

REPO = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = REPO / "jupyter-config" / "jupyter_server_config.d" / "sfapi_jupyter.json"


@dataclass
class Jupyter:
    """A running Jupyter server; ``get``/``post`` reach the extension's routes with the token."""

    url: str  # with the base URL, ending in "/"
    token: str
    home: Path
    process: ManagedProcess

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def route(self, path: str) -> str:
        return f"{self.url}sfapi-jupyter/{path}"

    def http(self, **options: Any) -> httpx.AsyncClient:
        """A browser tab: token in the header (as JupyterLab's fetches send it)."""
        headers = {"Authorization": f"token {self.token}"}
        return httpx.AsyncClient(headers=headers, timeout=60, **options)

    def stop(self) -> None:
        self.process.stop()


def write_key(home: Path, creds: NewClient) -> Path:
    """The key where ``Client()`` looks: ``~/.superfacility/key.pem``, id on line 1, 0600."""
    folder = home / ".superfacility"
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "key.pem"
    key.write_text(f"{creds.client_id}\n{creds.private_key_pem.strip()}\n")
    key.chmod(0o600)
    return key


def start_jupyter(
    root: Path,
    facility: LocalFacility,
    creds: NewClient | None,
    settings: dict[str, Any] | None = None,
    base_url: str = "/user/elvis/",
    app: str = "jupyter_server",
) -> Jupyter:
    """``python -m APP`` (``jupyter_server``, ``jupyterlab``, ``notebook``) with the shipped
    config (and ``SfApiServer`` settings)."""
    home, config = root / "home", root / "jupyter-config-path"
    for d in (home, config / "jupyter_server_config.d", root / "runtime", root / "notebooks"):
        d.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED_CONFIG, config / "jupyter_server_config.d" / SHIPPED_CONFIG.name)
    (config / "jupyter_server_config.json").write_text(json.dumps({"SfApiServer": settings or {}}))
    if creds is not None:
        write_key(home, creds)
    env = {
        **os.environ,
        "HOME": str(home),
        "PYTHONPATH": str(REPO),  # this checkout's package, whatever the venv installed
        "JUPYTER_CONFIG_PATH": str(config),
        "JUPYTER_CONFIG_DIR": str(root / "jupyter-config-dir"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "SFAPI_API_URL": facility.api_url,
        "SFAPI_TOKEN_URL": facility.token_url,
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SFAPI_CLIENT_ID", "SFAPI_KEY", "SFAPI_SECRET", "JUPYTER_PATH"):
        env.pop(name, None)
    token = os.urandom(12).hex()
    port = free_port()
    listen = ["--no-browser", "--allow-root", "--ip", "127.0.0.1", f"--port={port}"]
    server = [
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.base_url={base_url}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
        "--ServerApp.log_level=DEBUG",
    ]
    process = ManagedProcess(
        "jupyter",
        [sys.executable, "-m", app, *listen, *server],
        root / "jupyter.log",
        env=env,
        cwd=root / "notebooks",
    )
    process.start()
    url = f"http://127.0.0.1:{port}{base_url}"
    try:
        process.wait_for_url(f"{url}api/status?token={token}", 90)
    except RuntimeError:
        process.stop()
        raise
    return Jupyter(url, token, home, process)


def wait_for(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:g} s: {what}")
