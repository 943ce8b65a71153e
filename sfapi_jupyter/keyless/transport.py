"""``KeylessTransport``: SF API requests answered in-process by the facility, as the user.

The client keeps its API base URL (``$SFAPI_API_URL`` or NERSC's) and sends its requests
as always; this transport decides where each goes:

- ``/status...`` (resources, outages, notes) to the real API over HTTP, anonymously: the
  local Slurm knows nothing of NERSC's outages, and the facility's own status table is a
  local model of them, not NERSC's;
- everything else to the facility's application for this OS user (no socket, no token),
  started on the first such request, on the client's own event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..facility.config import API_PREFIX

#: The host name local requests carry (they never leave the process).
LOCAL_HOST = "keyless.invalid"
#: The API paths that go to the real API: public status, which only NERSC knows.
PUBLIC_PREFIXES = ("status",)


class KeylessTransport(httpx.AsyncBaseTransport):
    """Route public status to the real API and the rest to the user's local facility."""

    def __init__(self, api_base_url: str, app: Any) -> None:
        self._api_path = urlsplit(api_base_url).path.rstrip("/")
        self._app = app
        self.user: str = app.user.name
        #: One line saying how requests reach the machine (the client shows it).
        self.keyless_description = f"this node's Slurm as {self.user}, no API key"
        self._local = httpx.ASGITransport(app, raise_app_exceptions=False)
        self._public = httpx.AsyncHTTPTransport()
        self._started = False
        self._closed = False
        self._start_lock: asyncio.Lock | None = None
        #: Requests answered here and sent to the real API (for tests and diagnostics).
        self.local_requests = 0
        self.public_requests = 0

    def __repr__(self) -> str:
        return f"KeylessTransport(user={self.user!r})"

    def _api_relative(self, request: httpx.Request) -> str | None:
        path = request.url.path
        if path == self._api_path or path.startswith(self._api_path + "/"):
            return path[len(self._api_path) :].lstrip("/")
        return None

    async def _start(self) -> None:
        if self._started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if not self._started:
                await self._app.startup()
                self._started = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        relative = self._api_relative(request)
        if relative is not None and relative.startswith(PUBLIC_PREFIXES):
            self.public_requests += 1
            request.headers.pop("authorization", None)  # public: nothing of ours goes out
            return await self._public.handle_async_request(request)
        await self._start()
        self.local_requests += 1
        request.url = request.url.copy_with(
            scheme="http", host=LOCAL_HOST, port=None, path=f"{API_PREFIX}/{relative or ''}"
        )
        request.headers["host"] = LOCAL_HOST
        return await self._local.handle_async_request(request)

    async def aclose(self) -> None:
        # The client closes two httpx clients over this one transport: close once.
        if self._closed:
            return
        self._closed = True
        await self._public.aclose()
        if self._started:
            await self._app.shutdown()
