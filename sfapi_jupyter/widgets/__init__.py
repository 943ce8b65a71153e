"""Live notebook widgets (anywidget): ``JobCard``, ``QueueTable``, ``LogTail``.

They only hold state; ``sfapi_jupyter.live`` feeds them from job watchers and remote tails,
on the kernel's main thread. Nothing secret is ever put into them: their state is saved in
the notebook.
"""

from ._job_card import JobCard
from ._log_tail import LogTail
from ._queue_table import QueueTable
from ._static import BundleMissingWarning, missing_bundles

__all__ = ["BundleMissingWarning", "JobCard", "LogTail", "QueueTable", "missing_bundles"]
