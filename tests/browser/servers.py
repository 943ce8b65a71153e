"""The processes a browser test run needs: the local facility and a Jupyter server.

Both run as subprocesses in their own session (so a kill reaches what they started), log to
files in the artifacts directory, and are stopped by PID: SIGTERM first (the facility ends
its jobs, Jupyter shuts its kernels down), SIGKILL to the process group if that hangs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..support.jupyter_api import jupyter_api

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CLI = (
    [str(VENV_BIN / "sfapi-jupyter")]
    if (VENV_BIN / "sfapi-jupyter").exists()
    else [
        sys.executable,
        "-m",
        "sfapi_jupyter",
    ]
)
OVERRIDES = Path(__file__).with_name("lab-overrides.json")
#: The NERSC panel as this checkout built it (labextension/ → here; never committed).
PANEL_BUILD = REPO / "sfapi_jupyter" / "labextension"
#: The server extension's intervals for tests: the panel polls every 2 s (its settings in
#: lab-overrides.json), so the server's floor is lowered to match.
PANEL_SERVER_ARGS = [
    "--SfApiServer.min_interval=2",
    "--SfApiServer.recent_interval=2",
    "--SfApiServer.output_interval=1",
]


def panel_data_dir(root: Path) -> Path:
    """A Jupyter data directory holding only this checkout's panel build (put on JUPYTER_PATH:
    it comes before the venv's copy, which an editable install made once and never updates)."""
    if not (PANEL_BUILD / "package.json").exists():
        raise RuntimeError(
            f"the NERSC panel is not built ({PANEL_BUILD} is missing): run "
            "`npm --prefix labextension ci && npm --prefix labextension run build`"
        )
    data = root / "jupyter-data"
    link = data / "labextensions" / "sfapi-jupyter-panel"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(PANEL_BUILD, target_is_directory=True)
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _url_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is listening
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class ManagedProcess:
    """A subprocess started by the test run, its log, and how to stop it."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_for_url(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with status {self.proc.returncode if self.proc else '?'}"
                    f" before answering; see {self.log_path}:\n{self.log_tail()}"
                )
            if _url_answers(url):
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} did not answer {url} within {timeout:.0f} s; see {self.log_path}:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        if self.proc is not None:
            # The process group is the one this run created (start_new_session): it holds
            # whatever the server started (kernels, job processes) and nothing else.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class FacilityServer:
    """``sfapi-jupyter facility serve`` on a free loopback port, with a key for elvis."""

    state_dir: Path
    key_file: Path
    process: ManagedProcess
    port: int
    client_id: str = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1.2"

    @property
    def token_url(self) -> str:
        return self.base_url + "/c2id/token"

    @classmethod
    def start(cls, root: Path, logs: Path, user: str = "elvis") -> FacilityServer:
        state, key = root / "facility-state", root / "keys" / f"{user}.pem"
        # The key first: admin commands work on the state directory directly.
        create = [*CLI, "facility", "client", "create", "--state", str(state)]
        created = subprocess.run(
            [*create, "--user", user, "--key-file", str(key)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if created.returncode != 0:
            raise RuntimeError(f"facility client create failed:\n{created.stdout}{created.stderr}")
        client_id = key.read_text().split("\n", 1)[0].strip()
        last_error: Exception | None = None
        serve = [*CLI, "facility", "serve", "--state", str(state), "--log-level", "warning"]
        for _ in range(3):  # a free port can be taken between probing and binding
            port = free_port()
            process = ManagedProcess(
                "facility", [*serve, "--port", str(port)], logs / "facility.log"
            )
            process.start()
            try:
                process.wait_for_url(f"http://127.0.0.1:{port}/api/v1.2/status", timeout=60)
            except RuntimeError as exc:
                process.stop()
                last_error = exc
                continue
            return cls(state, key, process, port, client_id)
        raise RuntimeError(f"the facility did not start: {last_error}")

    def client(self) -> Any:
        """A blocking ``sfapi_jupyter`` client with elvis's key (for out-of-band set-up)."""
        from sfapi_jupyter.client import Client

        return Client(api_base_url=self.api_url, token_url=self.token_url, key=str(self.key_file))

    def stop(self) -> None:
        self.process.stop()


def user_settings(settings_dir: Path) -> None:
    """Write ``lab-overrides.json`` as per-run user settings (JUPYTERLAB_SETTINGS_DIR).

    JupyterLab reads ``overrides.json`` only from the application directory (shared by the
    whole venv); user settings have the same effect and live in this run's temporary dir.
    Notebook 7 reads the same directory.
    """
    for plugin_id, values in json.loads(OVERRIDES.read_text()).items():
        package, _, plugin = plugin_id.partition(":")
        path = settings_dir / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


@dataclass
class JupyterServer:
    """One Jupyter server: JupyterLab 4 at ``/lab`` and Notebook 7 at ``/tree``, ``/notebooks``."""

    root_dir: Path
    runtime_dir: Path
    token: str
    port: int
    process: ManagedProcess

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, root: Path, logs: Path, kernel_env: dict[str, str]) -> JupyterServer:
        notebooks, home = root / "notebooks", root / "home"
        runtime, settings = root / "jupyter-runtime", root / "lab-user-settings"
        for d in (notebooks, home, runtime):
            d.mkdir(parents=True, exist_ok=True)
        user_settings(settings)
        env = {
            **os.environ,
            **kernel_env,
            # Everything Jupyter writes goes under this run's directory; nothing global changes.
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(runtime),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(root / "lab-workspaces"),
            "IPYTHONDIR": str(root / "ipython"),
            "PYTHONUNBUFFERED": "1",
        }
        env["JUPYTER_PATH"] = str(panel_data_dir(root))
        token = os.urandom(12).hex()
        last_error: Exception | None = None
        options = [
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            # window.jupyterapp, so tests can ask the session whether it is idle
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",
            *PANEL_SERVER_ARGS,
        ]
        for _ in range(3):
            port = free_port()
            lab = [sys.executable, "-m", "jupyterlab", *options, f"--port={port}"]
            process = ManagedProcess("jupyter", lab, logs / "jupyter.log", env=env, cwd=notebooks)
            process.start()
            try:
                process.wait_for_url(f"http://127.0.0.1:{port}/api/status?token={token}", 90)
            except RuntimeError as exc:
                process.stop()
                last_error = exc
                continue
            return cls(notebooks, runtime, token, port, process)
        raise RuntimeError(f"the Jupyter server did not start: {last_error}")

    def api(self, path: str, method: str = "GET") -> Any:
        return jupyter_api(self.base_url, self.token, path, method)

    def stop(self) -> None:
        self.process.stop(timeout=20)
