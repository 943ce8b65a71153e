"""``AsyncClient``: the one send path, auth and the lifecycle; the API's calls are its parts.

All requests go through :meth:`AsyncClient._request`, the one send path: it applies the
retry policy, maps every failure to the error tree in :mod:`._errors`, and never repeats a
request that is not safe to repeat. The calls themselves are written per area of the API in
``resources/``: handles for what lives on a machine (``compute(name)`` → jobs, files,
commands) and, for the rest, the parts mixed into the client (status, account, tasks,
transfers, groups; see :mod:`.resources._part`), so ``client.status(...)`` stays a call.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from types import TracebackType
from typing import Any

import httpx

from ._auth import BearerAuth, ClientCredentialsAuth, KeyRefusedWarning
from ._constants import (
    CONNECT_TIMEOUT,
    CONNECTION_LIMITS,
    DEFAULT_API_URL,
    DEFAULT_TOKEN_URL,
    ENV_API_URL,
    ENV_TOKEN_URL,
    HOW_TO_ADD_A_KEY,
    REQUEST_TIMEOUT,
)
from ._credentials import Credentials, discover_credentials
from ._errors import (
    AuthenticationError,
    ConnectError,
    RequestTimeout,
    SfApiError,
    error_for_response,
    json_answer,
    retry_after_seconds,
)
from ._pool import api_transport
from ._retry import RetryPolicy, retry_statuses
from ._transport import SLURM, describe, key_refused_message, local_transport, requested
from .resources.account import AsyncAccount
from .resources.groups import AsyncGroups
from .resources.machine import AsyncMachine
from .resources.status import AsyncStatus
from .resources.storage import AsyncTransfers
from .resources.tasks import AsyncTasks
from .task_batch import TaskBatcher


class AsyncClient(AsyncStatus, AsyncAccount, AsyncTasks, AsyncTransfers, AsyncGroups):
    """An asynchronous client for the Superfacility API.

    Parameters
    ----------
    api_base_url, token_url
        Where the API and its token endpoint are; default from ``SFAPI_API_URL`` and
        ``SFAPI_TOKEN_URL``, else NERSC's.
    client_id, key
        The API client; ``key`` is a path, PEM text or a JWK dict. Without them the
        environment and ``~/.superfacility/`` are searched; with nothing found the client
        is anonymous (it can read status).
    access_token
        A token obtained elsewhere, used as it is and never renewed.
    anonymous
        Use no credentials at all, and do not look for any (status and outages are public).
    transport
        ``"api"`` or ``"slurm"`` (keyless: this node's Slurm and files, see
        :mod:`._transport`; default ``$SFAPI_TRANSPORT``, else chosen), or an ``httpx``
        transport (tests pass ``httpx.ASGITransport(app)``).

    Examples
    --------
    >>> async with AsyncClient() as client:          # doctest: +SKIP
    ...     print((await client.status("perlmutter")).status)
    """

    def __init__(
        self,
        api_base_url: str | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        key: Any = None,
        *,
        access_token: str | None = None,
        anonymous: bool = False,
        credentials: Credentials | None = None,
        transport: httpx.AsyncBaseTransport | str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.api_base_url = (api_base_url or os.environ.get(ENV_API_URL) or DEFAULT_API_URL).rstrip(
            "/"
        )
        self.token_url = token_url or os.environ.get(ENV_TOKEN_URL) or DEFAULT_TOKEN_URL
        self.retry = retry or RetryPolicy()
        timeouts = httpx.Timeout(timeout, connect=CONNECT_TIMEOUT)
        wanted, chosen = requested(transport), None if isinstance(transport, str) else transport
        auth: httpx.Auth | None = None
        self.credentials: Credentials | None = None
        if wanted == SLURM:
            chosen = local_transport(self.api_base_url, True)
        elif access_token:
            auth = BearerAuth(access_token)
        elif not anonymous:
            self.credentials = credentials or discover_credentials(client_id, key)
            if self.credentials is None and wanted is None:
                chosen = local_transport(self.api_base_url, False)
        #: How a keyless transport reaches the machine (one line); "" through the SF API.
        self.keyless = describe(chosen)
        self._token_http = httpx.AsyncClient(transport=chosen, timeout=timeouts)
        if self.credentials is not None:
            auth = ClientCredentialsAuth(self.credentials, self.token_url, self._token_http)
        self._auth = auth
        self._http = httpx.AsyncClient(
            base_url=self.api_base_url + "/",
            transport=chosen if chosen is not None else api_transport(CONNECTION_LIMITS),
            timeout=timeouts,
            auth=auth,
        )
        self._machines: dict[str, AsyncMachine] = {}
        self._cancelling = set()
        self.task_polls = TaskBatcher(self)
        #: Requests sent, by "METHOD path" (for diagnostics and tests).
        self.request_count = 0
        #: Why the token endpoint refused the key (then public calls go on anonymously).
        self.key_refused: str | None = None
        #: Warn (once) when that happens; the sync facade warns in its caller's thread instead.
        self.warn_key_refused = True

    def __repr__(self) -> str:
        who = (
            f"client_id={self.credentials.client_id!r}"
            if self.credentials
            else (
                "access_token=<hidden>"
                if self._auth
                else f"keyless: {self.keyless}"
                if self.keyless
                else "anonymous"
            )
        )
        return f"AsyncClient(api_base_url={self.api_base_url!r}, {who})"

    @property
    def authenticated(self) -> bool:
        return self._auth is not None or bool(self.keyless)

    # -- lifecycle --------------------------------------------------------------------------
    async def aclose(self) -> None:
        if self._cancelling:  # an interrupted command is stopped before the client goes
            await asyncio.wait(set(self._cancelling), timeout=10)
        for machine in self._machines.values():
            await machine.aclose()
        self.task_polls.cancel()
        await self._http.aclose()
        await self._token_http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the send path --------------------------------------------------------------------
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
    ) -> httpx.Response:
        """Send one API request; retry what is safe to retry; raise typed errors.

        With ``retry=False`` nothing is repeated except a connection that was refused before
        the request was sent (it cannot have done anything).
        """
        if auth_required and not self.authenticated:
            raise AuthenticationError(
                f"{method} {path} needs an API client: pass client_id= and key=, "
                + HOW_TO_ADD_A_KEY
            )
        attempts = self.retry.attempts
        transient = retry_statuses(method)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                self.request_count += 1
                # A public call does not ask again for a token the key could not get.
                anonymous = not auth_required and self.key_refused is not None
                response = await self._http.request(
                    method,
                    path,
                    params=params,
                    data=data,
                    files=files,
                    auth=None if anonymous else httpx.USE_CLIENT_DEFAULT,
                )
            except AuthenticationError as exc:
                # Only the auth flow raises this here: the key was refused or is unusable.
                server_failed = exc.status_code is not None and exc.status_code >= 500
                if (
                    auth_required
                    or server_failed
                    or not isinstance(self._auth, ClientCredentialsAuth)
                ):
                    raise
                self._key_was_refused(exc)
                return await self._request(
                    method,
                    path,
                    params=params,
                    data=data,
                    files=files,
                    retry=retry,
                    auth_required=False,
                )
            except httpx.ConnectError as exc:
                error: SfApiError = ConnectError(
                    f"Cannot connect to {self.api_base_url}: {exc}. Is the API reachable?"
                )
                if last:
                    raise error from None
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            except httpx.TimeoutException:
                error = RequestTimeout(
                    f"{method} {path}: no answer from {self.api_base_url} in time"
                )
                if not retry or last:
                    raise error from None
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            except httpx.TransportError as exc:
                error = ConnectError(
                    f"{method} {path}: the connection to {self.api_base_url} failed "
                    f"({type(exc).__name__})"
                )
                if not retry or last:
                    raise error from None
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            if response.status_code < 400:
                return response
            if retry and not last and response.status_code in transient:
                await asyncio.sleep(self.retry.delay(attempt, retry_after_seconds(response)))
                continue
            raise error_for_response(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _key_was_refused(self, exc: AuthenticationError) -> None:
        self.key_refused = key_refused_message(exc.message, self.credentials)
        if self.warn_key_refused:
            warnings.warn(self.key_refused, KeyRefusedWarning, stacklevel=4)

    async def _get(
        self,
        path: str,
        params: Any = None,
        *,
        auth_required: bool = True,
        shape: type | tuple[type, ...] = (dict, list),
    ) -> Any:
        """The JSON of a GET; an answer that is not JSON of ``shape`` (``dict`` or ``list``)
        raises :class:`UnexpectedAnswerError` rather than failing later as a TypeError."""
        response = await self._request("GET", path, params=params, auth_required=auth_required)
        return json_answer(response, f"GET {path}", shape)

    # -- compute ----------------------------------------------------------------------------
    def compute(self, machine: str) -> AsyncMachine:
        """A handle on one machine (``perlmutter``, ``dtns``, ``dtn01``); no request made."""
        if machine not in self._machines:
            self._machines[machine] = AsyncMachine(self, machine)
        return self._machines[machine]
