"""``install-kernel --remote``: the set-up done on a machine of the local facility, over the API.

The facility runs commands on this host as its user's login shell, so what the installer
leaves there (an environment, a kernelspec in the user's Jupyter data directory) is checked
through the same API, as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sfapi_jupyter.cli import main
from sfapi_jupyter.client import Client
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.server import LocalFacility

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout, as a user would build it (pip runs hatch and the JS build)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (found,) = out.glob("sfapi_jupyter-*.whl")
    return found


@pytest.fixture
def facility(tmp_path, monkeypatch):
    """A facility, and the environment variables that make ``Client()`` use it as elvis."""
    with LocalFacility(FacilityConfig(state_dir=tmp_path / "state")) as running:
        creds = running.create_client("elvis")
        key = tmp_path / "keys" / "elvis.pem"
        key.parent.mkdir()
        key.touch(mode=0o600)
        key.write_text(f"{creds.client_id}\n{creds.private_key_pem}")
        monkeypatch.setenv("SFAPI_API_URL", running.api_url)
        monkeypatch.setenv("SFAPI_TOKEN_URL", running.token_url)
        monkeypatch.setenv("SFAPI_KEY", str(key))
        with Client() as client:
            running.machine = client.compute("perlmutter")  # type: ignore[attr-defined]
            yield running


def remote(facility, command: str) -> str:
    result = facility.machine.run(command)
    assert result.ok, f"{command}: {result.output}{result.error}"
    return str(result.output)


def install_on_perlmutter(*args: str) -> int:
    """``sfapi-jupyter install-kernel --remote perlmutter ARGS...``"""
    return main(["install-kernel", "--remote", "perlmutter", *args])


@pytest.mark.timeout(900)  # two pip installs from the package index into a new environment
def test_remote_install_makes_an_environment_and_a_kernel_there(facility, wheel, capsys):
    code = install_on_perlmutter("--spec", str(wheel), "--env", "SFAPI_MACHINE=perlmutter")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Installing the kernel 'sfapi' (Python (SF API)) on perlmutter (7 steps)" in out
    steps = [
        "[1/7] Reach perlmutter",
        f"[3/7] Upload {wheel.name}",
        "[4/7] Install the package and ipykernel",
        "[7/7] Check Jupyter finds the kernel",
    ]
    assert all(step in out for step in steps)
    assert out.count("      ok (") == 7 and "FAILED" not in out
    assert "choose the kernel 'Python (SF API)'" in out

    home = remote(facility, 'printf %s "$HOME"')
    venv = f"{home}/.venvs/sfapi-jupyter"
    assert f"created {venv}" in out
    # The kernelspec is in the user's Jupyter data directory there ...
    spec = json.loads(remote(facility, "cat ~/.local/share/jupyter/kernels/sfapi/kernel.json"))
    assert spec["argv"][0] == f"{venv}/bin/python"
    assert spec["argv"][-1] == "--IPKernelApp.extra_extensions=sfapi_jupyter"
    assert spec["env"] == {"SFAPI_MACHINE": "perlmutter"}
    # ... its Python imports the package from that environment (not from this checkout) ...
    where = remote(
        facility, f"{spec['argv'][0]} -c 'import sfapi_jupyter; print(sfapi_jupyter.__file__)'"
    )
    assert where.strip().startswith(f"{venv}/lib/")
    # ... the uploaded wheel is gone ...
    assert ".sfapi-kernel-upload" not in remote(facility, "ls -A ~")

    # A second kernel reuses the environment.
    code = install_on_perlmutter(
        "--spec", str(wheel), "--name", "sfapi-two", "--display-name", "SF API two"
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"reusing {venv}" in out
    kernels = remote(facility, "ls ~/.local/share/jupyter/kernels").split()
    assert sorted(kernels) == ["sfapi", "sfapi-two"]


def test_a_failed_step_says_what_failed_and_leaves_nothing_behind(facility, capsys):
    code = install_on_perlmutter("--venv", "envs/kernel", "--spec", "/nonexistent/sfapi_jupyter")
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED: step 3/6 (Install the package and ipykernel): pip install exited" in out
    assert "/nonexistent/sfapi_jupyter" in out  # pip's own words about what it could not find
    home = remote(facility, 'printf %s "$HOME"')
    assert f"Nothing was left installed; removed the environment {home}/envs/kernel" in out
    # Neither the environment, nor its parent folder made for it, nor a kernelspec remains.
    assert (
        remote(facility, "ls -A ~/envs ~/.local/share/jupyter/kernels 2>&1 || true").count(
            "No such file"
        )
        == 2
    )
    assert "Done" not in out


def test_a_missing_wheel_is_refused_before_anything_runs(tmp_path, capsys):
    missing = tmp_path / "sfapi_jupyter-9-py3-none-any.whl"
    assert main(["install-kernel", "--remote", "perlmutter", "--spec", str(missing)]) == 2
    assert f"--spec {missing}: no such wheel here; build it first" in capsys.readouterr().err
