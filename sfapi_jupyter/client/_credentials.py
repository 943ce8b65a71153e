"""Finding and reading an SF API client's id and private key.

Sources, in order: arguments, environment variables (``SFAPI_CLIENT_ID`` with ``SFAPI_KEY``
for a file or ``SFAPI_SECRET`` for the key itself), then ``~/.superfacility/`` in every
format NERSC's official client reads: a PEM file whose first line is the client id, or a
JSON file ``{"client_id": ..., "secret": <JWK or PEM>}``.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._constants import ENV_CLIENT_ID, ENV_KEY, ENV_SECRET
from ._errors import CredentialsError

Key = str | dict[str, Any]


@dataclass(frozen=True, repr=False)
class Credentials:
    """A client id and its private key (PEM text or a JWK dict). Never shown in a repr."""

    client_id: str
    key: Key
    #: Where they came from, for messages: a path or "arguments"/"environment".
    source: str = "arguments"

    def __post_init__(self) -> None:
        cid = self.client_id.strip()
        if not cid or any(c.isspace() for c in cid):
            raise CredentialsError(f"Client id {self.client_id!r} from {self.source} is not valid")
        object.__setattr__(self, "client_id", cid)

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, source={self.source!r})"


def superfacility_dir() -> Path:
    return Path.home() / ".superfacility"


def check_key_permissions(path: Path) -> None:
    """Refuse a key that group or others can read (0600 and 0400 are fine)."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"Key file {path} can be read by other users (mode {stat.S_IMODE(mode):04o}); "
            f"make it private with: chmod 600 {path}"
        )


def _is_pem(text: str) -> bool:
    return "-----BEGIN" in text


def parse_key_text(text: str, source: str, client_id: str | None = None) -> Credentials:
    """Credentials from a key file's text: PEM (id on line 1), or JSON."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError:
            raise CredentialsError(f"{source} is not valid JSON") from None
        if "client_id" in doc and "secret" in doc:
            secret = doc["secret"]
            if isinstance(secret, str) and not _is_pem(secret):
                try:
                    secret = json.loads(secret)
                except ValueError:
                    raise CredentialsError(f"{source}: 'secret' is neither PEM nor a JWK") from None
            return Credentials(client_id or doc["client_id"], secret, source)
        if doc.get("kty") == "RSA":  # a bare JWK (Iris's priv_key.jwk)
            if not client_id:
                raise CredentialsError(
                    f"{source} holds a key but no client id; pass client_id= or set {ENV_CLIENT_ID}"
                )
            return Credentials(client_id, doc, source)
        raise CredentialsError(
            f"{source}: expected {{'client_id': ..., 'secret': ...}} or an RSA JWK"
        )
    if not _is_pem(stripped):
        raise CredentialsError(f"{source} holds neither a PEM private key nor JSON")
    first, _, rest = stripped.partition("\n")
    if not first.startswith("-----BEGIN"):
        return Credentials(client_id or first.strip(), rest.strip() + "\n", source)
    if not client_id:
        raise CredentialsError(
            f"{source} has no client id: put it on the file's first line, or pass client_id= "
            f"(or set {ENV_CLIENT_ID})"
        )
    return Credentials(client_id, stripped + "\n", source)


def read_key_file(path: str | os.PathLike[str], client_id: str | None = None) -> Credentials:
    file = Path(path).expanduser()
    if not file.is_file():
        raise CredentialsError(f"Key file {file} does not exist")
    check_key_permissions(file)
    try:
        text = file.read_text()
    except OSError as exc:
        raise CredentialsError(f"Cannot read key file {file}: {exc.strerror}") from None
    return parse_key_text(text, str(file), client_id)


def _from_key_argument(key: Any, client_id: str | None) -> Credentials:
    if isinstance(key, Mapping):
        if not client_id:
            raise CredentialsError("A JWK key needs client_id= as well")
        return Credentials(client_id, dict(key), "arguments")
    if isinstance(key, os.PathLike) or (isinstance(key, str) and not _is_pem(key)):
        path = Path(key).expanduser()
        if path.exists():
            return read_key_file(path, client_id)
        matches = sorted(superfacility_dir().glob(f"{key}*")) if isinstance(key, str) else []
        if len(matches) == 1:
            return read_key_file(matches[0], client_id)
        if matches:
            names = ", ".join(m.name for m in matches)
            raise CredentialsError(f"key={key!r} matches several files ({names}); be more exact")
        raise CredentialsError(f"Key file {path} does not exist")
    if isinstance(key, str):
        return parse_key_text(key, "arguments", client_id)
    raise CredentialsError(f"key must be a path, PEM text or a JWK dict, not {type(key).__name__}")


def _from_superfacility_dir() -> Credentials | None:
    folder = superfacility_dir()
    if not folder.is_dir():
        return None
    files = sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and not f.name.startswith(".") and f.suffix in (".pem", ".json", ".key", "")
    )
    if not files:
        return None
    if len(files) > 1:
        names = ", ".join(f.name for f in files)
        raise CredentialsError(
            f"Several keys in {folder} ({names}); choose one with key='{files[0].stem}' "
            f"or {ENV_KEY}=path"
        )
    return read_key_file(files[0])


def discover_credentials(
    client_id: str | None = None,
    key: Any = None,
    env: Mapping[str, str] | None = None,
) -> Credentials | None:
    """Credentials from arguments, then the environment, then ``~/.superfacility``; or None."""
    env = os.environ if env is None else env
    if key is not None:
        return _from_key_argument(key, client_id)
    env_id = client_id or env.get(ENV_CLIENT_ID) or None
    if env.get(ENV_SECRET):
        return parse_key_text(env[ENV_SECRET], f"${ENV_SECRET}", env_id)
    if env.get(ENV_KEY):
        return read_key_file(env[ENV_KEY], env_id)
    if client_id:
        raise CredentialsError("client_id= was given without a key; pass key= as well")
    return _from_superfacility_dir()
