"""sfapi_jupyter: NERSC's Superfacility API inside the Jupyter notebook.

>>> from sfapi_jupyter import Client
>>> with Client() as client:                         # doctest: +SKIP
...     client.status("perlmutter").status
"""

from ._version import __version__
from .client import AsyncClient, Client, JobState, SfApiError

__all__ = ["AsyncClient", "Client", "JobState", "SfApiError", "__version__"]

_post_execute_hooks: dict[int, object] = {}


def _drain_updates() -> None:
    from ._mainthread import dispatcher

    dispatcher().drain()


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext sfapi_jupyter``: register the magics; run widget updates after each cell.

    The magics are imported only here, so ``import sfapi_jupyter`` stays light.
    """
    from ._mainthread import dispatcher
    from .magics import SfMagics

    dispatcher().bind()
    ipython.register_magics(SfMagics)  # type: ignore[attr-defined]
    events = ipython.events  # type: ignore[attr-defined]
    if id(ipython) not in _post_execute_hooks:
        events.register("post_execute", _drain_updates)
        _post_execute_hooks[id(ipython)] = _drain_updates


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext sfapi_jupyter``: stop draining updates after each cell."""
    if _post_execute_hooks.pop(id(ipython), None) is not None:
        ipython.events.unregister("post_execute", _drain_updates)  # type: ignore[attr-defined]
