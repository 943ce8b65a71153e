"""Transfers between machines: ``/storage/globus/transfer``, as a handle that can be followed.

A location is ``MACHINE:PATH`` (``perlmutter:/pscratch/sd/e/elvis/run1``) or a
``(machine, path)`` pair. Machines map to the endpoint ids NERSC's API accepts: ``dtns``
and ``dtn01`` are ``dtn``, ``perlmutter`` is itself; a Globus collection UUID passes as is.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, cast

from .._errors import ApiError, NotFoundError, PermissionDeniedError, WaitTimeout, json_object
from ..models import TransferInfo, TransferStatus
from ._part import ClientPart

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._client import AsyncClient

#: The machines a transfer can name, and the endpoint id each one is sent as.
ENDPOINTS = {"perlmutter": "perlmutter", "dtns": "dtn", "dtn01": "dtn", "dtn": "dtn"}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EXAMPLE = "perlmutter:/pscratch/sd/e/elvis/run1"

Location = str | tuple[str, str]


def endpoint_id(machine: str) -> str:
    """The endpoint id the API takes for ``machine``; ValueError names the known ones."""
    name = machine.strip()
    if name.lower() in ENDPOINTS:
        return ENDPOINTS[name.lower()]
    if _UUID.fullmatch(name):
        return name
    known = ", ".join(m for m in ENDPOINTS if m != "dtn")
    raise ValueError(
        f"unknown machine {name!r}: a transfer goes between {known} (or Globus collection UUIDs)"
    )


def parse_location(location: Location) -> tuple[str, str]:
    """``"perlmutter:/data/x"`` or ``("perlmutter", "/data/x")`` → ``(machine, path)``.

    Raises
    ------
    ValueError
        Not ``MACHINE:PATH``, an empty part, or an unknown machine; the message shows the
        expected form.

    Examples
    --------
    >>> parse_location("dtns:/global/cfs/cdirs/m1234/raw")
    ('dtns', '/global/cfs/cdirs/m1234/raw')
    """
    if isinstance(location, tuple):
        machine, path = (str(part).strip() for part in location)
        text = f"{machine}:{path}"
    else:
        text = str(location).strip()
        machine, sep, path = text.partition(":")
        machine, path = machine.strip(), path.strip()
        if not sep:
            raise ValueError(
                f"{text!r} is not MACHINE:PATH; write the machine, a colon and the path, "
                f"e.g. {EXAMPLE}"
            )
    if not machine or not path:
        missing = "machine" if not machine else "path"
        raise ValueError(f"{text!r} has no {missing}; write MACHINE:PATH, e.g. {EXAMPLE}")
    try:
        endpoint_id(machine)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    return machine, path


def _start_error(reason: str, body: Any) -> ApiError | NotFoundError | PermissionDeniedError:
    message = f"The transfer was refused: {reason}"
    if "No such file" in reason:
        return NotFoundError(message, body=body)
    if "ermission" in reason or "not allowed" in reason:
        return PermissionDeniedError(message, body=body)
    return ApiError(message, body=body)


class AsyncTransfer:
    """One transfer: where from and to, and what the API said last (``info``).

    >>> t = await client.transfer("perlmutter:/pscratch/run1", "dtns:/cfs/m1")  # doctest: +SKIP
    >>> await t.wait()                                                        # doctest: +SKIP
    """

    def __init__(
        self,
        client: AsyncClient,
        transfer_id: str,
        source: tuple[str, str],
        target: tuple[str, str],
        label: str = "",
    ) -> None:
        self.client = client
        self.transfer_id = transfer_id
        self.source = source
        self.target = target
        self.label = label
        self.info = TransferInfo(transfer_id=transfer_id)

    def __repr__(self) -> str:
        src, dst = ":".join(self.source), ":".join(self.target)
        return f"<Transfer {self.transfer_id[:8]} {src} -> {dst}: {self.state.value}>"

    @property
    def state(self) -> TransferStatus:
        return self.info.globus_status

    @property
    def is_terminal(self) -> bool:
        return self.info.is_terminal

    async def refresh(self) -> TransferInfo:
        """Ask the API how far the transfer is."""
        self.info = await self.client.transfer_status(self.transfer_id)
        return self.info

    async def wait(
        self,
        timeout: float | None = None,
        *,
        interval: float = 1.0,
        check: bool = False,
        on_progress: Callable[[TransferInfo], Any] | None = None,
    ) -> TransferInfo:
        """Poll until the transfer ends; ``on_progress(info)`` after each look.

        With ``check=True`` a transfer that did not succeed raises ``ApiError``.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            info = await self.refresh()
            if on_progress is not None:
                on_progress(info)
            if info.is_terminal:
                break
            if deadline is not None and loop.time() >= deadline:
                raise WaitTimeout(
                    f"Transfer {self.transfer_id} is still {info.globus_status.value} after "
                    f"{timeout} s; it keeps going"
                )
            await asyncio.sleep(interval)
        if check and info.globus_status is not TransferStatus.SUCCEEDED:
            why = f": {info.reason}" if info.reason else ""
            raise ApiError(f"Transfer {self.transfer_id} {info.globus_status.value}{why}")
        return info


class AsyncTransfers(ClientPart):
    """``AsyncClient.transfer`` and ``transfer_status``."""

    async def transfer(
        self, source: Location, target: Location, *, label: str = ""
    ) -> AsyncTransfer:
        """Start a Globus-shaped transfer of ``source`` (a file or directory) into ``target``.

        Locations are ``"MACHINE:PATH"`` or ``(machine, path)``; machines are ``perlmutter``,
        ``dtns``, ``dtn01`` (or Globus collection UUIDs). The transfer runs on its own:
        ``await transfer.wait()`` follows it. A bad location raises ValueError; a refused
        transfer NotFoundError, PermissionDeniedError or ApiError, saying why. The POST is
        never repeated: a second one would copy twice.
        """
        src, dst = parse_location(source), parse_location(target)
        form = {
            "source_uuid": endpoint_id(src[0]),
            "target_uuid": endpoint_id(dst[0]),
            "source_dir": src[1],
            "target_dir": dst[1],
            "label": label,
        }
        response = await self._request("POST", "storage/globus/transfer", data=form, retry=False)
        body = json_object(response, "POST storage/globus/transfer")
        if body.get("status") == "ERROR" or not body.get("transfer_id"):
            raise _start_error(str(body.get("reason") or "no reason given"), body)
        return AsyncTransfer(cast("AsyncClient", self), str(body["transfer_id"]), src, dst, label)

    async def transfer_status(self, transfer_id: str) -> TransferInfo:
        """What the API says now about one transfer."""
        body = await self._get(f"storage/globus/transfer/{transfer_id}", shape=dict)
        if body.get("status") == "ERROR" and not body.get("globus_status"):
            raise ApiError(f"Transfer {transfer_id}: {body.get('reason') or 'unknown error'}")
        return TransferInfo.model_validate({**body, "transfer_id": transfer_id})


__all__ = ["ENDPOINTS", "AsyncTransfer", "AsyncTransfers", "endpoint_id", "parse_location"]
