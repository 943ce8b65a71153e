"""The Jupyter server extension: the SF API for a side panel that needs no kernel.

Enabled on install by ``jupyter-config/jupyter_server_config.d/sfapi_jupyter.json``
(``jpserver_extensions: {"sfapi_jupyter": true}``); loaded alike by JupyterLab, Notebook 7
and ``jupyterhub-singleuser``. The server holds one SF API client, made as ``Client()``
makes it (its key, else keyless through this node's Slurm where that serves the server's
non-root user), and answers under ``<base_url>/sfapi-jupyter/``; every tab is served from
a short shared cache, so many tabs cost one request per interval (docs/panel.md).

Layer: ``client`` ← ``keyless`` ← ``server``: it imports the client core and the keyless
layer (which registers keyless mode with the client), no widgets, no IPython.
Configure with ``c.SfApiServer.<name>`` (:class:`~._settings.SfApiServer`).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "sfapi_jupyter.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Hold one client on the server and add the routes (imports only when loaded)."""
    from ._settings import SfApiServer
    from ._upstream import Upstream
    from ._views import Views
    from .handlers import handlers

    settings = SfApiServer(parent=serverapp)
    views = Views(settings, Upstream(serverapp.log))
    web_app = serverapp.web_app
    web_app.settings["sfapi_jupyter_views"] = views
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
    serverapp.log.info(
        "sfapi_jupyter: SF API routes at %ssfapi-jupyter/ (machines %s, every %g s at most)",
        web_app.settings["base_url"],
        ", ".join(settings.machines),
        settings.min_interval,
    )
