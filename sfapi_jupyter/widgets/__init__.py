"""Live notebook widgets (anywidget): ``JobCard``, ``QueueTable``, ``LogTail``.

They only hold state; ``sfapi_jupyter.live`` feeds them from job watchers and remote tails,
on the kernel's main thread. Nothing secret is ever put into them: their state is saved in
the notebook.
"""

from ._static import BundleMissingWarning, missing_bundles, warn_if_missing

warn_if_missing()

from ._job_card import JobCard  # noqa: E402
from ._log_tail import LogTail  # noqa: E402
from ._queue_table import QueueTable  # noqa: E402

__all__ = ["BundleMissingWarning", "JobCard", "LogTail", "QueueTable", "missing_bundles"]
