"""``AsyncClient``: the one implementation of every SF API call.

All requests go through :meth:`AsyncClient._request`, the one send path: it applies the
retry policy, maps every failure to the error tree in :mod:`._errors`, and never repeats a
request that is not safe to repeat.
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
    REQUEST_TIMEOUT,
)
from ._credentials import Credentials, discover_credentials
from ._errors import (
    ApiError,
    AuthenticationError,
    ConnectError,
    RequestTimeout,
    SfApiError,
    UnexpectedAnswerError,
    error_for_response,
    json_answer,
    retry_after_seconds,
)
from ._retry import RetryPolicy, retry_statuses
from ._tasks import TaskBatcher, cancel_task, task_of, wait_task
from ._transport import SLURM, describe, key_refused_message, local_transport, requested
from .models import (
    ApiClient,
    Change,
    Group,
    ModelList,
    Note,
    Outage,
    Project,
    Role,
    Status,
    Task,
    TransferInfo,
    User,
)
from .resources.groups import AsyncGroups
from .resources.machine import AsyncMachine
from .resources.storage import AsyncTransfer, Location, start_transfer


class AsyncClient(AsyncGroups):
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
            base_url=self.api_base_url + "/", transport=chosen, timeout=timeouts, auth=auth,
            limits=CONNECTION_LIMITS,
        )  # fmt: skip
        self._machines: dict[str, AsyncMachine] = {}
        self._me: User | None = None
        #: Task cancels still on their way (sent when a wait was interrupted).
        self._cancelling: set[asyncio.Future[Task]] = set()
        #: Shared task polls (submits, cancels, commands).
        self.task_polls = TaskBatcher(self)
        #: Requests sent, by "METHOD path" (for diagnostics and tests).
        self.request_count = 0
        #: Why the token endpoint refused the key (then public calls go on anonymously).
        self.key_refused: str | None = None
        #: Warn (once) when that happens; the sync facade warns in its caller's thread instead.
        self.warn_key_refused = True

    def __repr__(self) -> str:
        who = f"client_id={self.credentials.client_id!r}" if self.credentials else (
            "access_token=<hidden>" if self._auth else f"keyless: {self.keyless}"
            if self.keyless else "anonymous")  # fmt: skip
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
                f"{method} {path} needs an API client: pass client_id= and key=, set "
                "SFAPI_CLIENT_ID and SFAPI_KEY, or put a key in ~/.superfacility/"
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
                    method, path, params=params, data=data, files=files,
                    auth=None if anonymous else httpx.USE_CLIENT_DEFAULT,
                )  # fmt: skip
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
                    method, path, params=params, data=data, files=files, retry=retry,
                    auth_required=False,
                )  # fmt: skip
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

    # -- status -----------------------------------------------------------------------------
    async def status(self, name: str | None = None) -> Any:
        """All resources' status (a list), or one resource's (``status("perlmutter")``)."""
        if name is None:
            rows = await self._get("status", auth_required=False, shape=list)
            return ModelList(Status.model_validate(r) for r in rows)
        return Status.model_validate(
            await self._get(f"status/{name}", auth_required=False, shape=dict)
        )

    async def _per_resource(self, path: str, name: str | None) -> list[Any]:
        """Rows of ``path`` for one resource, or of all (the API groups those per resource)."""
        where = f"{path}/{name}" if name else path
        body = await self._get(where, auth_required=False, shape=list)
        if name is not None:
            return list(body)
        if not all(isinstance(group, list) for group in body):
            raise UnexpectedAnswerError(f"GET {where}: the API's answer is not a list per resource")
        return [row for group in body for row in group]

    async def _outages(self, path: str, name: str | None) -> ModelList[Outage]:
        return ModelList(Outage.model_validate(o) for o in await self._per_resource(path, name))

    async def outages(self, name: str | None = None) -> ModelList[Outage]:
        """Current and past outages, of every resource or of one."""
        return await self._outages("status/outages", name)

    async def planned_outages(self, name: str | None = None) -> ModelList[Outage]:
        """Planned outages, of every resource or of one."""
        return await self._outages("status/outages/planned", name)

    async def notes(self, name: str | None = None) -> ModelList[Note]:
        rows = await self._per_resource("status/notes", name)
        return ModelList(Note.model_validate(n) for n in rows)

    async def changelog(self) -> ModelList[Change]:
        return ModelList(
            Change.model_validate(c)
            for c in await self._get("meta/changelog", auth_required=False, shape=list)
        )

    async def config(self) -> dict[str, str | None]:
        rows = await self._get("meta/config", auth_required=False, shape=list)
        if not all(isinstance(r, dict) and "key" in r for r in rows):
            raise UnexpectedAnswerError("GET meta/config: the API's rows have no key")
        return {str(r["key"]): r.get("value") for r in rows}

    # -- account ----------------------------------------------------------------------------
    async def user(self, username: str | None = None) -> User:
        """The token owner (or ``username``)."""
        params = {"username": username} if username else None
        user = User.model_validate(await self._get("account/", params, shape=dict))
        if username is None:
            self._me = user
        return user

    async def whoami(self) -> User:
        """The token owner, asked once and remembered."""
        return self._me or await self.user()

    async def projects(self) -> ModelList[Project]:
        return ModelList(
            Project.model_validate(p) for p in await self._get("account/projects", shape=list)
        )

    async def roles(self) -> ModelList[Role]:
        return ModelList(
            Role.model_validate(r) for r in await self._get("account/roles", shape=list)
        )

    async def groups(self) -> ModelList[Group]:
        body = await self._get("account/groups", shape=dict)
        return ModelList(Group.model_validate(g) for g in body.get("groups") or [])

    async def clients(self) -> ModelList[ApiClient]:
        return ModelList(
            ApiClient.model_validate(c) for c in await self._get("account/clients", shape=list)
        )

    # -- compute ----------------------------------------------------------------------------
    def compute(self, machine: str) -> AsyncMachine:
        """A handle on one machine (``perlmutter``, ``dtns``, ``dtn01``); no request made."""
        if machine not in self._machines:
            self._machines[machine] = AsyncMachine(self, machine)
        return self._machines[machine]

    # -- storage ----------------------------------------------------------------------------
    async def transfer(
        self, source: Location, target: Location, *, label: str = ""
    ) -> AsyncTransfer:
        """Start a Globus-shaped transfer of ``source`` (a file or directory) into ``target``.

        Locations are ``"MACHINE:PATH"`` or ``(machine, path)``; machines are ``perlmutter``,
        ``dtns``, ``dtn01`` (or Globus collection UUIDs). The transfer runs on its own:
        ``await transfer.wait()`` follows it. A bad location raises ValueError; a refused
        transfer NotFoundError, PermissionDeniedError or ApiError, saying why.
        """
        return await start_transfer(self, source, target, label)

    async def transfer_status(self, transfer_id: str) -> TransferInfo:
        """What the API says now about one transfer."""
        body = await self._get(f"storage/globus/transfer/{transfer_id}", shape=dict)
        if body.get("status") == "ERROR" and not body.get("globus_status"):
            raise ApiError(f"Transfer {transfer_id}: {body.get('reason') or 'unknown error'}")
        return TransferInfo.model_validate({**body, "transfer_id": transfer_id})

    # -- tasks ------------------------------------------------------------------------------
    async def task(self, task_id: str) -> Task:
        return task_of(await self._get(f"tasks/{task_id}", shape=dict), task_id)

    async def tasks(self) -> list[Task]:
        body = await self._get("tasks", shape=dict)
        rows = body.get("tasks") or []
        if not isinstance(rows, list) or not all(isinstance(t, dict) for t in rows):
            raise UnexpectedAnswerError("GET tasks: the API's tasks are not a list of objects")
        return [task_of(t, str(t.get("id"))) for t in rows]

    async def wait_task(
        self, task_id: str, timeout: float | None = None, *, interval: float = 0.2
    ) -> Task:
        """Poll a task until it is done, backing off from ``interval`` to 1 s; polls due at
        the same time share one request (:class:`~sfapi_jupyter.client._tasks.TaskBatcher`)."""
        return await wait_task(self, task_id, timeout, interval)

    async def cancel_task(self, task_id: str) -> Task:
        """Cancel a running task (a command: it is killed, with its children); a finished
        task is left as it is. The task as it is afterwards."""
        return await cancel_task(self, task_id)
