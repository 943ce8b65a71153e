"""``httpx.Auth`` flows: bearer tokens, and client credentials with a ``private_key_jwt``.

The client-credentials flow signs an assertion with authlib (RS256; ``iss`` = ``sub`` = the
client id, ``aud`` = the token URL, ``exp``, a fresh ``jti``), exchanges it for an access
token, caches the token, renews it ``TOKEN_LEEWAY`` seconds before it expires, and once more
if the API answers 401 anyway (a token revoked early, a clock skew). Tokens and keys live
only in these objects; their reprs show neither.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncGenerator, Generator

import httpx
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from ._constants import TOKEN_LEEWAY
from ._credentials import Credentials, Key
from ._errors import (
    AuthenticationError,
    ConnectError,
    CredentialsError,
    RequestTimeout,
    UnexpectedAnswerError,
    remember_secret,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class KeyRefusedWarning(UserWarning):
    """The token endpoint refused the key; a public call went on without it."""


class BearerAuth(httpx.Auth):
    """A token obtained elsewhere, sent as it is and never renewed."""

    def __init__(self, token: str) -> None:
        self._token = token
        remember_secret(token)

    def __repr__(self) -> str:
        return "BearerAuth(token=<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _import_private_key(key: Key) -> RSAKey:
    """The client's own RSA key. A PEM key is loaded without cryptography's consistency
    check of its primes, which costs about 0.1 s of CPU per key (a room of 40 kernels
    fetching their first tokens at once spent seconds on it) and guards against keys from
    others, not against the user's own key: a wrong key only makes signatures the token
    endpoint refuses."""
    if isinstance(key, (str, bytes)):
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        data = key.encode() if isinstance(key, str) else key
        if b"PRIVATE KEY-----" in data:
            try:
                loaded = load_pem_private_key(data, None, unsafe_skip_rsa_key_validation=True)
            except UnsupportedAlgorithm:
                raise ValueError("not a key this client can use") from None
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError("not an RSA key")
            return RSAKey.import_key(loaded)
    return RSAKey.import_key(key)


class ClientCredentialsAuth(httpx.Auth):
    """OAuth 2.0 client credentials with a signed client assertion; async only."""

    def __init__(
        self,
        credentials: Credentials,
        token_url: str,
        token_http: httpx.AsyncClient,
        leeway: float = TOKEN_LEEWAY,
    ) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self._http = token_http
        self._leeway = leeway
        self._token: str | None = None
        self._expires_at = 0.0
        self._lifetime = 0.0
        self._lock: asyncio.Lock | None = None
        self._key: RSAKey | None = None
        #: How many tokens were fetched (for diagnostics and tests).
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(client_id={self.credentials.client_id!r}, "
            f"token_url={self.token_url!r})"
        )

    @property
    def expires_at(self) -> float:
        return self._expires_at

    def _signing_key(self) -> RSAKey:
        if self._key is None:
            try:
                self._key = _import_private_key(self.credentials.key)
            except (ValueError, TypeError, JoseError):
                raise CredentialsError(
                    f"The key from {self.credentials.source} is not an RSA private key "
                    "(PEM or JWK) for client " + self.credentials.client_id
                ) from None
        return self._key

    def _assertion(self) -> str:
        # An explicit RSAKey: authlib warns about (and will drop) guessing the key type.
        signed = private_key_jwt_sign(
            self._signing_key(), self.credentials.client_id, self.token_url
        )
        assertion = signed.decode() if isinstance(signed, bytes) else str(signed)
        remember_secret(assertion)  # a token endpoint may echo it in its refusal
        return assertion

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self._assertion(),
        }
        try:
            response = await self._http.post(self.token_url, data=form)
        except httpx.TimeoutException:
            raise RequestTimeout(
                f"The token endpoint {self.token_url} did not answer in time"
            ) from None
        except httpx.TransportError as exc:
            raise ConnectError(
                f"Cannot reach the token endpoint {self.token_url}: {type(exc).__name__}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            reason = None
            if isinstance(body, dict):
                reason = body.get("error_description") or body.get("error")
            raise AuthenticationError(
                f"The token endpoint refused client {self.credentials.client_id} "
                f"(HTTP {response.status_code}): {reason or response.reason_phrase}",
                status_code=response.status_code,
            )
        self._token, self._lifetime = self._token_of(body)
        self._expires_at = time.time() + self._lifetime
        self.tokens_fetched += 1

    def _token_of(self, body: object) -> tuple[str, float]:
        """The access token and its lifetime from a token answer, or a clear error: a proxy's
        page or a broken endpoint must not surface as a KeyError or a ValueError."""
        where = f"The token endpoint {self.token_url} answered HTTP 200 but"
        if not isinstance(body, dict):
            raise UnexpectedAnswerError(
                f"{where} not with a JSON object (a proxy or a wrong SFAPI_TOKEN_URL?)"
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise UnexpectedAnswerError(f"{where} without an access_token")
        remember_secret(token)
        lifetime = body.get("expires_in", 600)
        if isinstance(lifetime, str):
            try:
                lifetime = float(lifetime)
            except ValueError:
                lifetime = None
        if (
            not isinstance(lifetime, (int, float))
            or isinstance(lifetime, bool)
            or not math.isfinite(lifetime)
            or lifetime <= 0
        ):
            raise UnexpectedAnswerError(
                f"{where} its expires_in is not a positive number of seconds"
            )
        return token, float(lifetime)

    async def token(self, *, force: bool = False) -> str:
        """A valid access token, fetched or renewed as needed."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            # Renew ``leeway`` seconds early; a token that lives no longer than that is used
            # for three quarters of its life (else a facility handing out 5-second tokens
            # would be asked for a new one before every request).
            leeway = self._leeway if self._lifetime > self._leeway else self._lifetime / 4
            stale = time.time() >= self._expires_at - leeway
            if force or self._token is None or stale:
                await self._fetch()
            assert self._token is not None
            return self._token

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("ClientCredentialsAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        sent_with = await self.token()
        request.headers["Authorization"] = f"Bearer {sent_with}"
        response = yield request
        if response.status_code == 401:
            # Renew once, unless another request already did while this one was in flight.
            fresh = await self.token(force=self._token == sent_with)
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request
