"""Keyless mode's bad situations, each one clear line (recorded for docs/bad-inputs.md):
Slurm commands present but the controller down, a user Slurm has no account for, and a key
present but refused (the line says which transport is used)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..support.figures import record_bad_input
from .conftest import NOBODY, KeylessHost

DAEMON = 1


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("sfapi_jupyter:")]
    assert len(lines) == 1, text
    return lines[0]


def dead_controller_conf(directory: Path) -> Path:
    """The host's slurm.conf with the controller on a port where nothing listens."""
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf")).read_text()
    conf = re.sub(r"(?m)^SlurmctldPort=.*\n", "", conf)
    directory.mkdir(exist_ok=True)
    (directory / "slurm.conf").write_text(conf + "\nSlurmctldPort=9\n")
    directory.chmod(0o755)
    (directory / "slurm.conf").chmod(0o644)
    return directory / "slurm.conf"


def test_slurm_commands_but_no_controller_say_so_in_one_line(keyless_host: KeylessHost) -> None:
    conf = dead_controller_conf(keyless_host.home.parent / "dead-slurm")
    home = keyless_host.new_home("home-dead")
    chosen = keyless_host.run("client", home=home, extra_env={"SLURM_CONF": str(conf)})
    line = one_line(chosen["stderr"])
    assert "controller does not answer" in line and "only public status works" in line, line
    assert "try again when `sinfo` answers, or put an API key in ~/.superfacility/" in line
    assert "anonymous" in chosen["repr"]
    asked = keyless_host.run(
        "client", home=home, extra_env={"SLURM_CONF": str(conf), "SFAPI_TRANSPORT": "slurm"}
    )
    assert asked["error"].startswith("KeylessError: no keyless mode: the Slurm commands are here")
    assert "API key" in asked["error"]
    record_bad_input("keyless", "SFAPI_TRANSPORT=slurm, Slurm controller down", asked["error"])
    record_bad_input("keyless", "no key, Slurm controller down (Client())", line)


def test_a_user_slurm_has_no_account_for_is_told_so(keyless_host: KeylessHost) -> None:
    home = keyless_host.new_home("home-daemon", uid=DAEMON)
    asked = keyless_host.run(
        "client", uid=DAEMON, home=home, extra_env={"SFAPI_TRANSPORT": "slurm"}
    )
    assert "Slurm has no account for user 'daemon'" in asked["error"], asked
    assert "API key" in asked["error"]
    record_bad_input("keyless", "SFAPI_TRANSPORT=slurm as a user without a Slurm account",
                     asked["error"])  # fmt: skip


def test_a_refused_key_says_the_sf_api_is_used_because_of_it(keyless_host: KeylessHost) -> None:
    home = keyless_host.new_home("home-key")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = home / ".superfacility" / "unknown.pem"
    path.write_text("nosuchclient1\n" + pem)
    path.chmod(0o600)
    os.chown(path, NOBODY, NOBODY)
    token_url = keyless_host.tripwire_url.replace("/api/v1.2", "/c2id/token")
    out = keyless_host.run("refused", home=home, extra_env={"SFAPI_TOKEN_URL": token_url})
    assert "client_id='nosuchclient1'" in out["repr"]
    refusals = [w for w in out["warnings"] if "Transport: the SF API, since a key was found" in w]
    assert len(refusals) == 1, out["warnings"]
    assert "SFAPI_TRANSPORT=slurm" in refusals[0]
    assert "keyless" not in out["stderr"]
    record_bad_input("keyless", "a key in ~/.superfacility the API refuses, on a Slurm host",
                     refusals[0])  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)
