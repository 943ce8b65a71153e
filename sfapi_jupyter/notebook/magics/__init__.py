"""The IPython magics, one module per topic (as IPython's own ``IPython/core/magics/``).

``%load_ext sfapi_jupyter`` registers every class in :data:`MAGICS`. A new topic is a module
here with a ``Magics`` class built on :class:`._args.SfMagicsBase` (shared ``-m/--machine``
and ``--out`` arguments, input checks, API errors shown as one line), added to the tuple.
"""

from .account import AccountMagics
from .files import FileMagics
from .h5 import H5Magics
from .jobs import JobMagics
from .queue import QueueMagics
from .run import RunMagics
from .status import StatusMagics
from .submit_form import SubmitFormMagics
from .tail import TailMagics
from .transfer import TransferMagics

#: Every magics class, in the order ``%lsmagic`` lists them.
MAGICS = (
    JobMagics,
    QueueMagics,
    TailMagics,
    StatusMagics,
    AccountMagics,
    RunMagics,
    FileMagics,
    H5Magics,
    SubmitFormMagics,
    TransferMagics,
)

__all__ = [
    "MAGICS",
    "AccountMagics",
    "FileMagics",
    "H5Magics",
    "JobMagics",
    "QueueMagics",
    "RunMagics",
    "StatusMagics",
    "SubmitFormMagics",
    "TailMagics",
    "TransferMagics",
]
