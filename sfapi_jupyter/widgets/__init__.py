"""Live notebook widgets (anywidget): ``JobCard``, ``QueueTable``, ``LogTail``, ``StatusBoard``,
``AccountView``, ``FileBrowser``, ``H5Viewer``, ``SubmitForm``, ``TransferCard``.

The views layer: each widget only holds state (traits shared with its TypeScript view in
``js/src/<module>.ts``) and owns its static HTML summary for saved notebooks. The notebook
layer (:mod:`sfapi_jupyter.notebook`) feeds them from job watchers and remote tails, on the
kernel's main thread. Nothing secret is ever put into them: their state is saved in the
notebook.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._static import BundleMissingWarning, missing_bundles, warn_if_missing

warn_if_missing()

#: Each widget class (and their base, ``SfWidget``) and its module. The classes are imported
#: on first use, not with the package: ``%load_ext sfapi_jupyter`` needs only the dispatcher
#: (``.support.mainthread``), and anywidget, ipywidgets and the client's models cost more
#: than the whole extension.
_WIDGETS = {
    "AccountView": ".account",
    "FileBrowser": ".file_browser",
    "H5Viewer": ".h5_viewer",
    "JobCard": ".job_card",
    "LogTail": ".log_tail",
    "QueueTable": ".queue_table",
    "SfWidget": "._base",
    "StatusBoard": ".status_board",
    "SubmitForm": ".submit_form",
    "TransferCard": ".transfer",
}

if TYPE_CHECKING:
    from ._base import SfWidget
    from .account import AccountView
    from .file_browser import FileBrowser
    from .h5_viewer import H5Viewer
    from .job_card import JobCard
    from .log_tail import LogTail
    from .queue_table import QueueTable
    from .status_board import StatusBoard
    from .submit_form import SubmitForm
    from .transfer import TransferCard


def __getattr__(name: str) -> Any:
    module = _WIDGETS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WIDGETS])


__all__ = [
    "AccountView",
    "BundleMissingWarning",
    "FileBrowser",
    "H5Viewer",
    "JobCard",
    "LogTail",
    "QueueTable",
    "SfWidget",
    "StatusBoard",
    "SubmitForm",
    "TransferCard",
    "missing_bundles",
]
