"""sfapi_jupyter: NERSC's Superfacility API inside the Jupyter notebook.

The package is four layers, each importing only those before it (a test enforces it):
:mod:`~sfapi_jupyter.client` (the async API core) ← :mod:`~sfapi_jupyter.widgets` (views)
← :mod:`~sfapi_jupyter.notebook` (magics, feeds, functions) ← :mod:`~sfapi_jupyter.cli`;
:mod:`~sfapi_jupyter.facility` (the local facility) stands alone.

>>> from sfapi_jupyter import Client
>>> with Client() as client:                         # doctest: +SKIP
...     client.status("perlmutter").status
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .client import AsyncClient, Client, JobState, SfApiError

_CLIENT_NAMES = ("AsyncClient", "Client", "JobState", "SfApiError")


def __getattr__(name: str) -> Any:
    # The client (httpx, pydantic, authlib) is imported on first use: ``%load_ext
    # sfapi_jupyter`` imports this package but needs none of it until a magic runs.
    if name not in _CLIENT_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import client, keyless  # keyless: registers this node's Slurm as a transport

    del keyless
    value = getattr(client, name)
    globals()[name] = value
    return value


__all__ = ["AsyncClient", "Client", "JobState", "SfApiError", "__version__"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sfapi_jupyter``: the magics (imported only here, so the package stays light)."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext sfapi_jupyter``."""
    from .notebook import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension (``jpserver_extensions: {"sfapi_jupyter": true}``)."""
    return [{"module": "sfapi_jupyter.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The NERSC side panel: a prebuilt labextension, built into the package (never committed)."""
    return [{"src": "labextension", "dest": "sfapi-jupyter-panel"}]
