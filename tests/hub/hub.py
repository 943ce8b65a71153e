"""A real JupyterHub for tests: PAM logins of real OS users, LocalProcessSpawner, the npm proxy.

:class:`Hub` writes a ``jupyterhub_config.py`` into a temporary state directory (the Hub's
database, cookie secret and the proxy's pid file stay there), starts ``python -m jupyterhub``
as root on loopback and stops it by PID (the Hub stops the users' servers and the proxy it
started). Logins go through the Hub's own login form (PAMAuthenticator: each user's own OS
password; ``PAMAuthenticator.open_sessions`` stays off, as its default, since no session
manager runs here). A service token with the ``admin`` role lets the tests ask the Hub's REST
API (users, servers) and make each user a token of their own (:meth:`Hub.user_token`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.browser.servers import ManagedProcess, free_port
from tests.support.reachable import without_checkout

HERE = Path(__file__).resolve().parent
#: ``npm ci`` in tests/hub (``.ci/run`` does) installs it here.
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "sfapi-tests"

_CONFIG = """\
# Written by tests/hub/hub.py for one test run.
import json
settings = json.loads({settings!r})
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.JupyterHub.db_url = "sqlite:///" + settings["state"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = settings["state"] + "/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = settings["state"] + "/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.log_level = "INFO"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % settings["proxy_api_port"]
c.ConfigurableHTTPProxy.pid_file = settings["state"] + "/proxy.pid"
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(settings["users"])
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [settings["python"], "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.args = [
    "--LabApp.expose_app_in_browser=True",
    "--JupyterNotebookApp.expose_app_in_browser=True",
    # The side panel's floor (docs/panel.md), so a test sees a change within a second or two.
    "--SfApiServer.min_interval=1",
    "--SfApiServer.recent_interval=2",
]
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = settings["environment"]
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.JupyterHub.services = [{{"name": "{service}", "api_token": settings["token"]}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["{service}"]}}]
"""


@dataclass
class Hub:
    """One JupyterHub: ``url`` is the proxy's public address (what a browser opens)."""

    state: Path
    port: int
    token: str
    process: ManagedProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        state: Path,
        logs: Path,
        *,
        python: Path,
        users: list[str],
        environment: dict[str, str],
        timeout: float = 90,
    ) -> Hub:
        """Start the Hub (as root) whose users run ``python -m jupyterhub.singleuser``."""
        if not PROXY.exists():
            raise RuntimeError(f"{PROXY} is missing: run `npm ci` in {HERE}")
        state.mkdir(parents=True, exist_ok=True)
        state.chmod(0o700)  # the cookie secret and the Hub's database: root's alone
        token = os.urandom(16).hex()
        last_error: Exception | None = None
        for _ in range(3):  # a free port can be taken between probing and binding
            port = free_port()
            settings = {
                "port": port,
                "hub_port": free_port(),
                "proxy_api_port": free_port(),
                "state": str(state),
                "proxy": str(PROXY),
                "users": users,
                "python": str(python),
                "environment": environment,
                "token": token,
            }
            config = state / "jupyterhub_config.py"
            config.write_text(_CONFIG.format(settings=json.dumps(settings), service=SERVICE))
            env = without_checkout(os.environ)
            # The proxy is a node script: node must be on PATH, from wherever npm put it.
            node = shutil.which("node")
            if node:
                env["PATH"] = f"{Path(node).parent}:{env.get('PATH', '/usr/bin:/bin')}"
            process = ManagedProcess(
                "jupyterhub",
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                logs / "jupyterhub.log",
                env=env,
                cwd=state,
            )
            process.start()
            hub = cls(state, port, token, process)
            try:
                hub.wait_ready(timeout)
            except RuntimeError as exc:
                process.stop()
                last_error = exc
                continue
            return hub
        raise RuntimeError(f"JupyterHub did not start: {last_error}")

    def wait_ready(self, timeout: float) -> None:
        """Until the Hub answers through its proxy (the proxy answers 404 until the Hub has
        added its route, so any answer is not enough)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise RuntimeError(
                    f"JupyterHub exited before answering; see {self.process.log_path}:\n"
                    f"{self.process.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/hub/api", timeout=5).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(
            f"JupyterHub did not answer within {timeout:.0f} s; see {self.process.log_path}:\n"
            f"{self.process.log_tail()}"
        )

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The Hub's REST API (``/hub/api/...``) with the tests' admin service token."""
        headers = {"Authorization": f"token {self.token}"}
        return httpx.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kwargs
        )

    def user_token(self, name: str, note: str = "tests") -> str:
        """A new API token of user ``name`` (it acts as that user, and only as that user)."""
        answer = self.api("POST", f"/users/{name}/tokens", json={"note": note})
        answer.raise_for_status()
        return str(answer.json()["token"])

    def server_ready(self, name: str) -> bool:
        answer = self.api("GET", f"/users/{name}")
        answer.raise_for_status()
        server = answer.json().get("servers", {}).get("")
        return bool(server and server.get("ready"))

    def stop(self) -> None:
        # SIGTERM: the Hub stops every user's server (cleanup_servers) and its proxy.
        self.process.stop(timeout=30)
        pid_file = self.state / "proxy.pid"
        if pid_file.exists():  # the proxy of a Hub that was killed: stop it by its PID
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, 15)
            except (ValueError, ProcessLookupError, PermissionError):
                pass
