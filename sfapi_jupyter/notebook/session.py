"""The notebook's default client and machine, shared by the magics and the live functions.

The client is built once, on first use, from the environment and ``~/.superfacility/``
(exactly ``Client()`` with no arguments; with no key found, where the Slurm commands answer,
that is keyless: see :mod:`sfapi_jupyter.keyless`); :func:`set_client` replaces it, for
example with a client of the local facility.

Examples
--------
>>> from sfapi_jupyter.notebook.session import default_machine, get_client
>>> client = get_client()                             # doctest: +SKIP
>>> default_machine()                                 # doctest: +SKIP
'perlmutter'
"""

from __future__ import annotations

import os
import threading

from .. import keyless  # noqa: F401  registers the keyless transport: Client() may pick this node's Slurm
from ..client import Client

#: The environment variable naming the default machine.
ENV_MACHINE = "SFAPI_MACHINE"
DEFAULT_MACHINE = "perlmutter"

_lock = threading.Lock()
_client: Client | None = None


def get_client() -> Client:
    """The session's client, built on first use with ``Client()``.

    Returns
    -------
    Client
        The same client on every call, until :func:`set_client` replaces it.

    Raises
    ------
    CredentialsError
        A key was found but cannot be used (unreadable, too widely readable, malformed).
    """
    global _client
    with _lock:
        if _client is None:
            _client = Client()
        return _client


def set_client(client: Client | None) -> None:
    """Use ``client`` from now on (None: build a new default one on next use).

    The previous client is not closed: whoever made it owns it.

    Examples
    --------
    >>> from sfapi_jupyter import Client
    >>> set_client(Client("http://127.0.0.1:8000/api/v1.2"))   # doctest: +SKIP
    """
    global _client
    with _lock:
        _client = client


def default_machine() -> str:
    """The machine used when none is named: ``$SFAPI_MACHINE``, else ``perlmutter``."""
    return os.environ.get(ENV_MACHINE, "").strip() or DEFAULT_MACHINE


__all__ = ["default_machine", "get_client", "set_client"]
