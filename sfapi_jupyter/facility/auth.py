"""OAuth 2.0 client credentials with ``private_key_jwt``, and bearer-token checks.

The token endpoint does what NERSC's Connect2id server does for SF API clients: it takes a
client assertion signed with the client's private key (RS256; ``iss == sub == client id``,
``aud`` = the token URL, ``exp`` in the future, each ``jti`` used once) and answers with a
short-lived access token, itself an RS256 JWT signed with the facility's own key. Every API
call re-checks that token and the client behind it (revoked, expired, source address), so an
admin's change takes effect at once, not when the token runs out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import math
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .accounts import Accounts
from .config import TOKEN_PATH, FacilityConfig
from .models import FacilityUser

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Longest lifetime (``exp`` minus now, or minus ``iat``) of a client assertion. Authlib,
#: and so NERSC's sfapi_client, signs assertions that live one hour.
MAX_ASSERTION_LIFETIME = 3600
#: Clock skew allowed on ``iat``, ``nbf`` and the lifetime, in seconds.
LEEWAY = 30


class OAuthError(Exception):
    """An RFC 6749 error answer of the token endpoint."""

    def __init__(self, error: str, description: str, status_code: int = 401) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code


class TokenError(Exception):
    """A bearer token the API refuses (401, or 403 for a valid token that may not do this)."""

    def __init__(self, description: str, status_code: int = 401) -> None:
        super().__init__(description)
        self.description = description
        self.status_code = status_code


@dataclass(frozen=True)
class Identity:
    """Who is calling: the user, through which client, at which security level."""

    user: FacilityUser
    client_id: str
    level: str

    @property
    def can_write(self) -> bool:
        return self.level == "red"


def load_signing_key(config: FacilityConfig) -> RSAKey:
    """The facility's token-signing key, made on first use and kept private (0600).

    Processes that start at once (a room's ``client create`` commands) each make a key, but
    only the first to link its complete file into place wins; the others read that one, so
    every process signs and checks with the same key.
    """
    path = config.signing_key_path
    if path.exists():
        return RSAKey.import_key(path.read_text())
    config.ensure_dirs()
    key = RSAKey.generate_key(2048, private=True)
    fd, tmp = tempfile.mkstemp(prefix=".signing-key-", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(key.as_pem(private=True).decode())
        os.link(tmp, path)  # fails if another process's key is there already
    except FileExistsError:
        return RSAKey.import_key(path.read_text())
    finally:
        os.unlink(tmp)
    return key


def _address_allowed(address: str | None, ranges: list[str]) -> bool:
    if address is None:
        return False
    if address == "testclient":  # starlette's in-process client: treat as loopback
        address = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(r, strict=False) for r in ranges)


def _number(claims: dict[str, Any], key: str) -> float | None:
    value = claims.get(key)
    if value is None:
        return None
    # NaN and infinity are numbers to JSON parsers but no time: NaN compares false with
    # everything, so it would pass every time check and reach the replay check.
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise OAuthError(
            "invalid_client",
            f"client_assertion needs a numeric {key} claim (seconds since 1970, a finite "
            f"number), not {str(value)[:40]!r}",
        )
    return float(value)


def expected_token_urls(
    config: FacilityConfig, scheme: str, server: tuple[str, int | None] | None
) -> list[str]:
    """The token URLs an assertion's ``aud`` may name.

    With ``public_url`` configured, only that. Otherwise the address the server listens on
    (the connection's local address, which a client cannot choose), and for a loopback
    address its other spellings (``localhost``, ``127.0.0.1``, ``[::1]``).
    """
    if config.public_url:
        return [config.public_url.rstrip("/") + TOKEN_PATH]
    if server is None:
        return ["(the facility's public URL is not configured)"]
    host, port = server
    hosts = [f"[{host}]" if ":" in host else host]
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            hosts += [h for h in ("127.0.0.1", "localhost", "[::1]") if h not in hosts]
    default = {"http": 80, "https": 443}.get(scheme)
    suffix = "" if port is None or port == default else f":{port}"
    return [f"{scheme}://{h}{suffix}{TOKEN_PATH}" for h in hosts]


class TokenService:
    """Issues and checks access tokens."""

    def __init__(self, config: FacilityConfig, accounts: Accounts) -> None:
        self.config = config
        self.accounts = accounts
        self.key = load_signing_key(config)
        self.kid = self.key.thumbprint()

    # -- the token endpoint -------------------------------------------------------------
    def _client_for(self, client_id: str, address: str | None) -> dict[str, Any]:
        client = self.accounts.store.get_client(client_id)
        if client is None:
            raise OAuthError("invalid_client", f"Unknown client {client_id!r}")
        if client["revoked"]:
            raise OAuthError(
                "invalid_client",
                f"Client {client_id} has been revoked; create a new client",
            )
        if dt.datetime.fromisoformat(client["expires_at"]) <= dt.datetime.now(dt.timezone.utc):
            raise OAuthError(
                "invalid_client",
                f"Client {client_id} expired at {client['expires_at']}; create a new client",
            )
        if not _address_allowed(address, client["ip_ranges"]):
            where = address or (
                "an address this facility cannot know (a forwarded address counts only "
                "from a proxy it is configured to trust)"
            )
            raise OAuthError(
                "invalid_client",
                f"Client {client_id} may not be used from {where}; its source ranges are "
                f"{', '.join(client['ip_ranges'])}",
                status_code=403,
            )
        return client

    def exchange(
        self, form: dict[str, str], token_urls: list[str], address: str | None
    ) -> dict[str, Any]:
        """Verify a client-credentials request and return the token response body.

        ``token_urls`` are the audiences the assertion may name: the configured public
        token URL, never anything taken from the request's own headers.
        """
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type",
                "Only grant_type=client_credentials is supported",
                400,
            )
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError(
                "invalid_client",
                f"client_assertion_type must be {ASSERTION_TYPE}",
            )
        assertion = form.get("client_assertion", "")
        try:
            unverified = json.loads(jws.extract_compact(assertion.encode()).payload)
        except (JoseError, ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "client_assertion is not a JWT") from None
        if not isinstance(unverified, dict):  # a JWT's claims are a JSON object
            raise OAuthError("invalid_client", "client_assertion is not a JWT")
        client_id = str(unverified.get("iss", ""))
        client = self._client_for(client_id, address)
        try:
            token = jwt.decode(
                assertion, RSAKey.import_key(client["public_jwk"]), algorithms=["RS256"]
            )
        except JoseError:
            raise OAuthError(
                "invalid_client",
                "client_assertion signature does not match the client's registered key",
            ) from None
        claims = token.claims
        now = time.time()
        if claims.get("sub") != client_id:
            raise OAuthError("invalid_client", "client_assertion: sub must equal iss (client id)")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(url in audiences for url in token_urls):
            raise OAuthError(
                "invalid_client", f"client_assertion: aud must be the token URL {token_urls[0]}"
            )
        exp, iat, nbf = (_number(claims, key) for key in ("exp", "iat", "nbf"))
        if exp is None:
            raise OAuthError("invalid_client", "client_assertion needs a numeric exp claim")
        if exp <= now:
            raise OAuthError("invalid_client", "client_assertion has expired (exp)")
        if iat is not None and iat > now + LEEWAY:
            raise OAuthError("invalid_client", "client_assertion was issued in the future (iat)")
        if nbf is not None and nbf > now + LEEWAY:
            raise OAuthError("invalid_client", "client_assertion is not valid yet (nbf)")
        if exp - min(now, iat if iat is not None else now) > MAX_ASSERTION_LIFETIME + LEEWAY:
            raise OAuthError(
                "invalid_client",
                f"client_assertion lives too long: exp may be at most "
                f"{MAX_ASSERTION_LIFETIME // 60} minutes after iat",
            )
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise OAuthError(
                "invalid_client", "client_assertion needs a jti claim (a unique id for each use)"
            )
        if not self.accounts.store.use_jti(f"{client_id}:{jti}", float(exp)):
            raise OAuthError("invalid_client", "client_assertion was already used (jti replay)")
        return self.issue(client)

    def issue(self, client: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        lifetime = int(self.config.token_lifetime)
        claims = {
            "sub": client["user"],
            "client_id": client["client_id"],
            "scope": client["level"],
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
        }
        header = {"kid": self.kid, "typ": "at+jwt", "alg": "RS256"}
        return {
            "access_token": jwt.encode(header, claims, self.key),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": client["level"],
        }

    # -- bearer tokens on API calls ---------------------------------------------------------
    def identify(self, authorization: str | None, address: str | None) -> Identity:
        """The caller behind an ``Authorization`` header; raises :class:`TokenError`."""
        if not authorization:
            raise TokenError("Not authenticated: send Authorization: Bearer <access token>")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise TokenError("Authorization header must be 'Bearer <access token>'")
        try:
            claims = jwt.decode(value.strip(), self.key, algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            raise TokenError("Invalid access token") from None
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= time.time():
            raise TokenError("Access token has expired; request a new one")
        client_id = str(claims.get("client_id", ""))
        try:
            client = self._client_for(client_id, address)
        except OAuthError as exc:
            raise TokenError(exc.description, exc.status_code) from None
        user = self.accounts.get_user(client["user"])
        if user is None:
            raise TokenError("The token's user no longer exists")
        return Identity(user=user, client_id=client_id, level=client["level"])
