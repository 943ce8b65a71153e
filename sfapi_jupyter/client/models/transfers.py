"""Globus-shaped transfers (``/storage/globus/transfer``)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from ._base import Model


class TransferStatus(str, Enum):
    """Globus's task states, as the API reports them."""

    ACTIVE = "ACTIVE"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    @property
    def is_terminal(self) -> bool:
        return self is not TransferStatus.ACTIVE


class TransferInfo(Model):
    """What the API says about one transfer (``GlobusTransferResult``).

    ``bytes_transferred`` and ``effective_bytes_per_second`` are the contract's; ``files``,
    ``files_transferred`` and ``bytes_expected`` are what the local facility adds while a
    transfer is ``ACTIVE`` (Globus's own task document has the first two), None elsewhere.
    """

    transfer_id: str = ""
    status: str = "OK"
    reason: str | None = None
    globus_status: TransferStatus = TransferStatus.ACTIVE
    bytes_transferred: int | None = None
    completion_time: dt.datetime | None = None
    effective_bytes_per_second: int | None = None
    files: int | None = None
    files_transferred: int | None = None
    bytes_expected: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.globus_status.is_terminal
