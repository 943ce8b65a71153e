"""The wheel ships the prebuilt panel where JupyterLab and Notebook 7 look for it, pip-managed,
built by the package's one build hook together with the widgets' bundles."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ._servers import REPO

tomllib = pytest.importorskip("tomllib")

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PANEL = REPO / "labextension"


def test_the_package_names_its_labextension_where_the_wheel_puts_it() -> None:
    import sfapi_jupyter

    (path,) = sfapi_jupyter._jupyter_labextension_paths()
    name = json.loads((PANEL / "package.json").read_text())["name"]
    assert path["dest"] == name
    shared = PROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared[f"sfapi_jupyter/{path['src']}"] == f"share/jupyter/labextensions/{name}"
    assert shared["install.json"] == f"share/jupyter/labextensions/{name}/install.json"
    install = json.loads((REPO / "install.json").read_text())
    assert install == {**install, "packageManager": "python", "packageName": "sfapi_jupyter"}
    # the builder writes where the package (and so the wheel's shared-data) expects it
    output = json.loads((PANEL / "package.json").read_text())["jupyterlab"]["outputDir"]
    assert (PANEL / output).resolve() == REPO / "sfapi_jupyter" / path["src"]


def test_one_build_hook_builds_both_front_ends_and_ensures_both_outputs() -> None:
    hook = PROJECT["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert hook["build-function"] == "ci.build_js.build"
    assert "skip-if-exists" not in hook  # it would ship stale JavaScript
    targets = hook["ensured-targets"]
    assert any(t.startswith("sfapi_jupyter/widgets/static/") for t in targets)
    assert "sfapi_jupyter/labextension/package.json" in targets
    assert any(
        a.startswith("sfapi_jupyter/labextension")
        for a in PROJECT["tool"]["hatch"]["build"]["artifacts"]
    )
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "sfapi_jupyter/labextension/" in ignored and "node_modules/" in ignored


def test_the_plugin_id_matches_its_settings_schema() -> None:
    index = (PANEL / "src" / "index.ts").read_text()
    name = json.loads((PANEL / "package.json").read_text())["name"]
    assert f"const PLUGIN_ID = '{name}:plugin';" in index
    schema = json.loads((PANEL / "schema" / "plugin.json").read_text())
    assert schema["properties"]["interval"]["minimum"] >= 1
    assert schema["properties"]["notify"]["default"] is False  # opt-in


def test_finding_the_labextension_keeps_the_package_light() -> None:
    code = (
        "import sys, sfapi_jupyter; sfapi_jupyter._jupyter_labextension_paths(); "
        "heavy = [m for m in ('httpx', 'pydantic', 'IPython', 'sfapi_jupyter.client') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
