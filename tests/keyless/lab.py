"""A Jupyter server run as the keyless user (``nobody``): no key, Slurm on ``PATH``.

As on NERSC's JupyterHub, the server (and so the side panel's routes, and every kernel it
starts) runs as the OS user whose jobs these are, in their home, with the environment
:meth:`KeylessHost.environment` gives (no ``SFAPI_*`` but the tripwire's API URL). The
toolkit's server extension is enabled by the repository's own ``jupyter-config/`` file.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..browser.servers import REPO, ManagedProcess, free_port
from ..support.jupyter_api import jupyter_api
from .conftest import NOBODY, KeylessHost

SHIPPED_CONFIG = REPO / "jupyter-config" / "jupyter_server_config.d" / "sfapi_jupyter.json"
ARTIFACTS = Path(os.environ.get("SFAPI_TEST_ARTIFACTS", REPO / "test-artifacts"))
LOGS = ARTIFACTS / "keyless"
#: The panel's server asks at most every second (tests; the floor is 1 s).
FAST_PANEL = [
    "--SfApiServer.min_interval=1",
    "--SfApiServer.recent_interval=1",
    "--SfApiServer.output_interval=1",
]


@dataclass
class UserJupyter:
    """A Jupyter server of the keyless user; ``route`` names the side panel's routes."""

    url: str  # ends with "/"
    token: str
    process: ManagedProcess

    @property
    def base_url(self) -> str:
        """Without the final "/" (as tests/browser's ``NotebookUI`` builds its URLs)."""
        return self.url.rstrip("/")

    def route(self, path: str) -> str:
        return f"{self.url}sfapi-jupyter/{path}"

    def api(self, path: str, method: str = "GET") -> Any:
        """Jupyter's own REST API (``/api/sessions``…), as ``NotebookUI`` calls it."""
        return jupyter_api(self.base_url, self.token, path, method)

    def http(self) -> httpx.Client:
        """A tab of that user: the server's token in the header (no XSRF needed then)."""
        return httpx.Client(headers={"Authorization": f"token {self.token}"}, timeout=60)

    def stop(self) -> None:
        self.process.stop(timeout=20)


def _config_path(host: KeylessHost) -> Path:
    """A Jupyter config path the user can read, enabling the toolkit's server extension."""
    config = host.shims.parent / "jupyter-config-path"
    target = config / "jupyter_server_config.d" / SHIPPED_CONFIG.name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SHIPPED_CONFIG, target)
        for path in (config, target.parent):
            path.chmod(0o755)
        target.chmod(0o644)
    return config


def start_jupyter_as_user(
    host: KeylessHost,
    home: Path,
    app: str = "jupyter_server",
    options: tuple[str, ...] = (),
    uid: int = NOBODY,
) -> UserJupyter:
    """``python -m APP`` as ``uid`` in ``home``, on a free loopback port."""
    env = host.environment(
        home, {"JUPYTER_CONFIG_PATH": str(_config_path(host)), "PYTHONUNBUFFERED": "1"}
    )
    token = os.urandom(12).hex()
    last_error: Exception | None = None
    for _ in range(3):  # a free port can be taken between probing and binding
        port = free_port()
        argv = [
            *("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"),
            str(host.python),
            "-m",
            app,
            *("--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0"),
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={home}",
            *FAST_PANEL,
            *options,
        ]
        process = ManagedProcess(app, argv, LOGS / f"{app}-as-user.log", env=env, cwd=home)
        process.start()
        url = f"http://127.0.0.1:{port}/"
        try:
            process.wait_for_url(f"{url}api/status?token={token}", 120)
        except RuntimeError as exc:
            process.stop()
            last_error = exc
            continue
        return UserJupyter(url, token, process)
    raise RuntimeError(f"the user's Jupyter server did not start: {last_error}")
