"""API clients as the facility hands them out (like Iris's), and when one may still be used.

Registering a client works as in Iris: the facility makes an RSA key pair, keeps only the
public half, and hands the private key to the caller exactly once.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import string
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from .models import AccountError, FacilityUser
from .store import Store

#: Client lifetimes by security level, as NERSC's policy has them.
CLIENT_LIFETIMES = {"red": dt.timedelta(days=2), "green": dt.timedelta(days=60)}
#: Red clients may have at most this many source IP ranges.
MAX_RED_RANGES = 2
DEFAULT_RANGES = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class NewClient:
    """What ``client create`` hands out once. Only ``client_id`` is ever stored with the key."""

    client_id: str
    user: str
    level: str
    expires_at: str
    private_key_pem: str
    private_key_jwk: dict[str, Any]

    def __repr__(self) -> str:  # never show the key
        return f"NewClient(client_id={self.client_id!r}, user={self.user!r}, level={self.level!r})"

    @property
    def key_file_text(self) -> str:
        """PEM with the client id on its first line: the ``~/.superfacility/`` format."""
        return f"{self.client_id}\n{self.private_key_pem}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def client_is_usable(doc: dict[str, Any] | None) -> bool:
    """True for a registered client that is neither revoked nor expired."""
    if doc is None or doc.get("revoked"):
        return False
    return dt.datetime.fromisoformat(doc["expires_at"]) > _now()


def new_client_id() -> str:
    """13 lowercase alphanumerics, like Iris's client ids."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(13))


def parse_ranges(ranges: list[str] | tuple[str, ...], level: str) -> list[str]:
    """Validate CIDR ranges; a red client may have at most two."""
    parsed = []
    for text in ranges:
        try:
            parsed.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise AccountError(
                f"{text!r} is not an IP range; give CIDR text such as 10.0.0.0/24 or 127.0.0.1/32"
            ) from None
    if level == "red" and len(parsed) > MAX_RED_RANGES:
        raise AccountError(
            f"a red client may have at most {MAX_RED_RANGES} source IP ranges, got {len(parsed)}; "
            "use fewer ranges or a green client"
        )
    return parsed


class ClientRegistry:
    """Registering, revoking and listing API clients (a part of :class:`.accounts.Accounts`)."""

    store: Store

    def ensure_user(self, name: str, projects: list[str] | None = None) -> FacilityUser:
        raise NotImplementedError

    def create_client(
        self,
        user: str,
        *,
        level: str = "red",
        ip_ranges: list[str] | None = None,
        name: str | None = None,
        lifetime: dt.timedelta | None = None,
        projects: list[str] | None = None,
    ) -> NewClient:
        """Register an API client for ``user`` (created if new)."""
        if level not in CLIENT_LIFETIMES:
            raise AccountError(f"level must be red or green, not {level!r}")
        ranges = parse_ranges(list(ip_ranges or DEFAULT_RANGES), level)
        self.ensure_user(user, projects)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        jwk = RSAKey.import_key(pem)
        client_id = new_client_id()
        created = _now()
        expires = created + (lifetime or CLIENT_LIFETIMES[level])
        self.store.put_client(
            client_id,
            user,
            {
                "client_id": client_id,
                "user": user,
                "name": name or f"{user}-{level}-{created:%Y%m%d}",
                "level": level,
                "ip_ranges": ranges,
                "public_jwk": jwk.as_dict(private=False),
                "created_at": created.isoformat(),
                "expires_at": expires.isoformat(),
                "revoked": False,
                "comments": f"{level} client, source ranges {', '.join(ranges)}",
            },
        )
        return NewClient(
            client_id=client_id,
            user=user,
            level=level,
            expires_at=expires.isoformat(),
            private_key_pem=pem,
            private_key_jwk=jwk.as_dict(private=True),
        )

    def revoke_client(self, client_id: str) -> None:
        doc = self.store.get_client(client_id)
        if doc is None:
            raise AccountError(f"no client {client_id!r}; `client list` shows the registered ones")
        doc["revoked"] = True
        self.store.put_client(client_id, doc["user"], doc)

    def list_clients(self, user: str | None = None) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in doc.items() if k != "public_jwk"}
            for doc in self.store.list_clients(user)
        ]
