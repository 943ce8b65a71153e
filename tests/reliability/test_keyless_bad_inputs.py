"""Keyless mode's bad situations, each one clear line (recorded for docs/bad-inputs.md):
Slurm commands present but the controller down, a user Slurm has no account for, and a key
present but refused (the line says which transport is used), an unknown transport, root.
The Slurm parts run for real as ``nobody`` (tests/keyless/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sfapi_jupyter import Client
from sfapi_jupyter.client import CredentialsError
from sfapi_jupyter.keyless import KeylessError, provide

from ..keyless.conftest import NOBODY, KeylessHost
from ..keyless.conftest import keyless_host as keyless_host
from ..support.figures import record_bad_input
from ..support.slurm import require_slurm

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
    record_bad_input(
        "keyless", "SFAPI_TRANSPORT=slurm as a user without a Slurm account", asked["error"]
    )


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
    record_bad_input(
        "keyless", "a key in ~/.superfacility the API refuses, on a Slurm host", refusals[0]
    )
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize(("where", "value"), [("argument", "Slurm-please"), ("environment", "ssh")])
def test_an_unknown_transport_is_one_clear_line(monkeypatch, where, value) -> None:
    monkeypatch.delenv("SFAPI_TRANSPORT", raising=False)
    if where == "environment":
        monkeypatch.setenv("SFAPI_TRANSPORT", value)
        given = f"SFAPI_TRANSPORT={value}"
        with pytest.raises(CredentialsError) as caught:
            Client()
    else:
        given = f"Client(transport={value!r})"
        with pytest.raises(CredentialsError) as caught:
            Client(transport=value)
    message = str(caught.value)
    assert "is not a transport: use 'api' (the SF API, with a key) or 'slurm'" in message
    record_bad_input("keyless", given, message)


def test_as_root_keyless_is_never_chosen_and_asked_for_it_says_why() -> None:
    if os.geteuid() != 0:
        pytest.skip("root only")
    assert provide("https://api.nersc.gov/api/v1.2", False) is None
    require_slurm()
    with pytest.raises(KeylessError) as caught:
        provide("https://api.nersc.gov/api/v1.2", True)
    assert "keyless mode runs as an ordinary user, not root" in str(caught.value)
    record_bad_input("keyless", "SFAPI_TRANSPORT=slurm as root", str(caught.value))


def test_the_panels_server_asked_for_slurm_as_root_says_why_in_its_key_state(
    monkeypatch,
) -> None:
    """The side panel's server follows Client()'s rule: asked for keyless as root, its key
    state is ``unusable`` with the one line (the panel shows it under "My jobs")."""
    if os.geteuid() != 0:
        pytest.skip("root only")
    require_slurm()
    from sfapi_jupyter.server._upstream import Upstream

    monkeypatch.setenv("SFAPI_TRANSPORT", "slurm")
    upstream = Upstream()
    state, message = upstream.key_state()
    assert state == "unusable" and message is not None
    assert "keyless mode runs as an ordinary user, not root" in message, message
    record_bad_input("jupyter server", "SFAPI_TRANSPORT=slurm, Jupyter server run as root", message)
    asyncio.run(upstream.aclose())
