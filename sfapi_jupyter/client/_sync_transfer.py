"""``Transfer``: the blocking handle on a Globus-shaped transfer, and ``Client.transfer``
(see :mod:`._sync`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from .models import TransferInfo, TransferStatus
from .resources._part import SyncPart
from .resources.storage import AsyncTransfer, Location

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


class SyncTransfers(SyncPart):
    """``Client.transfer`` and ``transfer_status`` (a mixin of ``Client``)."""

    def transfer(self, source: Location, target: Location, *, label: str = "") -> Transfer:
        """Start a transfer; see :meth:`AsyncClient.transfer`.

        >>> t = client.transfer("perlmutter:/pscratch/run1", "dtns:/cfs/m1")  # doctest: +SKIP
        >>> t.wait().globus_status                                           # doctest: +SKIP
        <TransferStatus.SUCCEEDED: 'SUCCEEDED'>
        """
        started = self._run(self.aio.transfer(source, target, label=label))
        return Transfer(cast("Client", self), started)

    def transfer_status(self, transfer_id: str) -> TransferInfo:
        return self._run(self.aio.transfer_status(transfer_id))
