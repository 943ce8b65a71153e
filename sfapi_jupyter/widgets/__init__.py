"""Live notebook widgets (anywidget): ``JobCard``, ``QueueTable``, ``LogTail``, ``StatusBoard``,
``AccountView``, ``FileBrowser``, ``SubmitForm``, ``TransferCard``.

The views layer: each widget only holds state (traits shared with its TypeScript view in
``js/src/<module>.ts``) and owns its static HTML summary for saved notebooks. The notebook
layer (:mod:`sfapi_jupyter.notebook`) feeds them from job watchers and remote tails, on the
kernel's main thread. Nothing secret is ever put into them: their state is saved in the
notebook.
"""

from ._static import BundleMissingWarning, missing_bundles, warn_if_missing

warn_if_missing()

from .account import AccountView  # noqa: E402
from .file_browser import FileBrowser  # noqa: E402
from .job_card import JobCard  # noqa: E402
from .log_tail import LogTail  # noqa: E402
from .queue_table import QueueTable  # noqa: E402
from .status_board import StatusBoard  # noqa: E402
from .submit_form import SubmitForm  # noqa: E402
from .transfer import TransferCard  # noqa: E402

__all__ = [
    "AccountView",
    "BundleMissingWarning",
    "FileBrowser",
    "JobCard",
    "LogTail",
    "QueueTable",
    "StatusBoard",
    "SubmitForm",
    "TransferCard",
    "missing_bundles",
]
