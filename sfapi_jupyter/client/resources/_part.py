"""What a part of the client's API may use of the client: its one send path.

The calls of the whole API that need no handle (status, account, tasks, transfers, groups)
are methods of the client itself, as NERSC's client has them (``client.status(...)``,
``client.user()``), so each area's calls are written in its own module here, as a mixin:
:class:`ClientPart` for :class:`~sfapi_jupyter.client.AsyncClient`, :class:`SyncPart` for
the blocking :class:`~sfapi_jupyter.client.Client` (the same calls without ``await``).
``client/_client.py`` keeps the send path, auth and the lifecycle. The declarations below
are for the type checker only: the client defines them, and mypy checks they agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Coroutine

    import httpx

    from .._client import AsyncClient

T = TypeVar("T")


class ClientPart:
    """A mixin of :class:`AsyncClient`: one area of the API, sent through the client."""

    if TYPE_CHECKING:

        async def _request(
            self,
            method: str,
            path: str,
            *,
            params: Any = None,
            data: Any = None,
            files: Any = None,
            retry: bool = True,
            auth_required: bool = True,
        ) -> httpx.Response: ...

        async def _get(
            self,
            path: str,
            params: Any = None,
            *,
            auth_required: bool = True,
            shape: type | tuple[type, ...] = (dict, list),
        ) -> Any: ...


class SyncPart:
    """A mixin of the blocking ``Client``: the same calls as its async part, run on the
    client's loop thread."""

    if TYPE_CHECKING:
        aio: AsyncClient

        def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T: ...
