"""``binder/start`` serves a local facility, hands its address and a demo key to what it runs.

Binder itself (repo2docker building ``binder/environment.yml`` and ``postBuild``) cannot run
here; what can be tested is the start step: run locally with a command, the facility is up
and the command talks to it with the demo's key.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

BINDER = Path(__file__).resolve().parents[2] / "binder"

PROBE = """
import os
from sfapi_jupyter import Client
with Client() as client:
    print(client.status("perlmutter").status.value, client.user().name)
    print(client.compute("perlmutter").run("echo ran on the facility").output.strip())
print(os.environ["SFAPI_FACILITY_STATE"])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(pid_file: Path) -> None:
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def test_binder_start_serves_the_facility_then_runs_the_command(tmp_path):
    state = tmp_path / "state"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SFAPI_", "NB_USER"))},
        "HOME": str(home),
        "PYTHON": sys.executable,
        "SFAPI_FACILITY_STATE": str(state),
        "SFAPI_FACILITY_PORT": str(free_port()),
        "SFAPI_JUPYTER_DATA": str(tmp_path / "records"),
    }
    try:
        result = subprocess.run(
            [str(BINDER / "start"), sys.executable, "-c", PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        stop(state / "facility.pid")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["active demo", "ran on the facility", str(state)]
    key = state / "demo-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # the demo's key stays in the facility's state: the user's real set-up is left alone
    assert not (home / ".superfacility").exists()


def test_binder_start_says_when_the_facility_cannot_start(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SFAPI_")},
            "HOME": str(tmp_path),
            "PYTHON": sys.executable,
            "SFAPI_FACILITY_STATE": str(tmp_path / "state"),
            "SFAPI_FACILITY_PORT": str(busy.getsockname()[1]),
        }
        try:
            result = subprocess.run(
                [str(BINDER / "start"), "echo", "must not run"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            stop(tmp_path / "state" / "facility.pid")
    assert result.returncode != 0
    assert "must not run" not in result.stdout
    assert "the local facility stopped" in result.stderr


def test_binder_files_are_executable():
    for name in ("postBuild", "start"):
        assert os.access(BINDER / name, os.X_OK), name
    assert "[facility,notebooks]" in (BINDER / "postBuild").read_text()
