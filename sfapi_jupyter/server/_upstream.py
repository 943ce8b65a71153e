"""The Jupyter server's one SF API client, and the state of its key.

Credentials are found exactly as ``Client()`` finds them (``SFAPI_CLIENT_ID`` with
``SFAPI_KEY`` or ``SFAPI_SECRET``, else ``~/.superfacility/``), in the server's process, and
stay there: what leaves the server is data and a key *state* (``ok``, ``keyless``,
``missing``, ``unusable``, ``refused``) with a message, never a key, a token or a key's path
contents. With no key, the transport is chosen by ``Client()``'s own rule
(``client/_transport.py``, ``keyless.provide``): a server run as an ordinary user on a node
whose Slurm answers goes keyless (its user's jobs through that Slurm, no key), a root server
or one without Slurm stays anonymous (public status only). While the server holds no key it
looks again before each request that needs one, so a key put in ``~/.superfacility/`` is
found at the next refresh, without a restart (and then used, as ``Client()`` would).
"""

from __future__ import annotations

import asyncio
import logging

from .. import keyless  # noqa: F401 - registers the keyless transport, as Client()'s door does
from ..client import AsyncClient, Credentials, CredentialsError, RetryPolicy, discover_credentials
from ..client._constants import HOW_TO_ADD_A_KEY

#: One attempt per request: the cache serves the last answer, marked stale, when it fails,
#: and the tabs' next poll asks again (a retry loop here would hold every tab waiting).
ONE_ATTEMPT = RetryPolicy(attempts=1)

NO_KEY = (
    "This Jupyter server has no SF API key, so it cannot list your jobs. To add a key: "
    f"{HOW_TO_ADD_A_KEY} (a key file put there is found at the next refresh; the variables "
    "need a restart of the server). Status works without a key."
)

#: The key line of a server that needs no key (followed by "this node's Slurm as USER, …").
KEYLESS = "Keyless: your jobs go through "


class Upstream:
    """Holds the client; ``client()`` gives it, rebuilt when a key appears or changes."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger(__name__)
        self._client: AsyncClient | None = None
        #: Why the key found cannot be used (a CredentialsError's message), else None.
        self.key_problem: str | None = None
        #: Why the transport asked for ($SFAPI_TRANSPORT) cannot be used, else None.
        self.transport_problem: str | None = None
        self._closing: asyncio.Future[None] | None = None

    def _discover(self) -> Credentials | None:
        try:
            found = discover_credentials()
        except CredentialsError as exc:
            if exc.message != self.key_problem:
                self.log.warning("SF API key not usable: %s", exc.message)
            self.key_problem = exc.message
            return None
        self.key_problem = None
        return found

    def client(self, *, need_key: bool = False) -> AsyncClient:
        """The client; with ``need_key`` and no key held, the credentials are looked for
        again first (cheap: the environment and one directory listing)."""
        if self._client is None:
            self._client = self._build(self._discover())
        elif need_key and self._client.credentials is None:
            found = self._discover()
            if found is not None:
                self.log.info("SF API key found (client %s)", found.client_id)
                old, self._client = self._client, self._build(found)
                self._retire(old)
        return self._client

    def _build(self, credentials: Credentials | None) -> AsyncClient:
        # No key and none unusable: let the client choose as Client() does (keyless where
        # this node's Slurm serves this non-root user, else anonymous).
        choose = credentials is None and self.key_problem is None
        self.transport_problem = None
        try:
            client = AsyncClient(
                credentials=credentials,
                anonymous=not choose and credentials is None,
                retry=ONE_ATTEMPT,
            )
        except CredentialsError as exc:  # SFAPI_TRANSPORT=slurm where Slurm cannot serve
            self.log.warning("SF API client: %s", exc.message)
            self.transport_problem = exc.message
            client = AsyncClient(anonymous=True, transport="api", retry=ONE_ATTEMPT)
        if client.keyless:
            self.log.info("sfapi_jupyter: keyless: jobs go through %s", client.keyless)
        # The key's refusal is reported in the key state, not as a Python warning.
        client.warn_key_refused = False
        return client

    def _retire(self, old: AsyncClient) -> None:
        # kept until done: a task nobody holds may be collected before it ends
        self._closing = asyncio.ensure_future(old.aclose())

    def key_state(self) -> tuple[str, str | None]:
        """(``ok`` | ``keyless`` | ``missing`` | ``unusable`` | ``refused``, what it means)."""
        client = self.client(need_key=True)
        if self.key_problem or self.transport_problem:
            return "unusable", self.key_problem or self.transport_problem
        if client.keyless:
            return "keyless", f"{KEYLESS}{client.keyless}"
        if client.credentials is None:
            return "missing", NO_KEY
        if client.key_refused:
            return "refused", client.key_refused
        return "ok", None

    def who(self) -> str:
        """Whose data the cache holds: the client id (a key change starts afresh)."""
        client = self.client()
        if client.credentials:
            return client.credentials.client_id
        return f"keyless {client.keyless}" if client.keyless else "-"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
