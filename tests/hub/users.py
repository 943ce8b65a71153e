"""The Hub's two users: real OS accounts made by the local facility, each with a key of its own.

As at NERSC, the account that logs in to Jupyter is the account that runs jobs: the facility
(run as root) makes OS users ``hubalma`` and ``hubbruno`` (names no other test uses, so a
concurrent run's ``elvis`` never meets them) with homes in its file system, and the Hub
spawns their servers as those accounts, with those homes. Each user's key goes where
``Client()`` finds it, ``~/.superfacility/`` (mode 600, owned by the user), and each gets an
OS password for the Hub's PAM login. The accounts go with the facility: the run's sweeper
(``tests/support/host_accounts.py``) removes them once the facility has closed.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sfapi_jupyter.client import Client
from tests.browser.servers import CLI, FacilityServer, ManagedProcess, free_port

#: The head of the tests' batch scripts (perlmutter's debug QOS).
SCRIPT = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 00:05:00\n"
#: Facility users and Hub users at once; no other test uses these names.
USERS = ("hubalma", "hubbruno")


@dataclass(repr=False)
class HubUser:
    """One Hub user; ``key_text`` (the private key file) is kept for the secret scans."""

    name: str
    password: str
    home: Path
    uid: int
    gid: int
    client_id: str
    key_text: str = field(repr=False)

    def __repr__(self) -> str:
        return f"HubUser({self.name!r})"

    @property
    def key_path(self) -> Path:
        return self.home / ".superfacility" / f"{self.name}.pem"

    def secrets(self) -> list[str]:
        """What must never reach a browser: the private key (whole, and its base64 lines)."""
        body = [
            line
            for line in self.key_text.splitlines()
            if len(line) > 40 and not line.startswith("-----")
        ]
        return [self.key_text.split("-----BEGIN", 1)[1][:80], *body[:3]]

    def own(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)


def _run(argv: list[str], what: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def start_facility(root: Path, logs: Path) -> tuple[FacilityServer, list[HubUser]]:
    """The facility (made before it serves: admin commands work on its state directly), with
    a key and an OS account for each of :data:`USERS`, each key put in that user's home."""
    state, keys = root / "facility-state", root / "keys"
    users = []
    for name in USERS:
        key = keys / f"{name}.pem"
        create = [*CLI, "facility", "client", "create", "--state", str(state)]
        _run([*create, "--user", name, "--key-file", str(key)], f"client create --user {name}")
        entry = pwd.getpwnam(name)
        text = key.read_text()
        client_id, password = text.split("\n", 1)[0].strip(), os.urandom(9).hex()
        home = Path(entry.pw_dir)
        user = HubUser(name, password, home, entry.pw_uid, entry.pw_gid, client_id, text)
        user.key_path.parent.mkdir(mode=0o700, exist_ok=True)
        user.key_path.write_text(text)
        user.key_path.chmod(0o600)
        user.own(user.key_path.parent)
        user.own(user.key_path)
        key.unlink()  # the user's copy is the only one
        _run(["chpasswd"], f"chpasswd {name}", stdin=f"{name}:{user.password}\n")
        users.append(user)
    port = free_port()
    serve = [*CLI, "facility", "serve", "--state", str(state), "--log-level", "warning"]
    process = ManagedProcess("facility", [*serve, "--port", str(port)], logs / "facility.log")
    process.start()
    try:
        process.wait_for_url(f"http://127.0.0.1:{port}/api/v1.2/status", timeout=60)
    except RuntimeError:
        process.stop()
        raise
    return FacilityServer(state, users[0].key_path, process, port, users[0].client_id), users


def install_kernel(user: HubUser, python: Path) -> subprocess.CompletedProcess[str]:
    """``sfapi-jupyter install-kernel --user`` run by ``user`` in a clean login environment
    (their HOME, not the test run's JUPYTER_* directories), with the Hub's Python."""
    login = ["env", "-i", f"HOME={user.home}", f"USER={user.name}", "PATH=/usr/bin:/bin"]
    command = [str(python), "-m", "sfapi_jupyter", "install-kernel", "--user"]
    done = subprocess.run(
        ["runuser", "-u", user.name, "--", *login, *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=user.home,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def submit_job(facility: FacilityServer, user: HubUser, body: str) -> str:
    """A job of ``user``, submitted with ``user``'s own key (the file in their home)."""
    with Client(
        api_base_url=facility.api_url, token_url=facility.token_url, key=user.key_text
    ) as client:
        return str(client.compute("perlmutter").submit(SCRIPT + body).jobid)
