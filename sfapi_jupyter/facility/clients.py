"""An API client as the facility hands it out (like Iris's), and when one may still be used."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass
from typing import Any


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
