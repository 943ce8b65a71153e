"""Transfers from the notebook: start one, and follow it on a live ``TransferCard``.

:func:`start_transfer` is what ``%sftransfer`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from ..client import Client, SfApiError
from ..client._sync import Transfer
from ..client.resources.storage import AsyncTransfer, Location, parse_location
from ..widgets import TransferCard
from ..widgets.support.mainthread import dispatcher
from .controllers import Feed, call, controller_of
from .session import get_client

#: Seconds between two looks at a transfer: quick at first, then every few seconds.
FIRST_INTERVAL = 0.5
MAX_INTERVAL = 3.0


class TransferFeed(Feed[TransferCard]):
    """The state, files and bytes of one transfer, into a ``TransferCard``, until it ends."""

    def __init__(self, client: Client, card: TransferCard, transfer: AsyncTransfer) -> None:
        super().__init__(client, card)
        self.transfer = transfer

    def __repr__(self) -> str:
        return f"<TransferFeed {self.transfer.transfer_id}>"

    async def run(self) -> None:
        assert self._stop is not None
        interval = FIRST_INTERVAL
        failures = 0
        while not self._stop.is_set():
            try:
                info = await self.transfer.refresh()
            except SfApiError as exc:
                failures += 1
                if failures >= 5:
                    self.widget_call("set_message", f"Cannot follow: {exc.message}", "error")
                    return
                self.widget_call("set_message", f"Asking again ({exc.message})", "warning")
            else:
                if failures:
                    self.widget_call("set_message", "", "info")
                failures = 0
                self.widget_call("set_info", info)
                if info.is_terminal:
                    call(self.save_summary)
                    return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)
            interval = min(interval * 1.5, MAX_INTERVAL)


def start_transfer(
    source: Location, target: Location, *, label: str = "", client: Client | None = None
) -> tuple[Transfer, TransferCard]:
    """Start a transfer between machines; return it and its live ``TransferCard``.

    Parameters
    ----------
    source, target
        ``"MACHINE:PATH"`` (or ``(machine, path)``): a file or directory, and the directory
        it is copied into. Machines: ``perlmutter``, ``dtns``, ``dtn01``.
    label
        A name for the transfer (shown on the card).
    client
        The client (default :func:`~sfapi_jupyter.notebook.session.get_client`).

    Raises
    ------
    ValueError
        A location is not ``MACHINE:PATH`` or names an unknown machine.
    SfApiError
        The API refused the transfer (a missing source, no permission, a read-only client).

    Examples
    --------
    >>> t, card = start_transfer("perlmutter:/pscratch/sd/e/elvis/run1",
    ...                          "dtns:/global/cfs/cdirs/m1234/runs")      # doctest: +SKIP
    """
    dispatcher().bind()
    src, dst = parse_location(source), parse_location(target)
    client = client or get_client()
    transfer = client.transfer(src, dst, label=label)
    card = TransferCard(
        source=":".join(src), target=":".join(dst), transfer_id=transfer.transfer_id, label=label
    )
    TransferFeed(client, card, transfer.aio).start()
    return transfer, card


def wait_for_transfer(
    transfer: Transfer, timeout: float | None = None, card: TransferCard | None = None
) -> bool:
    """Block until ``transfer`` ends, keeping the card updating; False if ``timeout`` passed."""
    waiting = dispatcher()
    waiting.bind()
    feed = controller_of(card) if card is not None else None
    future: Any = feed.future if feed is not None else None
    if future is None:
        future = transfer.client.loop_thread.submit(transfer.aio.wait())
    finished = waiting.wait_until(future.done, timeout)
    if not finished:
        return False
    ref = weakref.ref(card) if card is not None else None
    if ref is not None:
        waiting.wait_until(lambda: (c := ref()) is None or c.is_terminal, 5.0)
    return transfer.is_terminal


__all__ = ["TransferFeed", "start_transfer", "wait_for_transfer"]
