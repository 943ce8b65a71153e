"""Which way a client reaches the machine: the SF API (with a key), or this node's Slurm.

``api``: every request goes over HTTP to the SF API, authenticated by the key found (or
anonymously, for status). ``slurm`` (keyless): a local transport answers the same requests
as the user, through the Slurm commands and files of the host the kernel runs on; the
client core does not change. The client does not implement that transport (it knows no
Slurm); a layer above registers it (:func:`register_local_transport`, done by
:mod:`sfapi_jupyter.keyless`, which the package's front door and the notebook import).

Choice, in order: ``Client(transport="api"|"slurm")``, else ``$SFAPI_TRANSPORT``, else
``api`` when a key is found (or a token, or ``anonymous=True``), else ``slurm`` when the
Slurm commands answer here, else ``api`` (anonymous).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx

from ._errors import CredentialsError

ENV_TRANSPORT = "SFAPI_TRANSPORT"
API = "api"
SLURM = "slurm"
TRANSPORT_NAMES = (API, SLURM)

#: ``provider(api_base_url, required)`` -> a local transport, or None when this host's
#: Slurm cannot serve (``required``: raise instead, with one line saying why).
LocalProvider = Callable[[str, bool], httpx.AsyncBaseTransport | None]
_provider: LocalProvider | None = None


def register_local_transport(provider: LocalProvider | None) -> None:
    """Install (or with None remove) the provider of the keyless transport."""
    global _provider
    _provider = provider


def requested(transport: Any) -> str | None:
    """``api``, ``slurm`` or None (not asked) from ``transport=`` or ``$SFAPI_TRANSPORT``."""
    if transport is not None and not isinstance(transport, str):
        return API  # an httpx transport: the caller chose where requests go
    name = transport if transport is not None else os.environ.get(ENV_TRANSPORT, "")
    source = "transport=" if transport is not None else f"${ENV_TRANSPORT}"
    name = name.strip().lower()
    if not name:
        return None
    if name not in TRANSPORT_NAMES:
        raise CredentialsError(
            f"{source}{name!r} is not a transport: use 'api' (the SF API, with a key) or "
            "'slurm' (this node's Slurm, no key)"
        )
    return name


def local_transport(api_base_url: str, required: bool) -> httpx.AsyncBaseTransport | None:
    """The keyless transport when this host's Slurm can serve, else None (or raise if
    ``required``)."""
    if _provider is None:
        if required:
            raise CredentialsError(
                "transport 'slurm' needs sfapi_jupyter's keyless layer: "
                "`import sfapi_jupyter.keyless` first (the notebook and "
                "`from sfapi_jupyter import Client` do it)"
            )
        return None
    return _provider(api_base_url, required)


def is_local(transport: Any) -> bool:
    """Whether ``transport`` answers as the user itself (no key needed)."""
    return bool(getattr(transport, "keyless_description", None))


def describe(transport: Any) -> str:
    """One line: how a keyless transport reaches the machine."""
    return str(getattr(transport, "keyless_description", ""))


def key_refused_message(reason: str, credentials: Any) -> str:
    """What a refused key means, and which transport is used (the SF API: a key was found)."""
    source = getattr(credentials, "source", None) or "given"
    return (
        f"{reason}. Public calls (status, outages, notes) go on without the key; the others "
        "fail until it is fixed: check the client in Iris (expired? revoked?) and the key "
        f"file. Transport: the SF API, since a key was found ({source}); "
        f"{ENV_TRANSPORT}=slurm uses this node's Slurm without a key."
    )
