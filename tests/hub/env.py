"""The Python the Hub's users run: the single-user server, JupyterLab, kernels, the toolkit.

JupyterHub's LocalProcessSpawner starts each user's server as that OS user, who can read
neither a private (0700) checkout nor its ``.venv``. :func:`hub_python` builds on
:func:`tests.support.reachable.reachable_python` (a world-readable copy of the distributions
and of the code under test) and adds what a Jupyter environment holds outside
``site-packages``: ``share/jupyter`` (prebuilt labextensions: the widget manager, anywidget,
Notebook 7, and the toolkit's own panel once it is installed there) and ``etc/jupyter`` (the
server extensions enabled on install: ``sfapi_jupyter.json`` among them), taken from the test
venv's prefix. JupyterLab's settings for tests (no kernel dialog, no news toast) go into that
copy's ``overrides.json``: it belongs to this run alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.browser.servers import PANEL_BUILD
from tests.support.reachable import reachable_python

OVERRIDES = Path(__file__).resolve().parents[1] / "browser" / "lab-overrides.json"
#: Distributions a Hub user's environment needs beyond the toolkit's ``demo`` extra.
HUB_DISTRIBUTIONS = ("jupyterhub", "notebook")


def _copy_readable(source: Path, target: Path) -> None:
    """``source`` (a tree, symlinks followed: an editable labextension is a link) at
    ``target``, readable and searchable by everyone."""
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)
        _make_readable(target)


def _make_readable(tree: Path) -> None:
    for directory, _, names in os.walk(tree):
        os.chmod(directory, 0o755)
        for name in names:
            path = Path(directory, name)
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode):
                path.chmod(stat.S_IMODE(mode) | 0o444)


@contextlib.contextmanager
def hub_python() -> Iterator[Path]:
    """``bin/python`` of an environment every OS user can run: ``python -m
    jupyterhub.singleuser`` serves JupyterLab with the toolkit's server extension and widgets."""
    with reachable_python(extras=("demo",), also=HUB_DISTRIBUTIONS) as python:
        prefix = python.parents[1]
        for part in ("share/jupyter", "etc/jupyter"):
            _copy_readable(Path(sys.prefix) / part, prefix / part)
        # The panel as this checkout built it, not the venv's copy (made by whichever checkout
        # installed the venv, and never updated since): the Hub tests test this checkout.
        if (PANEL_BUILD / "package.json").exists():
            panel = prefix / "share" / "jupyter" / "labextensions" / "sfapi-jupyter-panel"
            _copy_readable(PANEL_BUILD, panel)  # over it: its package.json names the new files
        settings = prefix / "share" / "jupyter" / "lab" / "settings"
        settings.mkdir(parents=True, exist_ok=True)
        shutil.copy2(OVERRIDES, settings / "overrides.json")
        _make_readable(prefix / "share" / "jupyter" / "lab")
        yield python
