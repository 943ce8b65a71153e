"""sfapi_jupyter: NERSC's Superfacility API inside the Jupyter notebook.

The package is four layers, each importing only those before it (a test enforces it):
:mod:`~sfapi_jupyter.client` (the async API core) ← :mod:`~sfapi_jupyter.widgets` (views)
← :mod:`~sfapi_jupyter.notebook` (magics, feeds, functions) ← :mod:`~sfapi_jupyter.cli`;
:mod:`~sfapi_jupyter.facility` (the local facility) stands alone.

>>> from sfapi_jupyter import Client
>>> with Client() as client:                         # doctest: +SKIP
...     client.status("perlmutter").status
"""

from typing import Any

from ._version import __version__
from .client import AsyncClient, Client, JobState, SfApiError

__all__ = ["AsyncClient", "Client", "JobState", "SfApiError", "__version__"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sfapi_jupyter``: the magics (imported only here, so the package stays light)."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext sfapi_jupyter``."""
    from .notebook import unload_ipython_extension as unload

    unload(ipython)
