"""The demo: a local facility plus JupyterLab on the quickstart notebook, in one command.

``sfapi-jupyter demo`` (``make demo``) serves the facility on loopback and starts JupyterLab
on the quickstart. It leaves the user's own set-up alone: everything it writes is in its
state directory (``.facility/`` under ``make demo``)::

    STATE/                    the facility's state (users, jobs, files)
    STATE/notebooks/          copies of notebooks/ that the demo opens and edits
    STATE/demo/key.pem        the demo user's key (client id on line 1, mode 600)
    STATE/demo/prefix/        the demo kernel "Python (SF API demo)" (install-kernel --prefix)
    STATE/demo/jupyter/...    Jupyter's and IPython's config, data, runtime and Lab settings
    STATE/demo/records/       the job records of the demo's kernels

Kernels reach the facility through the environment (``SFAPI_API_URL``, ``SFAPI_TOKEN_URL``,
``SFAPI_CLIENT_ID``, ``SFAPI_KEY``), set both on JupyterLab and in the demo kernel's spec;
``~/.superfacility`` is neither read nor written. Ctrl-C stops both.

``sfapi-jupyter demo --check`` runs every notebook in ``notebooks/`` headless against a
fresh facility in a temporary directory (see :mod:`sfapi_jupyter.cli.demo_check`).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..facility.clients import client_is_usable
from ..facility.config import FacilityConfig

NOTEBOOKS = ("quickstart.ipynb",)
DEMO_KERNEL = "sfapi-demo"
DEMO_KERNEL_DISPLAY_NAME = "Python (SF API demo)"
#: JupyterLab settings for the demo: the notebook's kernel starts by itself, and nothing
#: (the "get notified about Jupyter news?" prompt, update checks) covers the quickstart.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
#: page_config.json: the plugin that asks about news is not even loaded.
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def demo_user() -> str:
    """The demo's facility user: your login name, or ``demo`` when run as root (the facility
    then makes a real OS account per user and never adopts a host account such as root)."""
    if os.geteuid() == 0:
        return "demo"
    user = "".join(c for c in getpass.getuser() if c.isalnum())
    return user if user[:1].isalpha() else "demo"


def default_key_file(state: Path) -> Path:
    return state / "demo" / "key.pem"


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
    here = Path(__file__).resolve().parents[2] / "notebooks"
    return here if (here / NOTEBOOKS[0]).exists() else None


def tutorial_notebooks() -> list[Path]:
    """Every notebook in ``notebooks/``, the quickstart first."""
    source = notebook_sources()
    if source is None:
        return []
    found = sorted(source.glob("*.ipynb"))
    return sorted(found, key=lambda p: (p.name not in NOTEBOOKS, p.name))


def prepare_workdir(state: Path) -> Path:
    """Copy the tutorial notebooks (and their helper files) into the state directory once."""
    workdir = state / "notebooks"
    workdir.mkdir(parents=True, exist_ok=True)
    source = notebook_sources()
    if source is not None:
        for path in sorted(source.iterdir()):
            if (
                path.is_file()
                and path.suffix in (".ipynb", ".py")
                and not path.name.startswith(".")
            ):
                target = workdir / path.name
                if not target.exists():
                    shutil.copy2(path, target)
    return workdir


def kernel_environment(
    api_url: str,
    token_url: str,
    key_file: Path,
    client_id: str | None = None,
    state_dir: Path | None = None,
) -> dict[str, str]:
    """What a kernel needs to reach the facility with the demo key, whatever the shell has.

    ``SFAPI_SECRET`` is emptied: it would win over ``SFAPI_KEY``. The client id is read from
    the key file when not given, so a ``SFAPI_CLIENT_ID`` exported for NERSC cannot pair
    with the demo key. ``state_dir`` (``SFAPI_FACILITY_STATE``) lets a notebook run the
    facility's admin commands, as the automation tutorial does.
    """
    if client_id is None:
        client_id = key_file.read_text().split("\n", 1)[0].strip()
    env = {
        "SFAPI_API_URL": api_url,
        "SFAPI_TOKEN_URL": token_url,
        "SFAPI_CLIENT_ID": client_id,
        "SFAPI_KEY": str(key_file),
        "SFAPI_SECRET": "",
    }
    if state_dir is not None:
        env["SFAPI_FACILITY_STATE"] = str(state_dir)
    return env


def jupyter_environment(demo_dir: Path) -> dict[str, str]:
    """Jupyter's and IPython's directories inside the demo's state, with its settings in them."""
    jupyter = demo_dir / "jupyter"
    env = {
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "JUPYTER_PATH": str(demo_dir / "prefix" / "share" / "jupyter"),
        "JUPYTERLAB_SETTINGS_DIR": str(jupyter / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "lab-workspaces"),
        "IPYTHONDIR": str(demo_dir / "ipython"),
        "SFAPI_JUPYTER_DATA": str(demo_dir / "records"),
        # npm (which the language-server detection may call) writes its logs to its cache.
        "npm_config_cache": str(demo_dir / "npm-cache"),
    }
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]), Path(env["JUPYTER_CONFIG_DIR"]))
    return env


