"""``Transfer``: the blocking handle on a Globus-shaped transfer (see :mod:`._sync`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import TransferInfo, TransferStatus
from .resources.storage import AsyncTransfer

if TYPE_CHECKING:
    from ._sync import Client


class Transfer:
    """A blocking handle on a transfer; see :class:`AsyncTransfer`."""

    def __init__(self, client: Client, transfer: AsyncTransfer) -> None:
        self._client = client
        self.aio = transfer

    def __repr__(self) -> str:
        return repr(self.aio)

    @property
    def client(self) -> Client:
        return self._client

    @property
    def transfer_id(self) -> str:
        return self.aio.transfer_id

    @property
    def source(self) -> tuple[str, str]:
        return self.aio.source

    @property
    def target(self) -> tuple[str, str]:
        return self.aio.target

    @property
    def label(self) -> str:
        return self.aio.label

    @property
    def info(self) -> TransferInfo:
        return self.aio.info

    @property
    def state(self) -> TransferStatus:
        return self.aio.state

    @property
    def is_terminal(self) -> bool:
        return self.aio.is_terminal

    def refresh(self) -> TransferInfo:
        return self._client._run(self.aio.refresh())

    def wait(
        self, timeout: float | None = None, *, interval: float = 1.0, check: bool = False
    ) -> TransferInfo:
        return self._client._run(self.aio.wait(timeout, interval=interval, check=check))
