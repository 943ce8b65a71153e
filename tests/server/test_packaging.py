"""The extension is enabled on install: the wheel ships the server config that names it."""

from __future__ import annotations

import importlib
import json

import pytest

from ._servers import REPO, SHIPPED_CONFIG

tomllib = pytest.importorskip("tomllib")


def test_the_wheel_ships_the_config_into_jupyters_config_dir() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    shared = project["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    source = SHIPPED_CONFIG.parent.relative_to(REPO).as_posix()
    assert shared[source] == "etc/jupyter/jupyter_server_config.d"


def test_the_config_enables_the_package_whose_entry_point_loads_the_routes() -> None:
    enabled = json.loads(SHIPPED_CONFIG.read_text())["ServerApp"]["jpserver_extensions"]
    assert enabled == {"sfapi_jupyter": True}
    (point,) = importlib.import_module("sfapi_jupyter")._jupyter_server_extension_points()
    module = importlib.import_module(point["module"])
    assert callable(module._load_jupyter_server_extension)
