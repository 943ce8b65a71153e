"""The notebook layer: the only part of the package that knows the client, the widgets and IPython.

Functions here work without IPython and return live widgets; the magics
(:mod:`sfapi_jupyter.notebook.magics`) are thin wrappers over them. Each feature is one
module: :mod:`.jobs` (job cards), :mod:`.submit`, :mod:`.waiting`, :mod:`.queue`,
:mod:`.tail`, :mod:`.status`, :mod:`.account`, :mod:`.run`, :mod:`.files`,
:mod:`.file_browser`, :mod:`.submit_form`, :mod:`.transfer`; each widget is answered and fed
by its controller (:mod:`.controllers`). The session's client and default machine are in
:mod:`.session`; jobs submitted here are recorded in :mod:`.records`, so after a kernel
restart they can be listed and followed.

Examples
--------
>>> from sfapi_jupyter.notebook import submit_job, wait_for_job
>>> job, card = submit_job("#!/bin/bash\\n#SBATCH -t 5 -C cpu\\nsrun hostname")  # doctest: +SKIP
>>> card                                                                         # doctest: +SKIP
>>> wait_for_job(job, card=card)                                                 # doctest: +SKIP
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..widgets.support.mainthread import dispatcher

#: The public functions and their modules, imported on first use: ``%load_ext`` registers
#: the magics and needs none of them (nor the client, widgets, pandas or numpy they bring).
_FUNCTIONS = {
    "account_view": ".account",
    "cancel_jobs": ".waiting",
    "default_machine": ".session",
    "file_browser": ".file_browser",
    "get_client": ".session",
    "get_file": ".files",
    "h5_view": ".h5_viewer",
    "job_card": ".jobs",
    "log_tail": ".tail",
    "outage_table": ".status",
    "put_file": ".files",
    "queue_table": ".queue",
    "run_command": ".run",
    "set_client": ".session",
    "show": ".controllers",
    "start_transfer": ".transfer",
    "status_board": ".status",
    "stop": ".controllers",
    "submit_form": ".submit_form",
    "submit_job": ".submit",
    "wait_for_job": ".waiting",
    "wait_for_transfer": ".transfer",
}

if TYPE_CHECKING:
    from .account import account_view
    from .controllers import show, stop
    from .file_browser import file_browser
    from .files import get_file, put_file
    from .h5_viewer import h5_view
    from .jobs import job_card
    from .queue import queue_table
    from .run import run_command
    from .session import default_machine, get_client, set_client
    from .status import outage_table, status_board
    from .submit import submit_job
    from .submit_form import submit_form
    from .tail import log_tail
    from .transfer import start_transfer, wait_for_transfer
    from .waiting import cancel_jobs, wait_for_job


def __getattr__(name: str) -> Any:
    module = _FUNCTIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


_post_execute_hooks: dict[int, Any] = {}


def _drain_updates() -> None:
    dispatcher().drain()


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics; run widget updates after each cell (``%load_ext sfapi_jupyter``)."""
    from .magics import MAGICS

    dispatcher().bind()
    for magics in MAGICS:
        ipython.register_magics(magics)
    if id(ipython) not in _post_execute_hooks:
        ipython.events.register("post_execute", _drain_updates)
        _post_execute_hooks[id(ipython)] = _drain_updates


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext sfapi_jupyter``: stop draining updates after each cell."""
    if _post_execute_hooks.pop(id(ipython), None) is not None:
        ipython.events.unregister("post_execute", _drain_updates)


__all__ = [
    "account_view",
    "cancel_jobs",
    "default_machine",
    "file_browser",
    "get_client",
    "get_file",
    "h5_view",
    "job_card",
    "load_ipython_extension",
    "log_tail",
    "outage_table",
    "put_file",
    "queue_table",
    "run_command",
    "set_client",
    "show",
    "start_transfer",
    "status_board",
    "stop",
    "submit_form",
    "submit_job",
    "unload_ipython_extension",
    "wait_for_job",
    "wait_for_transfer",
]