def write_lab_settings(settings_dir: Path, config_dir: Path) -> None:
    """The demo's Lab settings (as user settings) and page_config, where missing."""
    for plugin_id, values in LAB_SETTINGS.items():
        package, _, plugin = plugin_id.partition(":")
        path = settings_dir / package / f"{plugin}.jupyterlab-settings"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2) + "\n")
    page_config = config_dir / "labconfig" / "page_config.json"
    if not page_config.exists():
        page_config.parent.mkdir(parents=True, exist_ok=True)
        page_config.write_text(json.dumps(PAGE_CONFIG, indent=2) + "\n")


def install_demo_kernel(demo_dir: Path, env: dict[str, str]) -> Path | None:
    """``install-kernel --prefix STATE/demo/prefix``: the demo kernel, with the facility's env."""
    from .kernel import KernelInstallError, install_kernel

    try:
        return install_kernel(
            DEMO_KERNEL, DEMO_KERNEL_DISPLAY_NAME, env=env, prefix=demo_dir / "prefix"
        )
    except KernelInstallError as exc:  # no ipykernel: the notebooks' own kernel still works
        print(f"(no demo kernel: {exc})")
        return None


def _step(label: str, started: float) -> None:
    print(f"  [{time.monotonic() - started:5.1f} s] {label}", flush=True)


def run_demo(
    state: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    lab_port: int = 8888,
    key_file: str | Path | None = None,
    lab: bool = True,
) -> int:
    """Serve the facility and JupyterLab until Ctrl-C."""
    from ..facility.server import LocalFacility

    started = time.monotonic()
    print("Starting the demo (times from the start of `sfapi-jupyter demo`):", flush=True)
    state = state.expanduser().resolve()
    demo_dir = state / "demo"
    key_path = Path(key_file).expanduser() if key_file else default_key_file(state)
    # A SIGTERM (a terminal closing, a supervisor) stops the demo as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with LocalFacility(FacilityConfig(state_dir=state), host=host, port=port) as facility:
            _step(f"local facility on {facility.base_url}", started)
            print(facility.facility.isolation_notice)
            user = demo_user()
            client_id = ensure_demo_key(facility.facility, user, key_path)
            env = kernel_environment(
                facility.api_url, facility.token_url, key_path, client_id, state
            )
            print(f"Demo user {user!r}, client {client_id}; key in {key_path} (mode 600)")
            print("In a shell:  export " + " ".join(f"{k}={v}" for k, v in env.items() if v))
            if not lab:
                print("Serving until Ctrl-C.", flush=True)
                return _sleep_until_interrupted()
            jupyter_env = jupyter_environment(demo_dir)
            # This process too: installing the kernel imports IPython, which makes its dir.
            os.environ.update(jupyter_env)
            records = {"SFAPI_JUPYTER_DATA": jupyter_env["SFAPI_JUPYTER_DATA"]}
            if install_demo_kernel(demo_dir, {**env, **records}):
                _step(f"demo kernel {DEMO_KERNEL_DISPLAY_NAME!r} in {demo_dir / 'prefix'}", started)
            workdir = prepare_workdir(state)
            return _run_lab(workdir, {**env, **jupyter_env}, host, lab_port, started)
    except KeyboardInterrupt:  # stopped while starting: no traceback, the state stays usable
        print("Stopped.", flush=True)
        return 0


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _sleep_until_interrupted() -> int:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers(url: str, token: str) -> bool:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def _run_lab(workdir: Path, env: dict[str, str], host: str, lab_port: int, started: float) -> int:
    if not _port_is_free(host, lab_port):
        free = _free_port(host)
        print(f"(port {lab_port} is taken; JupyterLab uses {free})")
        lab_port = free
    token = secrets.token_hex(16)
    options = [
        "--no-browser",
        f"--ip={host}",
        f"--port={lab_port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={workdir}",
        "--LanguageServerManager.autodetect=False",
        "--ServerApp.log_level=WARN",
        f"--IdentityProvider.token={token}",
        "--LabApp.default_url=/lab/tree/quickstart.ipynb",
    ]
    argv = [sys.executable, "-m", "jupyterlab", *options]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    base = f"http://{host}:{lab_port}"
    lab = subprocess.Popen(argv, env={**os.environ, **env}, cwd=workdir)
    try:
        while not _answers(f"{base}/api/status", token):
            if lab.poll() is not None:
                print(f"JupyterLab exited with status {lab.returncode}; see its messages above.")
                return lab.returncode or 1
            time.sleep(0.1)
        _step("JupyterLab answering", started)
        make_started = os.environ.get("SFAPI_DEMO_STARTED", "")
        if make_started.replace(".", "", 1).isdigit():
            total = time.time() - float(make_started)
            print(f"  JupyterLab is up {total:.1f} s after `make demo` started", flush=True)
        url = f"{base}/lab/tree/quickstart.ipynb?token={token}"
        print(f"\nJupyterLab on the quickstart:  {url}", flush=True)
        print(f"(notebooks in {workdir}; Ctrl-C stops everything)\n", flush=True)
        return lab.wait()
    except KeyboardInterrupt:
        lab.terminate()
        try:
            lab.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lab.kill()
        return 0
