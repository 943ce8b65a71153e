"""``sfapi-jupyter install-kernel`` into a temporary prefix: the kernel starts with the magics."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from sfapi_jupyter.cli import main
from sfapi_jupyter.cli.kernel import kernel_argv, kernel_dict


@pytest.fixture
def prefix(tmp_path, monkeypatch) -> Path:
    """A prefix Jupyter searches (as a venv's share/jupyter would be)."""
    root = tmp_path / "prefix"
    monkeypatch.setenv("JUPYTER_PATH", str(root / "share" / "jupyter"))
    return root


def test_kernel_dict_is_ipykernels_with_the_extension():
    spec = kernel_dict("Python (SF API)", {"SFAPI_MACHINE": "perlmutter"})
    assert spec["argv"] == kernel_argv()
    assert spec["argv"][-1] == "--IPKernelApp.extra_extensions=sfapi_jupyter"
    assert spec["argv"][2:6] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert spec["display_name"] == "Python (SF API)"
    assert spec["env"] == {"SFAPI_MACHINE": "perlmutter"}
    assert spec["language"] == "python"


def test_install_list_start_uninstall(prefix, capsys):
    names = ["--name", "sfapi-test", "--display-name", "SF API test"]
    code = main(
        ["install-kernel", "--prefix", str(prefix), *names, "--env", "SFAPI_MACHINE=muller"]
    )
    assert code == 0
    out = capsys.readouterr().out
    installed = prefix / "share" / "jupyter" / "kernels" / "sfapi-test"
    assert f"Installed kernel 'sfapi-test' (SF API test) in {installed}" in out
    spec = json.loads((installed / "kernel.json").read_text())
    assert spec["display_name"] == "SF API test" and spec["env"] == {"SFAPI_MACHINE": "muller"}
    assert (installed / "logo-64x64.png").exists()  # ipykernel's own spec files

    assert main(["list-kernels"]) == 0
    listing = capsys.readouterr().out
    line = next(line for line in listing.splitlines() if line.startswith("sfapi-test"))
    assert "SF API test" in line and str(installed) in line and "[sfapi magics]" in line

    # The kernel Jupyter starts from the spec has the magics before any cell loads them.
    km, kc = start_new_kernel(kernel_name="sfapi-test")
    try:
        outputs: list[str] = []

        def collect(msg):
            content = msg["content"]
            outputs.append(content.get("text") or content.get("data", {}).get("text/plain", ""))

        kc.execute_interactive("%lsmagic", timeout=60, output_hook=collect)
        kc.execute_interactive(
            "import os; print('machine =', os.environ['SFAPI_MACHINE'])",
            timeout=60,
            output_hook=collect,
        )
        text = "".join(outputs)
        assert "%%sfjob" in text and "%sfjobs" in text and "%sfcancel" in text
        assert "machine = muller" in text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    assert main(["uninstall-kernel", "sfapi-test"]) == 0
    assert f"Removed kernel 'sfapi-test' from {installed}" in capsys.readouterr().out
    assert not installed.exists()


def test_user_install_goes_to_the_jupyter_data_dir(capsys):
    data_dir = Path(os.environ["JUPYTER_DATA_DIR"])  # the test run's own, see tests/conftest.py
    assert main(["install-kernel", "--name", "sfapi-user"]) == 0
    spec_dir = data_dir / "kernels" / "sfapi-user"
    assert json.loads((spec_dir / "kernel.json").read_text())["display_name"] == "Python (SF API)"
    assert main(["uninstall-kernel", "sfapi-user"]) == 0
    assert not spec_dir.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["install-kernel", "--env", "NOVALUE"], "--env 'NOVALUE': expected KEY=VALUE"),
        (["install-kernel", "--name", "no spaces"], "Kernel name 'no spaces' is not valid"),
        (["install-kernel", "--venv", "~/env"], "--venv and --spec go with --remote MACHINE"),
        (["uninstall-kernel", "nosuchkernel"], "No kernel named 'nosuchkernel'"),
    ],
)
def test_mistakes_are_explained(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
