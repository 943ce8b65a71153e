"""The demo keeps to its own state directory, and ``demo --check`` names the failing cell."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from sfapi_jupyter.cli.demo import kernel_environment
from sfapi_jupyter.cli.demo_check import check_notebooks

from ..support.tokens import new_private_key_pem


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime) for p in folder.rglob("*")
    }


# Where the demo or Jupyter would write: all left to default to the home the test watches.
HOME_VARIABLES = (
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "JUPYTERLAB_SETTINGS_DIR",
    "JUPYTERLAB_WORKSPACES_DIR",
    "IPYTHONDIR",
    "SFAPI_JUPYTER_DATA",
)


class Demo:
    """``sfapi-jupyter demo`` as a user starts it, with a home of its own to watch."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.home = tmp_path / "home"
        self.state = tmp_path / "state"
        nersc_key = self.home / ".superfacility" / "nersc.pem"
        if not nersc_key.exists():
            nersc_key.parent.mkdir(parents=True)
            nersc_key.write_text("the user's own NERSC key\n")
            nersc_key.chmod(0o600)
        self.home_before = snapshot(self.home)
        env = {**os.environ, "HOME": str(self.home), "PYTHONUNBUFFERED": "1"}
        for name in HOME_VARIABLES:
            env.pop(name, None)
        env["SFAPI_CLIENT_ID"] = "a-nersc-client-id"  # a user's shell set up for NERSC
        demo = [sys.executable, "-m", "sfapi_jupyter", "demo", "--state", str(self.state)]
        ports = ["--port", str(free_port()), "--lab-port", str(free_port())]
        self.proc = subprocess.Popen(
            [*demo, *ports, *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no {pattern!r} in the demo's output:\n{''.join(self.lines)}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)  # what Ctrl-C or a closing terminal does
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def test_demo_with_lab_writes_only_into_its_state_dir(tmp_path):
    demo = Demo(tmp_path)
    try:
        url = demo.wait_for(r"JupyterLab on the quickstart:\s+(\S+)")[1]
        base, token = url.split("/lab/")[0], url.split("token=")[1]
        request = urllib.request.Request(
            f"{base}/api/kernelspecs", headers={"Authorization": f"token {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            specs = json.load(response)["kernelspecs"]
    finally:
        demo.stop()
    output = "".join(demo.lines)
    assert demo.proc.returncode == 0, output
    # Every step is timed.
    assert re.search(r"\[\s*\d+\.\d s\] local facility on http://127\.0\.0\.1:\d+", output)
    assert re.search(r"\[\s*\d+\.\d s\] JupyterLab answering", output)
    # The key is in the demo's state, private; the user's home is exactly as it was.
    key = demo.state / "demo" / "key.pem"
    assert f"key in {key} (mode 600)" in output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert snapshot(demo.home) == demo.home_before
    # Lab offers the demo kernel from the demo's prefix, with the facility in its environment.
    demo_kernel = specs["sfapi-demo"]
    assert demo_kernel["spec"]["display_name"] == "Python (SF API demo)"
    kernel_env = demo_kernel["spec"]["env"]
    client_id = key.read_text().split("\n", 1)[0]
    assert kernel_env["SFAPI_KEY"] == str(key) and kernel_env["SFAPI_CLIENT_ID"] == client_id
    assert (demo.state / "demo" / "prefix" / "share/jupyter/kernels/sfapi-demo").is_dir()
    # Lab's settings: nothing covers the quickstart (no news prompt, no kernel dialog).
    page_config = demo.state / "demo" / "jupyter" / "config" / "labconfig" / "page_config.json"
    assert json.loads(page_config.read_text())["disabledExtensions"] == {
        "@jupyterlab/apputils-extension:announcements": True
    }
    assert (demo.state / "notebooks" / "quickstart.ipynb").exists()


def test_demo_without_lab_reuses_its_key(tmp_path):
    client_ids = []
    for _ in range(2):
        demo = Demo(tmp_path, "--no-lab")
        try:
            client_ids.append(demo.wait_for(r"client (\w+); key in")[1])
            demo.wait_for("Serving until Ctrl-C")
        finally:
            demo.stop()
        assert demo.proc.returncode == 0
        assert snapshot(demo.home) == demo.home_before
    assert client_ids[0] == client_ids[1]  # the same state directory gives the same key back


def test_kernel_environment_wins_over_a_shell_set_up_for_nersc(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("democlient\n" + new_private_key_pem())
    env = kernel_environment("http://127.0.0.1:1/api/v1.2", "http://127.0.0.1:1/c2id/token", key)
    assert env["SFAPI_CLIENT_ID"] == "democlient"  # not a NERSC id from the shell
    assert env["SFAPI_SECRET"] == ""  # a NERSC secret from the shell would win over the key
    assert env["SFAPI_KEY"] == str(key)


def write_notebook(path: Path, *cells: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def test_check_runs_each_notebook_against_a_fresh_facility(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(
        notebooks / "good.ipynb",
        "%load_ext sfapi_jupyter",
        "from sfapi_jupyter import Client\nprint('user', Client().user().name)",
    )
    write_notebook(
        notebooks / "bad.ipynb",
        "x = 1",
        "# the analysis\nratio = x / 0",
        "print('never')",
    )
    assert check_notebooks(source=notebooks) == 1
    out = capsys.readouterr().out
    assert "[1/2] bad.ipynb ..." in out and "[2/2] good.ipynb ..." in out
    assert "1 of 2 notebook(s) passed." in out
    assert (
        "FAILED bad.ipynb: code cell 2 (cell 2 of 3) failed: ZeroDivisionError: division by zero"
        in out
    )
    assert "the cell begins: # the analysis" in out
    executed = Path(re.search(r"executed copy: (\S+)", out)[1])  # kept for a look
    assert nbformat.read(executed, as_version=4).cells[1].outputs[0]["ename"] == "ZeroDivisionError"
    # The good notebook's kernel reached its facility with the demo key.
    good = nbformat.read(executed.parents[2] / "good" / "notebooks" / "good.ipynb", as_version=4)
    assert good.cells[1].outputs[0]["text"] == "user elvis\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: without root no OS accounts clash")
def test_check_of_several_notebooks_as_root_gives_each_its_own_accounts(tmp_path):
    """As root each notebook's facility makes the OS account elvis; the next notebook's fresh
    facility must find it gone (it refuses an account it did not make). Run in a process of
    its own: the test session's facilities remove their accounts on close, a user's do not."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("first", "second"):
        write_notebook(
            notebooks / f"{name}.ipynb",
            f"from sfapi_jupyter import Client\nprint('{name}', Client().user().name)",
        )
    check = (
        "import sys; from pathlib import Path; from sfapi_jupyter.cli.demo_check import "
        f"check_notebooks; sys.exit(check_notebooks(source=Path({str(notebooks)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 notebook(s) passed." in done.stdout
