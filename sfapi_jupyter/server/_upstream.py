"""The Jupyter server's one SF API client, and the state of its key.

Credentials are found exactly as ``Client()`` finds them (``SFAPI_CLIENT_ID`` with
``SFAPI_KEY`` or ``SFAPI_SECRET``, else ``~/.superfacility/``), in the server's process, and
stay there: what leaves the server is data and a key *state* (``ok``, ``missing``,
``unusable``, ``refused``) with a message, never a key, a token or a key's path contents.
While the server holds no usable key it looks again before each request that needs one, so
a key put in ``~/.superfacility/`` is found at the next refresh, without a restart.
"""

from __future__ import annotations

import asyncio
import logging

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


class Upstream:
    """Holds the client; ``client()`` gives it, rebuilt when a key appears or changes."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger(__name__)
        self._client: AsyncClient | None = None
        #: Why the key found cannot be used (a CredentialsError's message), else None.
        self.key_problem: str | None = None
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
        client = AsyncClient(
            credentials=credentials, anonymous=credentials is None, retry=ONE_ATTEMPT
        )
        # The key's refusal is reported in the key state, not as a Python warning.
        client.warn_key_refused = False
        return client

    def _retire(self, old: AsyncClient) -> None:
        # kept until done: a task nobody holds may be collected before it ends
        self._closing = asyncio.ensure_future(old.aclose())

    def key_state(self) -> tuple[str, str | None]:
        """(``ok`` | ``missing`` | ``unusable`` | ``refused``, what to do about it)."""
        client = self.client(need_key=True)
        if self.key_problem:
            return "unusable", self.key_problem
        if client.credentials is None:
            return "missing", NO_KEY
        if client.key_refused:
            return "refused", client.key_refused
        return "ok", None

    def who(self) -> str:
        """Whose data the cache holds: the client id (a key change starts afresh)."""
        client = self.client()
        return client.credentials.client_id if client.credentials else "-"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
